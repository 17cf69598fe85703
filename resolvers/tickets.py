"""Ticket, consultation, SLA-policy and root-cause queries and mutations (after-sale)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any, Protocol

from db.models import Ticket as TicketRow
from db.repositories import tickets as tickets_repo
from resolvers.mutation_boundary import Answer, create_once
from resolvers.pages import page
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.types.common import Connection, page_window
from schema.types.tickets import (
    Escalation,
    EscalationStatus,
    RootCauseCategory,
    SlaPolicy,
    Ticket,
    TicketFilter,
    TicketsOrderBy,
    ticket_connection,
)
from schema.types.tickets_inputs import (
    AssignTicketInput,
    ChangeTicketPriorityInput,
    CloseEscalationInput,
    CommentInput,
    EscalateTicketInput,
    EscalationNoteInput,
    OpenTicketInput,
    ReportServiceJobProblemInput,
    ResolveTicketInput,
    RootCauseCategoryPayload,
    SlaPolicyPayload,
    TicketActionInput,
    TicketPayload,
    UpdateSlaPolicyInput,
    UpsertRootCauseCategoryInput,
)
from services import escalations as escalation_service
from services import ticket_settings
from services import tickets as service
from services.rules.tickets import TICKET_PRIORITIES
from services.tickets import NewTicket
from services.unit_of_work import UnitOfWork

# ----------------------------------------------------------------------------- queries


async def tickets(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: TicketFilter | None = None,
    order_by: TicketsOrderBy = TicketsOrderBy.CREATED_AT_DESC,
) -> Connection[Ticket]:
    """Tickets, newest first (the live board) unless `orderBy` says otherwise."""
    return await ticket_connection(info, page_window(first, after, last, before), filter, order_by=order_by)


async def escalations(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    status: EscalationStatus | None = None,
) -> Connection[Escalation]:
    """Joint consultations, newest first."""
    value = status.value if status else None
    return await page(
        info, tickets_repo.escalations_page, Escalation.from_row, first, after, last, before, status=value
    )


async def root_cause_categories(info: Info, active: bool | None = None) -> list[RootCauseCategory]:
    """Root-cause categories by label; `active: true` for the ones a resolution may use."""
    rows = await info.context.read(lambda s: tickets_repo.root_causes(s, active=active))
    return [RootCauseCategory.from_row(r) for r in rows]


async def sla_policies(info: Info) -> list[SlaPolicy]:
    """The SLA policy per priority, most urgent first."""
    rows = await info.context.read(tickets_repo.sla_policies)
    return [SlaPolicy.from_row(r) for r in sorted(rows, key=lambda r: -TICKET_PRIORITIES.index(r.priority))]


# ----------------------------------------------------------------------------- mutations


_ticket = Answer(TicketPayload, ticket=Ticket.from_row)


class _AboutATicket(Protocol):
    @property
    def ticket_id(self) -> str: ...


def _id(input: _AboutATicket) -> uuid.UUID:
    return decode_id(input.ticket_id, "Ticket", "ticketId")


async def open_ticket(info: Info, input: OpenTicketInput) -> TicketPayload:
    def request() -> NewTicket:
        return NewTicket(
            customer_id=decode_id(input.customer_id, "Customer", "customerId"),
            order_id=decode_optional_id(input.order_id, "Order", "orderId"),
            kind=input.kind.value,
            priority=input.priority.value,
            subject=input.subject,
            description=input.description,
        )

    action = create_once("openTicket", input.idempotency_key, request, service.open_ticket, tickets_repo.get)
    return await _ticket(info, action)


async def report_service_job_problem(info: Info, input: ReportServiceJobProblemInput) -> TicketPayload:
    def request() -> dict[str, Any]:
        return {
            "job": decode_id(input.service_job_id, "ServiceJob", "serviceJobId"),
            "subject": input.subject,
            "description": input.description,
            "priority": input.priority.value,
        }

    def report(uow: UnitOfWork, request: dict[str, Any]) -> Awaitable[TicketRow]:
        return service.report_service_job_problem(
            uow, request["job"], subject=input.subject, description=input.description, priority=input.priority.value
        )

    action = create_once("reportServiceJobProblem", input.idempotency_key, request, report, tickets_repo.get)
    return await _ticket(info, action)


async def acknowledge_ticket(info: Info, input: TicketActionInput) -> TicketPayload:
    return await _ticket(info, lambda uow: service.acknowledge(uow, _id(input), input.expected_version))


async def assign_ticket(info: Info, input: AssignTicketInput) -> TicketPayload:
    return await _ticket(
        info,
        lambda uow: service.assign(
            uow, _id(input), decode_id(input.assignee_id, "User", "assigneeId"), input.expected_version
        ),
    )


async def start_ticket_work(info: Info, input: TicketActionInput) -> TicketPayload:
    return await _ticket(info, lambda uow: service.start_work(uow, _id(input), input.expected_version))


async def add_ticket_comment(info: Info, input: CommentInput) -> TicketPayload:
    return await _ticket(info, lambda uow: service.add_comment(uow, _id(input), input.body, input.visibility.value))


async def change_ticket_priority(info: Info, input: ChangeTicketPriorityInput) -> TicketPayload:
    return await _ticket(
        info, lambda uow: service.change_priority(uow, _id(input), input.priority.value, input.expected_version)
    )


async def escalate_ticket(info: Info, input: EscalateTicketInput) -> TicketPayload:
    async def action(uow: UnitOfWork) -> TicketRow:
        participants = [decode_id(p, "User", "participantIds", str(i)) for i, p in enumerate(input.participant_ids)]
        return await escalation_service.escalate(uow, _id(input), input.reason, participants, input.expected_version)

    return await _ticket(info, action)


async def add_escalation_note(info: Info, input: EscalationNoteInput) -> TicketPayload:
    return await _ticket(info, lambda uow: escalation_service.add_note(uow, _id(input), input.body))


async def close_escalation(info: Info, input: CloseEscalationInput) -> TicketPayload:
    return await _ticket(
        info, lambda uow: escalation_service.close_escalation(uow, _id(input), input.plan, input.expected_version)
    )


async def resolve_ticket(info: Info, input: ResolveTicketInput) -> TicketPayload:
    return await _ticket(
        info,
        lambda uow: service.resolve(
            uow, _id(input), input.root_cause, input.resolution_summary, input.expected_version
        ),
    )


async def close_ticket(info: Info, input: TicketActionInput) -> TicketPayload:
    return await _ticket(info, lambda uow: service.close(uow, _id(input), input.expected_version))


async def reopen_ticket(info: Info, input: TicketActionInput) -> TicketPayload:
    return await _ticket(info, lambda uow: service.reopen(uow, _id(input), input.expected_version))


_sla_policy = Answer(SlaPolicyPayload, sla_policy=SlaPolicy.from_row)


async def update_sla_policy(info: Info, input: UpdateSlaPolicyInput) -> SlaPolicyPayload:
    return await _sla_policy(
        info,
        lambda uow: ticket_settings.update_sla_policy(
            uow, input.priority.value, input.first_response_minutes, input.resolution_minutes, input.expected_version
        ),
    )


_root_cause_category = Answer(RootCauseCategoryPayload, root_cause_category=RootCauseCategory.from_row)


async def upsert_root_cause_category(info: Info, input: UpsertRootCauseCategoryInput) -> RootCauseCategoryPayload:
    return await _root_cause_category(
        info, lambda uow: ticket_settings.upsert_root_cause(uow, input.code, input.label, input.active)
    )
