"""Tickets (after-sale): Ticket with its SLA, comments and joint consultations (Escalation), root causes,
SLA policies, the TicketFilter of ticket lists, and the enums of tickets."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay

from db.models import Escalation as EscalationRow
from db.models import RootCauseCategory as RootCauseRow
from db.models import SlaPolicy as SlaPolicyRow
from db.models import Ticket as TicketRow
from db.models import TicketComment as CommentRow
from db.repositories import tickets as tickets_repo
from schema.context import Info
from schema.ids import to_global_id
from schema.loaders import load_list, load_one, load_required, node_resolver
from schema.types.accounts import User
from schema.types.common import Connection, connection, query_id
from schema.types.customers import Customer, customer_field, may_read_internal
from schema.types.orders import Order, order_field
from schema.types.service_jobs import ServiceJob
from services import sla
from services.rules.tickets import CommentVisibility, EscalationStatus, TicketKind, TicketPriority, TicketStatus
from services.sla import SlaState

__all__ = [
    "Comment",
    "CommentVisibility",
    "Escalation",
    "EscalationStatus",
    "RootCauseCategory",
    "SlaPolicy",
    "SlaState",
    "Ticket",
    "TicketFilter",
    "TicketKind",
    "TicketPriority",
    "TicketSla",
    "TicketStatus",
    "ticket_connection",
]


@strawberry.type
class RootCauseCategory:
    code: str
    label: str
    active: bool
    version: int

    @classmethod
    def from_row(cls, row: RootCauseRow) -> RootCauseCategory:
        return cls(code=row.code, label=row.label, active=row.active, version=row.version)


@strawberry.type
class SlaPolicy:
    priority: TicketPriority
    first_response_minutes: int
    resolution_minutes: int
    version: int

    @classmethod
    def from_row(cls, row: SlaPolicyRow) -> SlaPolicy:
        return cls(
            priority=TicketPriority(row.priority),
            first_response_minutes=row.first_response_minutes,
            resolution_minutes=row.resolution_minutes,
            version=row.version,
        )


@strawberry.type(description="The ticket's two SLA clocks as of this request.")
class TicketSla:
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_response_state: SlaState
    resolution_state: SlaState
    state: SlaState = strawberry.field(
        description="Overall: BREACHED if either clock is, else AT_RISK if either "
        "is, else MET if both are, else ON_TRACK (TicketFilter.slaState)."
    )

    @classmethod
    def of(cls, row: TicketRow, now: datetime) -> TicketSla:
        return cls(
            first_response_due_at=row.first_response_due_at,
            resolution_due_at=row.resolution_due_at,
            first_response_state=sla.first_response_state(row, now),
            resolution_state=sla.resolution_state(row, now),
            state=sla.ticket_state(row, now),
        )


@strawberry.type
class Comment:
    id: strawberry.ID
    body: str
    visibility: CommentVisibility
    created_at: datetime
    _row: strawberry.Private[CommentRow]

    @strawberry.field
    async def author(self, info: Info) -> User:
        return await load_required(info.context.loaders.users, self._row.author_id, User.from_row)

    @classmethod
    def from_row(cls, row: CommentRow) -> Comment:
        return cls(
            id=strawberry.ID(to_global_id("Comment", row.id)),
            body=row.body,
            visibility=CommentVisibility(row.visibility),
            created_at=row.created_at,
            _row=row,
        )


@strawberry.type(description="A joint consultation (會診) of service with marketing and technical staff.")
class Escalation:
    id: strawberry.ID
    reason: str
    requested_at: datetime
    status: EscalationStatus
    plan: str | None
    closed_at: datetime | None
    version: int
    _row: strawberry.Private[EscalationRow]

    @strawberry.field
    async def ticket(self, info: Info) -> Ticket:
        return await load_required(info.context.loaders.tickets, self._row.ticket_id, Ticket.from_row)

    @strawberry.field
    async def requested_by(self, info: Info) -> User:
        return await load_required(info.context.loaders.users, self._row.requested_by_id, User.from_row)

    @strawberry.field
    async def closed_by(self, info: Info) -> User | None:
        return await load_one(info.context.loaders.users, self._row.closed_by_id, User.from_row)

    @strawberry.field(description="Everyone at the table, by name.")
    async def participants(self, info: Info) -> list[User]:
        return await load_list(info.context.loaders.participants_by_escalation, self._row.id, User.from_row)

    @strawberry.field(description="Notes of the consultation, oldest first (internal: never shown to API keys).")
    async def notes(self, info: Info) -> list[Comment]:
        if not may_read_internal(info):
            return []
        return await load_list(info.context.loaders.notes_by_escalation, self._row.id, Comment.from_row)

    @classmethod
    def from_row(cls, row: EscalationRow) -> Escalation:
        return cls(
            id=strawberry.ID(to_global_id("Escalation", row.id)),
            reason=row.reason,
            requested_at=row.requested_at,
            status=EscalationStatus(row.status),
            plan=row.plan,
            closed_at=row.closed_at,
            version=row.version,
            _row=row,
        )


@strawberry.type
class Ticket(relay.Node):
    id: relay.NodeID[str]
    number: str
    kind: TicketKind
    priority: TicketPriority
    status: TicketStatus
    subject: str
    description: str
    created_at: datetime
    updated_at: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution_summary: str | None
    version: int
    _row: strawberry.Private[TicketRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.tickets)  # node(id:)
    customer: Customer = customer_field()
    order: Order | None = order_field()

    @strawberry.field(description="The service job a technician reported this problem from.")
    async def service_job(self, info: Info) -> ServiceJob | None:
        return await load_one(info.context.loaders.service_jobs, self._row.service_job_id, ServiceJob.from_row)

    @strawberry.field
    async def assignee(self, info: Info) -> User | None:
        return await load_one(info.context.loaders.users, self._row.assignee_id, User.from_row)

    @strawberry.field
    async def created_by(self, info: Info) -> User:
        return await load_required(info.context.loaders.users, self._row.created_by_id, User.from_row)

    @strawberry.field
    def sla(self, info: Info) -> TicketSla:
        return TicketSla.of(self._row, info.context.clock.now())

    @strawberry.field(description="The open joint consultation, else the latest one; null if never escalated.")
    async def escalation(self, info: Info) -> Escalation | None:
        return await load_one(info.context.loaders.escalation_by_ticket, self._row.id, Escalation.from_row)

    @strawberry.field
    async def root_cause(self, info: Info) -> RootCauseCategory | None:
        if self._row.root_cause_code is None:
            return None
        return await load_one(info.context.loaders.root_cause_by_ticket, self._row.id, RootCauseCategory.from_row)

    @strawberry.field(description="Replies, oldest first. Internal comments are not shown to API keys.")
    async def comments(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Comment]:
        ticket_id, internal = self._row.id, may_read_internal(info)
        return await connection(
            info,
            lambda s, size: tickets_repo.comments_page(
                s, ticket_id, include_internal=internal, first=size, after=after
            ),
            first,
            Comment.from_row,
        )

    @classmethod
    def from_row(cls, row: TicketRow) -> Ticket:
        return cls(
            id=str(row.id),
            number=row.number,
            kind=TicketKind(row.kind),
            priority=TicketPriority(row.priority),
            status=TicketStatus(row.status),
            subject=row.subject,
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
            first_responded_at=row.first_responded_at,
            resolved_at=row.resolved_at,
            closed_at=row.closed_at,
            resolution_summary=row.resolution_summary,
            version=row.version,
            _row=row,
        )


@strawberry.input(description="Every field given narrows the list (all must hold); null or an empty list means any.")
class TicketFilter:
    status: list[TicketStatus] | None = None
    kind: list[TicketKind] | None = None
    priority: list[TicketPriority] | None = None
    assignee_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    sla_state: SlaState | None = strawberry.field(
        default=None, description="The overall state (TicketSla.state) as of this request."
    )
    escalated: bool | None = strawberry.field(default=None, description="Has (or had) a joint consultation.")
    search: str | None = strawberry.field(
        default=None, description="Ticket number, subject or customer name (case-insensitive, % and _ are literal)."
    )


def ticket_filters(
    info: Info, f: TicketFilter | None, *, customer_id: uuid.UUID | None = None, order_id: uuid.UUID | None = None
) -> tickets_repo.TicketFilters:
    """The repository's filters for a TicketFilter; `customer_id` / `order_id` fix the list to one customer's
    or one order's tickets (`Customer.tickets`, `Order.tickets`)."""
    filters = tickets_repo.TicketFilters(customer_id=customer_id, order_id=order_id)
    if f is None:
        return filters
    filters.status = [s.value for s in f.status or []]
    filters.kind = [k.value for k in f.kind or []]
    filters.priority = [p.value for p in f.priority or []]
    filters.assignee_id = query_id(f.assignee_id, "User", "filter.assigneeId")
    if f.customer_id is not None:
        cid = query_id(f.customer_id, "Customer", "filter.customerId")
        if filters.customer_id is not None and cid != filters.customer_id:
            cid = uuid.UUID(int=0)  # asked for another customer's tickets within this one's: none
        filters.customer_id = cid
    filters.escalated, filters.search = f.escalated, f.search
    if f.sla_state is not None:
        filters.sla = sla.ticket_state_is(f.sla_state.value, info.context.clock.now())
    return filters


async def ticket_connection(
    info: Info,
    first: int | None,
    after: str | None,
    f: TicketFilter | None,
    *,
    customer_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
) -> Connection[Ticket]:
    """`tickets`, `Customer.tickets` (customer_id fixed) and `Order.tickets` (order_id fixed), newest first."""
    filters = ticket_filters(info, f, customer_id=customer_id, order_id=order_id)
    return await connection(
        info, lambda s, size: tickets_repo.page(s, filters, first=size, after=after), first, Ticket.from_row
    )
