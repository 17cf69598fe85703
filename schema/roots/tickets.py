"""Root fields of the after-sale part: tickets, joint consultations, SLA policies, root causes."""

from __future__ import annotations

import strawberry

from resolvers import tickets as r
from schema.roots import mutation, query
from schema.types.common import Connection
from schema.types.tickets import Escalation, RootCauseCategory, SlaPolicy, Ticket
from schema.types.tickets_inputs import RootCauseCategoryPayload, SlaPolicyPayload, TicketPayload
from services.access import Action

PARTICIPATE = Action.TICKET_PARTICIPATE  # open, comment, reopen; post in a consultation (+ rule)
HANDLE = Action.TICKET_HANDLE  # acknowledge, assign, start, priority, escalate, resolve, close
SERVICE = Action.SERVICE_OPERATIONS  # a technician reports a problem from a service job
SLA = Action.TARGETS_AND_SLA
# Root-cause categories are admin-only reference data; the matrix has no row of its own for them, and
# MANAGE_ACCOUNTS is the action only admins hold.
ADMIN = Action.MANAGE_ACCOUNTS

# Types `node(id:)` resolves (comments and consultations are reached through their ticket only, so
# the visibility of internal comments is decided in one place).
NODE_TYPES = [Ticket]


@strawberry.type
class Query:
    tickets: Connection[Ticket] = query(r.tickets, Action.READ)
    escalations: Connection[Escalation] = query(r.escalations_query, Action.READ)
    root_cause_categories: list[RootCauseCategory] = query(r.root_cause_categories, Action.READ)
    sla_policies: list[SlaPolicy] = query(r.sla_policies, Action.READ)


@strawberry.type
class Mutation:
    open_ticket: TicketPayload = mutation(r.open_ticket, PARTICIPATE)
    report_service_job_problem: TicketPayload = mutation(r.report_service_job_problem, SERVICE)
    acknowledge_ticket: TicketPayload = mutation(r.acknowledge_ticket, HANDLE)
    assign_ticket: TicketPayload = mutation(r.assign_ticket, HANDLE)
    start_ticket_work: TicketPayload = mutation(r.start_ticket_work, HANDLE)
    add_ticket_comment: TicketPayload = mutation(r.add_ticket_comment, PARTICIPATE)
    change_ticket_priority: TicketPayload = mutation(r.change_ticket_priority, HANDLE)
    escalate_ticket: TicketPayload = mutation(r.escalate_ticket, HANDLE)
    add_escalation_note: TicketPayload = mutation(r.add_escalation_note, PARTICIPATE)
    close_escalation: TicketPayload = mutation(r.close_escalation, HANDLE)
    resolve_ticket: TicketPayload = mutation(r.resolve_ticket, HANDLE)
    close_ticket: TicketPayload = mutation(r.close_ticket, HANDLE)
    reopen_ticket: TicketPayload = mutation(r.reopen_ticket, PARTICIPATE)
    update_sla_policy: SlaPolicyPayload = mutation(r.update_sla_policy, SLA)
    upsert_root_cause_category: RootCauseCategoryPayload = mutation(r.upsert_root_cause_category, ADMIN)
