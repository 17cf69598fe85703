"""Root fields of the after-sale part: tickets, joint consultations, SLA policies, root causes."""

from __future__ import annotations

import strawberry

from resolvers import tickets as r
from schema.permissions import Allowed
from schema.types.common import Connection
from schema.types.tickets import Escalation, RootCauseCategory, SlaPolicy, Ticket
from schema.types.tickets_inputs import RootCauseCategoryPayload, SlaPolicyPayload, TicketPayload
from services.access import Action

READ = [Allowed(Action.READ)]
PARTICIPATE = [Allowed(Action.TICKET_PARTICIPATE)]  # open, comment, reopen; post in a consultation (+ rule)
HANDLE = [Allowed(Action.TICKET_HANDLE)]  # acknowledge, assign, start, priority, escalate, resolve, close
SERVICE = [Allowed(Action.SERVICE_OPERATIONS)]  # a technician reports a problem from a service job
SLA = [Allowed(Action.TARGETS_AND_SLA)]
# Root-cause categories are admin-only reference data; the matrix has no row of its own for them, and
# MANAGE_ACCOUNTS is the action only admins hold.
ADMIN = [Allowed(Action.MANAGE_ACCOUNTS)]

# Types `node(id:)` resolves (comments and consultations are reached through their ticket only, so
# the visibility of internal comments is decided in one place).
NODE_TYPES = [Ticket]


@strawberry.type
class TicketsQuery:
    tickets: Connection[Ticket] = strawberry.field(resolver=r.tickets, permission_classes=READ)
    escalations: Connection[Escalation] = strawberry.field(resolver=r.escalations_query, permission_classes=READ)
    root_cause_categories: list[RootCauseCategory] = strawberry.field(
        resolver=r.root_cause_categories, permission_classes=READ
    )
    sla_policies: list[SlaPolicy] = strawberry.field(resolver=r.sla_policies, permission_classes=READ)


def _m(resolver, permissions):
    return strawberry.mutation(resolver=resolver, permission_classes=permissions)


@strawberry.type
class TicketsMutation:
    open_ticket: TicketPayload = _m(r.open_ticket, PARTICIPATE)
    report_service_job_problem: TicketPayload = _m(r.report_service_job_problem, SERVICE)
    acknowledge_ticket: TicketPayload = _m(r.acknowledge_ticket, HANDLE)
    assign_ticket: TicketPayload = _m(r.assign_ticket, HANDLE)
    start_ticket_work: TicketPayload = _m(r.start_ticket_work, HANDLE)
    add_ticket_comment: TicketPayload = _m(r.add_ticket_comment, PARTICIPATE)
    change_ticket_priority: TicketPayload = _m(r.change_ticket_priority, HANDLE)
    escalate_ticket: TicketPayload = _m(r.escalate_ticket, HANDLE)
    add_escalation_note: TicketPayload = _m(r.add_escalation_note, PARTICIPATE)
    close_escalation: TicketPayload = _m(r.close_escalation, HANDLE)
    resolve_ticket: TicketPayload = _m(r.resolve_ticket, HANDLE)
    close_ticket: TicketPayload = _m(r.close_ticket, HANDLE)
    reopen_ticket: TicketPayload = _m(r.reopen_ticket, PARTICIPATE)
    update_sla_policy: SlaPolicyPayload = _m(r.update_sla_policy, SLA)
    upsert_root_cause_category: RootCauseCategoryPayload = _m(r.upsert_root_cause_category, ADMIN)


Query = TicketsQuery
Mutation = TicketsMutation
