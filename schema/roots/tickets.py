"""Root fields of the after-sale part: tickets, joint consultations, SLA policies, root causes."""

from __future__ import annotations

from resolvers import tickets as r
from schema.roots import mutations, queries
from schema.types.tickets import Ticket
from services.access import Action

PARTICIPATE = Action.TICKET_PARTICIPATE  # open, comment, reopen; post in a consultation (+ rule)
HANDLE = Action.TICKET_HANDLE  # acknowledge, assign, start, priority, escalate, resolve, close
SERVICE = Action.SERVICE_OPERATIONS  # a technician reports a problem from a service job
# Root-cause categories are admin-only reference data; the matrix has no row of its own for them, and
# MANAGE_ACCOUNTS is the action only admins hold.
ADMIN = Action.MANAGE_ACCOUNTS

# Types `node(id:)` resolves (comments and consultations are reached through their ticket only, so
# the visibility of internal comments is decided in one place).
NODE_TYPES = [Ticket]

Query = queries((Action.READ, r.tickets, r.escalations, r.root_cause_categories, r.sla_policies))

# In the order of a ticket's life, whoever acts on it at each step.
Mutation = mutations(
    (PARTICIPATE, r.open_ticket),
    (SERVICE, r.report_service_job_problem),
    (HANDLE, r.acknowledge_ticket, r.assign_ticket, r.start_ticket_work),
    (PARTICIPATE, r.add_ticket_comment),
    (HANDLE, r.change_ticket_priority, r.escalate_ticket),
    (PARTICIPATE, r.add_escalation_note),
    (HANDLE, r.close_escalation, r.resolve_ticket, r.close_ticket),
    (PARTICIPATE, r.reopen_ticket),
    (Action.TARGETS_AND_SLA, r.update_sla_policy),
    (ADMIN, r.upsert_root_cause_category),
)
