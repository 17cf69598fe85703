"""Bulk demo data (`seed-demo --bulk`, services/demo_bulk.py says what and why): set-wise INSERT … SELECT.

Each statement builds one table's rows from generate_series and random() (seeded by `setseed`, so the
same parameters give the same data; temporary tables are never scanned in parallel), first into a
temporary table (ON COMMIT DROP) that keeps what later statements need (sample flag, chosen durations),
then into the real table in time order, so numbers drawn from the sequences (O-…, T-…) grow with time.
Every timestamp is derived from earlier ones by adding a positive interval and is kept only when it
is not after `now`, so a row's times are ordered by construction; statuses follow from which of them
have passed. Ticket due times join `sla_policies` exactly as services/sla.py `due_times` computes them.
Parameters: now, start (12 months before), horizon (the earliest event instant), seed, the demo users'
ids as uuid[] (sellers, service staff, technicians), supervisor, leads, and the name vocabularies.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories.demo_bulk_history import HISTORY_STEPS

_TS = "CAST(:now AS timestamptz)"
_START = "CAST(:start AS timestamptz)"


def _pick(array: str, r: str = "random()") -> str:
    """One element of the text[] parameter `array`, chosen by the uniform number `r` in [0, 1)."""
    return f"(CAST(:{array} AS text[]))[1 + floor({r} * cardinality(CAST(:{array} AS text[])))::int]"


_CUSTOMERS = f"""
CREATE TEMP TABLE bulk_customers ON COMMIT DROP AS
SELECT n, id, name, industry, region, stage, owner_id, since, sample,
       CASE WHEN stage IN ('LEAD', 'PROSPECT') THEN 0 ELSE 2 + floor(random() * 8)::int END AS orders,
       CASE WHEN stage IN ('LEAD', 'PROSPECT') THEN 1 + floor(random() * 3)::int
            ELSE 19 + floor(random() * 9)::int END AS tickets
FROM (SELECT n, gen_random_uuid() AS id,
             (CAST(:prefixes AS text[]))[1 + n % cardinality(CAST(:prefixes AS text[]))] || ' '
               || (CAST(:suffixes AS text[]))[1 + (n * 7 + n / 16) % cardinality(CAST(:suffixes AS text[]))]
               || ' ' || n AS name,
             {_pick("industries")} AS industry, {_pick("regions")} AS region,
             (ARRAY['ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE',
                    'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'DORMANT', 'DORMANT', 'CHURNED',
                    'PROSPECT', 'LEAD'])[1 + n % 20] AS stage,
             (CAST(:sellers AS uuid[]))[1 + n % cardinality(CAST(:sellers AS uuid[]))] AS owner_id,
             -- 15 % joined during the year (at least 120 days ago: room for a whole order's life)
             CASE WHEN random() < 0.15
                  THEN {_START} + random() * ({_TS} - interval '120 days' - {_START})
                  ELSE {_START} - interval '1 day' * (1 + random() * 1000) END AS since,
             n % 10 = 1 AS sample
      FROM generate_series(1, :customers) n) c;
INSERT INTO customers (id, name, industry, region, lifecycle_stage, owner_id, created_at, updated_at, version)
SELECT id, name, industry, region, stage, owner_id, since, since, 1 FROM bulk_customers ORDER BY since, n;
INSERT INTO contacts (id, customer_id, name, title, phone, email, is_primary, created_at, updated_at, version)
SELECT gen_random_uuid(), c.id, p.person, {_pick("titles")}, '+86 21 ' || (5000000 + floor(random() * 4999999))::int,
       lower(replace(p.person, ' ', '.')) || '.' || c.n || '@' || lower(split_part(c.name, ' ', 1)) || '.example',
       g = 1, c.since, c.since, 1
FROM bulk_customers c, generate_series(1, 1 + c.n % 3) g,
     LATERAL (SELECT {_pick("first", "random() + 0 * g")} || ' ' || {_pick("last", "random() + 0 * g")} AS person) p
"""

# Durations first (h: to the handoff, a: service's answer, 15 % after the 24 h window, d: confirmed to
# complete), created evenly over the year; the status is how far those steps have come by now (so every
# month confirms about as much). The first order of every tenth customer is the open pipeline of the last
# days (draft, handed off, returned in turn: every status even for a small N); 7 % are cancelled after
# their handoff.
_ORDERS = f"""
CREATE TEMP TABLE bulk_orders_raw ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, c.id AS customer_id, c.owner_id, c.sample, greatest(c.since, {_START}) AS lo,
       g, g = 1 AND c.n % 10 = 0 AS pipeline, c.n / 10 % 3 AS turn, random() AS r, random() AS u,
       1 + floor(random() * 3)::int AS items,
       interval '1 hour' * (1 + random() * 47) AS h, interval '1 hour' * (1 + 32 * random() ^ 2) AS a,
       interval '1 day' * (7 + random() * 40) AS d
FROM bulk_customers c, generate_series(1, c.orders) g;
CREATE TEMP TABLE bulk_orders ON COMMIT DROP AS
SELECT *, CASE WHEN status <> 'DRAFT' THEN created_at + h END AS handed_off_at
FROM (SELECT *, CASE WHEN pipeline THEN (ARRAY['DRAFT', 'HANDED_OFF', 'RETURNED'])[1 + turn]
                     WHEN created_at + h > {_TS} THEN 'DRAFT' WHEN created_at + h + a > {_TS} THEN 'HANDED_OFF'
                     WHEN r < 0.07 THEN 'CANCELLED' WHEN created_at + h + a + 0.2 * d > {_TS} THEN 'CONFIRMED'
                     WHEN created_at + h + a + d > {_TS} THEN 'IN_SERVICE' ELSE 'COMPLETED' END AS status
      FROM (SELECT *, CASE WHEN NOT pipeline THEN lo + u * ({_TS} - lo)
                           WHEN turn = 0 THEN {_TS} - u * interval '10 days'
                           WHEN turn = 1 THEN {_TS} - h - u * interval '30 hours'
                           ELSE {_TS} - h - a - u * interval '5 days' END AS created_at
            FROM bulk_orders_raw) s) t;
ALTER TABLE bulk_orders ADD COLUMN confirmed_at timestamptz, ADD COLUMN completed_at timestamptz;
UPDATE bulk_orders SET confirmed_at = handed_off_at + a WHERE status IN ('CONFIRMED', 'IN_SERVICE', 'COMPLETED');
UPDATE bulk_orders SET completed_at = confirmed_at + d WHERE status = 'COMPLETED';
CREATE INDEX ON bulk_orders (customer_id, created_at);
CREATE TEMP TABLE bulk_items ON COMMIT DROP AS
SELECT o.id AS order_id, i.position, p.k, 1 + floor(random() * 3)::int AS quantity
FROM bulk_orders o, generate_series(1, o.items) i(position),
     LATERAL (SELECT 1 + floor(random() * 7 + 0 * i.position)::int AS k) p;
INSERT INTO orders (id, customer_id, owner_id, status, delivery_date, contract_value, handed_off_at, handed_off_by_id,
                    confirmation_due_at, confirmed_at, confirmed_by_id, return_reason, returned_at, cancelled_at,
                    completed_at, created_at, updated_at, version)
SELECT o.id, o.customer_id, o.owner_id, o.status, (o.created_at + interval '30 days' + o.u * interval '60 days')::date,
       v.value, o.handed_off_at, CASE WHEN o.handed_off_at IS NOT NULL THEN o.owner_id END,
       o.handed_off_at + interval '24 hours', o.confirmed_at,
              CASE WHEN o.confirmed_at IS NOT NULL THEN :lead_service END,
       CASE WHEN o.status = 'RETURNED' THEN {_pick("return_reasons", "o.u")} END,
       CASE WHEN o.status = 'RETURNED' THEN o.handed_off_at + o.a END,
       CASE WHEN o.status = 'CANCELLED' THEN o.handed_off_at + o.a / 2 END, o.completed_at, o.created_at,
       greatest(o.created_at, o.handed_off_at, o.confirmed_at, o.completed_at,
                CASE WHEN o.status IN ('RETURNED', 'CANCELLED') THEN o.handed_off_at + o.a END),
       1 + (o.handed_off_at IS NOT NULL)::int + (o.status NOT IN ('DRAFT', 'HANDED_OFF'))::int
         + (o.status IN ('IN_SERVICE', 'COMPLETED'))::int + (o.status = 'COMPLETED')::int
FROM bulk_orders o
JOIN (SELECT i.order_id, sum(i.quantity * (CAST(:prices AS numeric[]))[i.k]) AS value
      FROM bulk_items i GROUP BY i.order_id) v ON v.order_id = o.id
ORDER BY o.created_at;
INSERT INTO order_items (id, order_id, position, product_model, quantity, unit_price)
SELECT gen_random_uuid(), order_id, position, (CAST(:products AS text[]))[k], quantity, (CAST(:prices AS numeric[]))[k]
FROM bulk_items
"""

# An order's jobs: installation in [20 %, 50 %] of its service time, training (half of them) in [60 %, 90 %];
# then standalone jobs of every other kind. The status is what has passed by now.
_JOBS = f"""
CREATE TEMP TABLE bulk_jobs ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, o.id AS order_id, o.customer_id, o.sample,
       CASE k.job WHEN 1 THEN 'INSTALLATION' ELSE 'TRAINING' END AS kind,
       least(o.confirmed_at + interval '1 hour', {_TS}) AS created_at,
       o.confirmed_at + o.d * CASE k.job WHEN 1 THEN 0.2 ELSE 0.6 END AS s,
       o.confirmed_at + o.d * CASE k.job WHEN 1 THEN 0.5 ELSE 0.9 END AS e,
       NULL::timestamptz AS cancel_at, o.status = 'COMPLETED' AS must_pass
FROM bulk_orders o, generate_series(1, 1 + (o.u < 0.5)::int) k(job) WHERE o.confirmed_at IS NOT NULL
UNION ALL
SELECT gen_random_uuid(), NULL, j.customer_id, j.sample, j.kind,
       greatest(least(j.s - interval '7 days', {_TS} - interval '1 hour'), j.since), j.s, j.s + interval '4 hours',
       CASE WHEN j.fate < 0.08 THEN greatest(least(j.s - interval '7 days', {_TS} - interval '1 hour'), j.since)
                                    + interval '1 hour' END, false
FROM (SELECT c.id AS customer_id, c.sample, c.since, random() AS fate,
             (ARRAY['MAINTENANCE', 'REPAIR', 'INSPECTION',
                    'COMMISSIONING'])[1 + floor(random() * 4 + 0 * g)::int] AS kind,
             greatest(c.since, {_START}) + random() * ({_TS} + interval '14 days' - greatest(c.since, {_START})) AS s
      FROM bulk_customers c, generate_series(1, (c.orders > 0)::int * (c.n % 4)) g) j;
INSERT INTO service_jobs (id, order_id, customer_id, kind, status, technician_id, scheduled_start, scheduled_end,
                          started_at, completed_at, cancelled_at, quality_result, notes, created_at, updated_at,
                                 version)
SELECT id, order_id, customer_id, kind, status, (CAST(:technicians AS uuid[]))[1 + floor(random() * 2)::int], s, e,
       CASE WHEN status IN ('IN_PROGRESS', 'COMPLETED') THEN s END, CASE WHEN status = 'COMPLETED' THEN e END,
       CASE WHEN status = 'CANCELLED' THEN cancel_at END, quality,
       CASE WHEN quality = 'FAILED' THEN {_pick("failed_notes")} END, created_at,
       CASE status WHEN 'COMPLETED' THEN e WHEN 'IN_PROGRESS' THEN s WHEN 'CANCELLED' THEN cancel_at
                   ELSE created_at END,
       CASE status WHEN 'COMPLETED' THEN 3 WHEN 'SCHEDULED' THEN 1 ELSE 2 END
FROM (SELECT *, CASE WHEN status = 'COMPLETED' THEN CASE WHEN must_pass OR random() >= 0.1 THEN 'PASSED'
                                                        ELSE 'FAILED' END END AS quality
      FROM (SELECT *, CASE WHEN cancel_at IS NOT NULL THEN 'CANCELLED' WHEN e <= {_TS} THEN 'COMPLETED'
                           WHEN s <= {_TS} THEN 'IN_PROGRESS' ELSE 'SCHEDULED' END AS status
            FROM bulk_jobs) x) y
ORDER BY y.created_at
"""

# f / res: when the first response and the resolution come, as a share of their SLA windows (about
# one in six late); one ticket of every tenth customer is the open backlog of the last two weeks, its
# statuses in turn (so even a small N has every status).
_TICKETS = f"""
CREATE TEMP TABLE bulk_tickets_raw ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, c.id AS customer_id, c.sample, g, g = 1 AND c.n % 10 = 0 AS backlog, c.n / 10 AS turn,
       random() AS rk,
       random() AS rp, random() AS rc, random() < 0.5 AS linked,
       greatest(c.since, {_START}) + random() * ({_TS} - greatest(c.since, {_START})) AS at,
       0.05 + 1.3 * random() ^ 2 AS f, 0.1 + 1.4 * random() ^ 2 AS res, interval '1 day' * (1 + random() * 4) AS close
FROM bulk_customers c, generate_series(1, c.tickets) g;
CREATE TEMP TABLE bulk_tickets ON COMMIT DROP AS
SELECT *, CASE WHEN backlog THEN (ARRAY['NEW', 'ACKNOWLEDGED', 'IN_PROGRESS', 'ESCALATED', 'REOPENED'])[1 + turn % 5]
               WHEN resolve_at + close <= {_TS} THEN 'CLOSED' WHEN resolve_at <= {_TS} THEN 'RESOLVED'
               WHEN respond_at > {_TS} THEN 'NEW'
               ELSE (ARRAY['ACKNOWLEDGED', 'IN_PROGRESS', 'IN_PROGRESS', 'ESCALATED'])[1 + g % 4] END AS status
FROM (SELECT r.*, p.first_response_minutes AS fr, p.resolution_minutes AS rm, k.kind, k.priority, k.created_at,
             k.created_at + least(r.f * p.first_response_minutes, r.res * p.resolution_minutes / 2)
               * CASE WHEN r.backlog THEN 0 ELSE 1 END * interval '1 minute'
               + CASE WHEN r.backlog THEN ({_TS} - k.created_at) / 2 ELSE interval '0' END AS respond_at,
             k.created_at + r.res * p.resolution_minutes * interval '1 minute' AS resolve_at
      FROM bulk_tickets_raw r
      CROSS JOIN LATERAL (
        SELECT CASE WHEN r.rk < 0.3 THEN 'INQUIRY' WHEN r.rk < 0.45 THEN 'COMPLAINT' WHEN r.rk < 0.65
                    THEN 'QUALITY_ISSUE' WHEN r.rk < 0.95 THEN 'SERVICE_REQUEST' ELSE 'SUGGESTION' END AS kind,
               CASE WHEN r.rp < 0.2 THEN 'LOW' WHEN r.rp < 0.7 THEN 'NORMAL' WHEN r.rp < 0.92 THEN 'HIGH'
                    ELSE 'URGENT' END AS priority,
               CASE WHEN r.backlog THEN {_TS} - (r.rc * 13 + 0.1) * interval '1 day' ELSE r.at END AS created_at) k
      JOIN sla_policies p ON p.priority = k.priority) t;
ALTER TABLE bulk_tickets ADD COLUMN order_id uuid;
UPDATE bulk_tickets t SET order_id = (SELECT o.id FROM bulk_orders o WHERE o.customer_id = t.customer_id
                                      AND o.created_at < t.created_at ORDER BY o.created_at DESC LIMIT 1)
WHERE t.linked;
INSERT INTO tickets (id, customer_id, order_id, kind, priority, status, subject, description, assignee_id,
                     created_by_id, created_at, updated_at, sla_started_at, first_response_due_at, resolution_due_at,
                     first_responded_at, resolved_at, closed_at, root_cause_code, resolution_summary, version)
SELECT id, customer_id, order_id, kind, priority, status, subject, subject || ' (reported by the customer)',
       CASE WHEN status <> 'NEW' OR rc < 0.5
            THEN (CAST(:service AS uuid[]))[1 + g % cardinality(CAST(:service AS uuid[]))] END,
       CASE WHEN g % 10 < 3 THEN (CAST(:sellers AS uuid[]))[1 + g % cardinality(CAST(:sellers AS uuid[]))]
            ELSE :lead_service END,
       created_at, greatest(created_at, responded, resolved, closed), created_at,
       created_at + fr * interval '1 minute', created_at + rm * interval '1 minute', responded, resolved, closed,
       CASE WHEN resolved IS NOT NULL THEN CASE kind
         WHEN 'QUALITY_ISSUE' THEN (ARRAY['PRODUCT_DEFECT', 'PRODUCT_DEFECT', 'PRODUCT_DEFECT', 'INSTALLATION',
                'OTHER'])[1 + floor(rc * 5)::int]
         WHEN 'COMPLAINT' THEN (ARRAY['LOGISTICS', 'INSTALLATION', 'PRODUCT_DEFECT', 'DOCUMENTATION',
                'OTHER'])[1 + floor(rc * 5)::int]
         WHEN 'SERVICE_REQUEST' THEN (ARRAY['INSTALLATION', 'USAGE', 'USAGE', 'OTHER'])[1 + floor(rc * 4)::int]
         ELSE (ARRAY['USAGE', 'USAGE', 'DOCUMENTATION', 'OTHER'])[1 + floor(rc * 4)::int] END END,
       CASE WHEN resolved IS NOT NULL THEN {_pick("resolutions", "rc")} END,
       1 + (responded IS NOT NULL)::int + (resolved IS NOT NULL)::int + (closed IS NOT NULL)::int
         + (status IN ('ESCALATED', 'REOPENED', 'IN_PROGRESS'))::int
FROM (SELECT *, initcap(replace(lower(kind), '_', ' ')) || ': ' || {_pick("topics", "rp")} AS subject,
             CASE WHEN status <> 'NEW' THEN respond_at END AS responded,
             CASE WHEN status IN ('RESOLVED', 'CLOSED') THEN resolve_at END AS resolved,
             CASE WHEN status = 'CLOSED' THEN resolve_at + close END AS closed
      FROM bulk_tickets) t
ORDER BY t.created_at;
INSERT INTO escalations (id, ticket_id, reason, requested_by_id, requested_at, status, version)
SELECT gen_random_uuid(), t.id, 'Needs the product team: ' || t.subject, :lead_service, t.first_responded_at, 'OPEN', 1
FROM tickets t JOIN bulk_tickets b ON b.id = t.id WHERE t.status = 'ESCALATED'
"""

# Scores follow what happened: a late resolution or a failed check scores low more often.
_LOW, _HIGH = "ARRAY[1, 2, 2, 3, 3, 4]", "ARRAY[3, 4, 4, 5, 5, 5]"
_FEEDBACK = f"""
CREATE TEMP TABLE bulk_feedback ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, customer_id, order_id, ticket_id, source, score, recorded_by_id, recorded_at,
       NULL::uuid AS survey_id
FROM (SELECT t.customer_id, t.order_id, t.id AS ticket_id, 'TICKET' AS source, :lead_service AS recorded_by_id,
             (CASE WHEN t.resolved_at > t.resolution_due_at THEN {_LOW} ELSE {_HIGH} END)
               [1 + floor(random() * 6)::int] AS score,
             t.resolved_at + interval '1 hour' * (2 + random() * 70) AS recorded_at
      FROM tickets t JOIN bulk_tickets b ON b.id = t.id WHERE t.resolved_at IS NOT NULL AND random() < 0.3
      UNION ALL
      SELECT j.customer_id, j.order_id, NULL, 'SERVICE_JOB', j.technician_id,
             (CASE WHEN j.quality_result = 'FAILED' THEN {_LOW} ELSE {_HIGH} END)[1 + floor(random() * 6)::int],
             j.completed_at + interval '1 hour' * (4 + random() * 68)
      FROM service_jobs j JOIN bulk_jobs b ON b.id = j.id WHERE j.status = 'COMPLETED' AND random() < 0.4
      UNION ALL
      SELECT o.customer_id, o.id, NULL, 'RETURN_VISIT', o.owner_id, (ARRAY[2, 3, 4, 4, 5,
             5])[1 + floor(random() * 6)::int],
             o.completed_at + interval '1 day' * (7 + random() * 13)
      FROM bulk_orders o WHERE o.completed_at IS NOT NULL AND random() < 0.3) f
WHERE recorded_at <= {_TS};
CREATE TEMP TABLE bulk_surveys ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, m, opens, opens + interval '21 days' AS closes,
       CASE WHEN m < 0 THEN 'DRAFT' WHEN opens + interval '21 days' <= {_TS} THEN 'CLOSED' ELSE 'OPEN' END AS status
FROM (SELECT m, date_trunc('month', {_TS}, 'UTC') - m * interval '1 month' AS opens FROM generate_series(-1, 11) m) s;
INSERT INTO surveys (id, title, status, opens_at, closes_at, opened_at, closed_at, created_by_id, created_at,
                     updated_at, version)
SELECT id, 'Satisfaction survey ' || to_char(opens, 'FMMonth YYYY'), status, opens, closes,
       CASE WHEN status <> 'DRAFT' THEN opens END, CASE WHEN status = 'CLOSED' THEN closes END, :lead_marketing,
       least(opens - interval '5 days', {_TS}), least(CASE status WHEN 'CLOSED' THEN closes WHEN 'OPEN' THEN opens
       ELSE opens - interval '5 days' END, {_TS}), CASE status WHEN 'CLOSED' THEN 3 WHEN 'OPEN' THEN 2 ELSE 1 END
FROM bulk_surveys ORDER BY opens;
CREATE TEMP TABLE bulk_targets ON COMMIT DROP AS
SELECT s.id AS survey_id, s.status, s.opens, least(s.closes, {_TS}) AS until, c.id AS customer_id, c.owner_id
FROM bulk_surveys s JOIN bulk_customers c ON c.since < s.opens AND c.stage IN ('ACTIVE', 'DORMANT')
WHERE random() < 0.25;
INSERT INTO survey_targets (survey_id, customer_id) SELECT survey_id, customer_id FROM bulk_targets;
INSERT INTO bulk_feedback
SELECT gen_random_uuid(), customer_id, NULL, NULL, 'SURVEY', (ARRAY[1, 2, 3, 3, 4, 4, 4, 5, 5,
       5])[1 + floor(random() * 10)::int],
       owner_id, opens + random() * (until - opens), survey_id
FROM bulk_targets WHERE status <> 'DRAFT' AND random() < CASE status WHEN 'CLOSED' THEN 0.6 ELSE 0.3 END;
INSERT INTO feedback (id, customer_id, order_id, ticket_id, source, score, comment, recorded_by_id, recorded_at,
       survey_id)
SELECT id, customer_id, order_id, ticket_id, source, score, (CAST(:comments AS text[]))[score], recorded_by_id,
       recorded_at, survey_id
FROM bulk_feedback ORDER BY recorded_at
"""

# Action items from low scores, surveys, defect reviews and a monthly supervision round; each goes as
# far as its durations have carried it by now (a few are cancelled, some done but not yet verified).
_ACTIONS = f"""
CREATE TEMP TABLE bulk_actions ON COMMIT DROP AS
SELECT *, created_at + interval '1 day' * (0.5 + random() * 2.5) AS started,
       interval '1 day' * (1 + random() * 12) AS work, interval '1 day' * (1 + random() * 3) AS check_after,
       random() AS fate
FROM (SELECT CASE WHEN f.survey_id IS NULL THEN 'FEEDBACK' ELSE 'SURVEY' END AS source, f.customer_id,
             f.id AS feedback_id, f.ticket_id, f.survey_id, f.recorded_at + interval '4 hours' AS created_at,
             CASE WHEN f.source IN ('TICKET', 'SERVICE_JOB') THEN :lead_service ELSE :lead_marketing END AS owner_id,
             'Follow up the score of ' || f.score || ' (' || lower(replace(f.source, '_', ' ')) || ')' AS title,
             NULL AS forced
      FROM bulk_feedback f WHERE f.score <= 2 AND random() < 0.5
      UNION ALL
      SELECT 'ROOT_CAUSE_REVIEW', t.customer_id, NULL, t.id, NULL, t.resolved_at + interval '1 day', :lead_service,
             'Review the defect behind ' || t.number, NULL
      FROM tickets t JOIN bulk_tickets b ON b.id = t.id
      WHERE t.root_cause_code = 'PRODUCT_DEFECT' AND t.kind IN ('COMPLAINT', 'QUALITY_ISSUE') AND random() < 0.15
      UNION ALL
      SELECT 'SUPERVISION', NULL, NULL, NULL, NULL,
             CASE m WHEN 0 THEN {_TS} - interval '1 hour' WHEN 1 THEN {_TS} - interval '4 days'
                    ELSE date_trunc('month', {_TS}, 'UTC') - m * interval '1 month' + interval '2 days' END,
             CASE WHEN m % 2 = 0 THEN :lead_service ELSE :lead_marketing END,
             'Supervision findings ' || to_char({_TS} - m * interval '1 month', 'YYYY-MM'),
             -- this week's findings: one not started yet, one under way, whatever the clock
             (ARRAY['OPEN', 'IN_PROGRESS'])[m + 1]
      FROM generate_series(0, 11) m) a
WHERE created_at <= {_TS};
INSERT INTO action_items (id, title, description, source, status, owner_id, due_at, customer_id, feedback_id, ticket_id,
                          survey_id, outcome, started_at, completed_at, verified_by_id, verified_at, verification_note,
                          cancelled_at, created_by_id, created_at, updated_at, version)
SELECT gen_random_uuid(), title, 'Find the cause and agree a fix with the customer', source, status, owner_id,
       created_at + interval '14 days', customer_id, feedback_id, ticket_id, survey_id,
       CASE WHEN status IN ('DONE', 'VERIFIED') THEN {_pick("outcomes", "fate")} END,
       CASE WHEN status IN ('IN_PROGRESS', 'DONE', 'VERIFIED') THEN started END,
       CASE WHEN status IN ('DONE', 'VERIFIED') THEN started + work END,
       CASE WHEN status = 'VERIFIED' THEN :supervisor END,
              CASE WHEN status = 'VERIFIED' THEN started + work + check_after END,
       CASE WHEN status = 'VERIFIED' THEN 'No repeat of the problem since the fix' END,
       CASE WHEN status = 'CANCELLED' THEN created_at + interval '2 days' END, :supervisor, created_at,
       CASE status WHEN 'VERIFIED' THEN started + work + check_after WHEN 'DONE' THEN started + work
                   WHEN 'IN_PROGRESS' THEN started WHEN 'CANCELLED' THEN created_at + interval '2 days'
                   ELSE created_at END,
       CASE status WHEN 'VERIFIED' THEN 4 WHEN 'DONE' THEN 3 WHEN 'OPEN' THEN 1 ELSE 2 END
FROM (SELECT *, CASE WHEN forced IS NOT NULL THEN forced
                     WHEN fate < 0.07 AND created_at + interval '2 days' <= {_TS} THEN 'CANCELLED'
                     WHEN fate < 0.85 AND started + work + check_after <= {_TS} THEN 'VERIFIED'
                     WHEN started + work <= {_TS} THEN 'DONE' WHEN started <= {_TS} THEN 'IN_PROGRESS'
                     ELSE 'OPEN' END AS status
      FROM bulk_actions) a
ORDER BY a.created_at;
INSERT INTO sales_targets (id, department, user_id, period_start, period_end, amount, created_at, updated_at, version)
SELECT gen_random_uuid(), 'MARKETING', owner, month::date, (month + interval '1 month' - interval '1 day')::date,
       round(sold * CAST(0.9 + random() * 0.3 AS numeric), -3) + 1000, {_TS}, {_TS}, 1
FROM (SELECT date_trunc('month', o.confirmed_at, 'UTC') AS month, CAST(NULL AS uuid) AS owner,
       sum(x.contract_value) AS sold
      FROM bulk_orders o JOIN orders x ON x.id = o.id WHERE o.confirmed_at IS NOT NULL GROUP BY 1
      UNION ALL
      SELECT date_trunc('month', o.confirmed_at, 'UTC'), o.owner_id, sum(x.contract_value)
      FROM bulk_orders o JOIN orders x ON x.id = o.id WHERE o.confirmed_at IS NOT NULL GROUP BY 1, 2) s
"""

STEPS = (
    ("customers", _CUSTOMERS),
    ("orders", _ORDERS),
    ("service jobs", _JOBS),
    ("tickets", _TICKETS),
    ("feedback and surveys", _FEEDBACK),
    ("action items and sales targets", _ACTIONS),
    *HISTORY_STEPS,
)
COUNTED = (
    "customers",
    "contacts",
    "orders",
    "order_items",
    "service_jobs",
    "tickets",
    "escalations",
    "feedback",
    "surveys",
    "survey_targets",
    "action_items",
    "sales_targets",
    "activity",
    "events",
)


async def seed(session: AsyncSession, params: dict[str, Any], on_step: Any = None) -> None:
    """Run every step in the session's transaction (the caller commits). `on_step(name)` after each."""
    await session.execute(text("SET LOCAL TIME ZONE 'UTC'"))
    await session.execute(text("SELECT setseed(:seed)"), {"seed": params["seed"]})
    for name, script in STEPS:
        for statement in script.split(";\n"):
            if statement.strip():
                used = {k: v for k, v in params.items() if f":{k}" in statement}
                # A lone uuid is typed, so asyncpg's statement gets `$n::UUID` (arrays are CAST in the SQL).
                typed = [bindparam(k, type_=Uuid()) for k, v in used.items() if isinstance(v, uuid.UUID)]
                await session.execute(text(statement).bindparams(*typed), used)
        if on_step is not None:
            on_step(name)


async def counts(session: AsyncSession) -> dict[str, int]:
    """Rows per table of the bulk demo (every row, not only the demo's)."""
    sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in COUNTED)
    row = (await session.execute(text(sql))).one()
    return dict(zip(COUNTED, (int(v) for v in row), strict=True))


async def analyze(session: AsyncSession) -> None:
    """Refresh the planner's statistics of every table the bulk demo wrote."""
    for table in COUNTED:
        await session.execute(text(f"ANALYZE {table}"))
    await session.commit()
