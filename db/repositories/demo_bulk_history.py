"""The bulk demo's history (db/repositories/demo_bulk.py writes the rows): the events after the event
horizon and the activity rows of the sample, built from the rows already written, in time order."""

from __future__ import annotations

from db.repositories.events import EVENT_APPEND_LOCK

# Events: only the order handoffs and service's answers after the event horizon (the marketing
# collaboration KPI reads them from the log), stamped at their true instants, ids in time order.
_EVENTS = f"""
SELECT pg_advisory_xact_lock({EVENT_APPEND_LOCK});
INSERT INTO events (type, entity_type, entity_id, payload, actor_id, occurred_at)
SELECT type, 'Order', id, payload, actor, at FROM (
  SELECT 'ORDER_HANDED_OFF' AS type, o.id, jsonb_build_object('number', o.number, 'confirmationDueAt',
         o.confirmation_due_at) AS payload, o.owner_id AS actor, o.handed_off_at AS at FROM orders o
  UNION ALL SELECT 'ORDER_CONFIRMED', o.id, jsonb_build_object('number', o.number, 'onTime',
         o.confirmed_at <= o.confirmation_due_at), o.confirmed_by_id, o.confirmed_at FROM orders o
  UNION ALL SELECT 'ORDER_RETURNED', o.id, jsonb_build_object('number', o.number, 'reason', o.return_reason),
         :lead_service, o.returned_at FROM orders o
  UNION ALL SELECT 'ORDER_CANCELLED', o.id, jsonb_build_object('number', o.number), o.owner_id, o.cancelled_at
         FROM orders o) e
WHERE at >= CAST(:horizon AS timestamptz) AND id IN (SELECT b.id FROM bulk_orders b
                                                       WHERE b.handed_off_at >= CAST(:horizon AS timestamptz))
ORDER BY at, type
"""

# Activity: every customer's creation, and the whole timeline (each step, in the services' words) of
# the orders, jobs, tickets, feedback and action items of the sample (one customer in ten).
_STATUS = "jsonb_build_object('status', jsonb_build_array({0}, {1}))"
_ACTIVITY = f"""
INSERT INTO activity (at, actor_id, action, entity_type, entity_id, summary, changes, customer_id, order_id, internal)
SELECT at, actor, action, entity_type, entity_id, summary, changes, customer_id, order_id, false FROM (
  SELECT c.created_at AS at, c.owner_id AS actor, 'customer.created' AS action, 'Customer' AS entity_type,
         c.id AS entity_id, 'Customer ' || c.code || ' ' || c.name || ' created' AS summary,
         jsonb_build_object('contacts', 1 + b.n % 3) AS changes, c.id AS customer_id, NULL::uuid AS order_id
  FROM customers c JOIN bulk_customers b ON b.id = c.id
  UNION ALL
  SELECT s.at, s.actor, s.action, 'Order', o.id, 'Order ' || o.number || ' ' || s.words, s.changes, o.customer_id, o.id
  FROM orders o JOIN bulk_orders b ON b.id = o.id AND b.sample, LATERAL (VALUES
    (o.created_at, o.owner_id, 'order.created', 'created', jsonb_build_object('status', o.status)),
    (o.handed_off_at, o.owner_id, 'order.handed_off', 'handed off to service',
           {_STATUS.format("'DRAFT'", "'HANDED_OFF'")}),
    (o.confirmed_at, o.confirmed_by_id, 'order.confirmed', 'confirmed by service',
     {_STATUS.format("'HANDED_OFF'", "'CONFIRMED'")}),
    (o.returned_at, :lead_service, 'order.returned', 'returned to marketing: ' || o.return_reason,
     {_STATUS.format("'HANDED_OFF'", "'RETURNED'")}),
    (o.cancelled_at, o.owner_id, 'order.cancelled', 'cancelled', {_STATUS.format("'HANDED_OFF'", "'CANCELLED'")}),
    (o.completed_at, o.confirmed_by_id, 'order.completed', 'completed', {_STATUS.format("'IN_SERVICE'", "'COMPLETED'")})
  ) s(at, actor, action, words, changes) WHERE s.at IS NOT NULL
  UNION ALL
  SELECT s.at, j.technician_id, s.action, 'ServiceJob', j.id, 'Service job ' || j.number || ' ' || s.words,
         jsonb_build_object('kind', j.kind), j.customer_id, j.order_id
  FROM service_jobs j JOIN bulk_jobs b ON b.id = j.id AND b.sample, LATERAL (VALUES
    (j.created_at, 'service_job.scheduled', 'scheduled'), (j.started_at, 'service_job.started', 'started'),
    (j.completed_at, 'service_job.completed', 'completed: ' || j.quality_result),
    (j.cancelled_at, 'service_job.cancelled', 'cancelled')) s(at, action, words) WHERE s.at IS NOT NULL
  UNION ALL
  SELECT s.at, s.actor, s.action, 'Ticket', t.id, 'Ticket ' || t.number || ' ' || s.words, s.changes, t.customer_id,
         t.order_id
  FROM tickets t JOIN bulk_tickets b ON b.id = t.id AND b.sample, LATERAL (VALUES
    (t.created_at, t.created_by_id, 'ticket.opened', 'opened: ' || t.subject,
     jsonb_build_object('kind', t.kind, 'priority', t.priority, 'firstResponseDueAt', t.first_response_due_at,
                        'resolutionDueAt', t.resolution_due_at)),
    (t.first_responded_at, t.assignee_id, 'ticket.acknowledged', 'acknowledged',
           {_STATUS.format("'NEW'", "'ACKNOWLEDGED'")}),
    (t.resolved_at, t.assignee_id, 'ticket.resolved', 'resolved (' || t.root_cause_code || ')',
     {_STATUS.format("'IN_PROGRESS'", "'RESOLVED'")}),
    (t.closed_at, t.assignee_id, 'ticket.closed', 'closed', {_STATUS.format("'RESOLVED'", "'CLOSED'")})
  ) s(at, actor, action, words, changes) WHERE s.at IS NOT NULL
  UNION ALL
  SELECT f.recorded_at, f.recorded_by_id, 'feedback.recorded', 'Feedback', f.id,
         'Feedback from ' || c.name || ': ' || f.score || '/5 (' || lower(replace(f.source, '_', ' ')) || ')',
         jsonb_build_object('score', f.score), f.customer_id, f.order_id
  FROM feedback f JOIN bulk_feedback b ON b.id = f.id JOIN bulk_customers c ON c.id = f.customer_id AND c.sample
  UNION ALL
  SELECT s.at, s.actor, s.action, 'ActionItem', a.id, 'Action item ' || a.number || ' ' || s.words,
         jsonb_build_object('status', a.status), a.customer_id, NULL
  FROM action_items a JOIN bulk_customers c ON c.id = a.customer_id AND c.sample, LATERAL (VALUES
    (a.created_at, a.created_by_id, 'action_item.created', 'created: ' || a.title),
    (a.started_at, a.owner_id, 'action_item.started', 'started'),
    (a.completed_at, a.owner_id, 'action_item.completed', 'done: ' || a.outcome),
    (a.verified_at, a.verified_by_id, 'action_item.verified', 'verified effective'),
    (a.cancelled_at, a.owner_id, 'action_item.cancelled', 'cancelled')) s(at, actor, action, words)
  WHERE s.at IS NOT NULL
) x ORDER BY at
"""

HISTORY_STEPS = (("events", _EVENTS), ("activity", _ACTIVITY))
