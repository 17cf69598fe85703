"""Tickets' write side: the inputs and payloads of the ticket, consultation, SLA-policy and root-cause
mutations."""

from __future__ import annotations

import strawberry

from schema.types.common import UserError
from schema.types.tickets import CommentVisibility, RootCauseCategory, SlaPolicy, Ticket, TicketKind, TicketPriority


@strawberry.input
class OpenTicketInput:
    customer_id: strawberry.ID
    kind: TicketKind
    priority: TicketPriority
    subject: str
    description: str
    order_id: strawberry.ID | None = None
    idempotency_key: str | None = None


@strawberry.input
class ReportServiceJobProblemInput:
    service_job_id: strawberry.ID
    subject: str
    description: str
    priority: TicketPriority = TicketPriority.NORMAL
    idempotency_key: str | None = None


@strawberry.input
class TicketActionInput:
    ticket_id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class AssignTicketInput:
    ticket_id: strawberry.ID
    assignee_id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class CommentInput:
    ticket_id: strawberry.ID
    body: str
    visibility: CommentVisibility


@strawberry.input
class ChangeTicketPriorityInput:
    ticket_id: strawberry.ID
    priority: TicketPriority
    expected_version: int | None = None


@strawberry.input
class EscalateTicketInput:
    ticket_id: strawberry.ID
    reason: str
    participant_ids: list[strawberry.ID]
    expected_version: int | None = None


@strawberry.input
class EscalationNoteInput:
    ticket_id: strawberry.ID
    body: str


@strawberry.input
class CloseEscalationInput:
    ticket_id: strawberry.ID
    plan: str
    expected_version: int | None = None


@strawberry.input
class ResolveTicketInput:
    ticket_id: strawberry.ID
    root_cause: str = strawberry.field(description="Code of an active root-cause category.")
    resolution_summary: str
    expected_version: int | None = None


@strawberry.input
class UpdateSlaPolicyInput:
    priority: TicketPriority
    first_response_minutes: int
    resolution_minutes: int
    expected_version: int | None = None


@strawberry.input
class UpsertRootCauseCategoryInput:
    code: str
    label: str
    active: bool = True


@strawberry.type
class TicketPayload:
    ticket: Ticket | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SlaPolicyPayload:
    sla_policy: SlaPolicy | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RootCauseCategoryPayload:
    root_cause_category: RootCauseCategory | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
