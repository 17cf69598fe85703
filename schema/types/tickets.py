"""Ticket, its SLA, comments, joint consultations (Escalation), root causes and SLA policies."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from db.models import Escalation as EscalationRow
from db.models import RootCauseCategory as RootCauseRow
from db.models import SlaPolicy as SlaPolicyRow
from db.models import Ticket as TicketRow
from db.models import TicketComment as CommentRow
from db.repositories import tickets as tickets_repo
from schema.ids import to_global_id
from schema.loaders import Loaders
from schema.types.accounts import User
from schema.types.common import Connection, connection, query_id
from schema.types.customers import Customer
from schema.types.orders import Order, ServiceJob
from services import sla
from services.access import Action, allowed


@Loaders.extend
def _loaders(loaders: Loaders) -> None:
    loaders.register("ticket", tickets_repo.by_ids, lambda r: str(r.id))
    loaders.register("escalation", tickets_repo.escalations_by_ids, lambda r: str(r.id))
    # Per ticket: the open consultation, else the latest one.
    loaders.register("ticket_escalation", tickets_repo.current_escalations, lambda r: str(r.ticket_id))
    loaders.register("ticket_root_cause", tickets_repo.root_causes_of_tickets, lambda r: str(r.id))
    loaders.register_grouped("escalation_participants", tickets_repo.participants_of, lambda r: str(r.escalation_id))
    loaders.register_grouped("escalation_notes", tickets_repo.notes_of, lambda r: str(r.escalation_id))


@strawberry.enum
class TicketKind(Enum):
    INQUIRY = "INQUIRY"
    COMPLAINT = "COMPLAINT"
    QUALITY_ISSUE = "QUALITY_ISSUE"
    SUGGESTION = "SUGGESTION"
    SERVICE_REQUEST = "SERVICE_REQUEST"


@strawberry.enum
class TicketPriority(Enum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


@strawberry.enum
class TicketStatus(Enum):
    NEW = "NEW"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    IN_PROGRESS = "IN_PROGRESS"
    ESCALATED = "ESCALATED"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REOPENED = "REOPENED"


SlaState = strawberry.enum(sla.SlaState, name="SlaState")


@strawberry.enum
class CommentVisibility(Enum):
    INTERNAL = "INTERNAL"
    CUSTOMER = "CUSTOMER"


@strawberry.enum
class EscalationStatus(Enum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


def _may_read_internal(info: strawberry.Info) -> bool:
    return allowed(info.context.principal, Action.READ_INTERNAL_COMMENTS)


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
    _author_id: strawberry.Private[str]

    @strawberry.field
    async def author(self, info: strawberry.Info) -> User:
        return await info.context.loaders.load_optional("user", self._author_id, User.from_row)

    @classmethod
    def from_row(cls, row: CommentRow) -> Comment:
        return cls(
            id=strawberry.ID(to_global_id("Comment", row.id)),
            body=row.body,
            visibility=CommentVisibility(row.visibility),
            created_at=row.created_at,
            _author_id=str(row.author_id),
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
    _id: strawberry.Private[str]
    _ticket_id: strawberry.Private[str]
    _requested_by_id: strawberry.Private[str]
    _closed_by_id: strawberry.Private[str | None]

    @strawberry.field
    async def ticket(self, info: strawberry.Info) -> Ticket:
        return await info.context.loaders.load_optional("ticket", self._ticket_id, Ticket.from_row)

    @strawberry.field
    async def requested_by(self, info: strawberry.Info) -> User:
        return await info.context.loaders.load_optional("user", self._requested_by_id, User.from_row)

    @strawberry.field
    async def closed_by(self, info: strawberry.Info) -> User | None:
        return await info.context.loaders.load_optional("user", self._closed_by_id, User.from_row)

    @strawberry.field(description="Everyone at the table, by name.")
    async def participants(self, info: strawberry.Info) -> list[User]:
        return [User.from_row(r.User) for r in await info.context.loaders.group("escalation_participants", self._id)]

    @strawberry.field(description="Notes of the consultation, oldest first (internal: never shown to API keys).")
    async def notes(self, info: strawberry.Info) -> list[Comment]:
        if not _may_read_internal(info):
            return []
        return [Comment.from_row(r) for r in await info.context.loaders.group("escalation_notes", self._id)]

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
            _id=str(row.id),
            _ticket_id=str(row.ticket_id),
            _requested_by_id=str(row.requested_by_id),
            _closed_by_id=_str(row.closed_by_id),
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

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> Customer:
        return await info.context.loaders.load_optional("customer", self._row.customer_id, Customer.from_row)

    @strawberry.field
    async def order(self, info: strawberry.Info) -> Order | None:
        return await info.context.loaders.load_optional("order", _str(self._row.order_id), Order.from_row)

    @strawberry.field(description="The service job a technician reported this problem from.")
    async def service_job(self, info: strawberry.Info) -> ServiceJob | None:
        return await info.context.loaders.load_optional(
            "service_job", _str(self._row.service_job_id), ServiceJob.from_row
        )

    @strawberry.field
    async def assignee(self, info: strawberry.Info) -> User | None:
        return await info.context.loaders.load_optional("user", _str(self._row.assignee_id), User.from_row)

    @strawberry.field
    async def created_by(self, info: strawberry.Info) -> User:
        return await info.context.loaders.load_optional("user", self._row.created_by_id, User.from_row)

    @strawberry.field
    def sla(self, info: strawberry.Info) -> TicketSla:
        return TicketSla.of(self._row, info.context.clock.now())

    @strawberry.field(description="The open joint consultation, else the latest one; null if never escalated.")
    async def escalation(self, info: strawberry.Info) -> Escalation | None:
        return await info.context.loaders.load_optional("ticket_escalation", self.id, Escalation.from_row)

    @strawberry.field
    async def root_cause(self, info: strawberry.Info) -> RootCauseCategory | None:
        if self._row.root_cause_code is None:
            return None
        row = await info.context.loaders.row("ticket_root_cause", self.id)
        return RootCauseCategory.from_row(row.RootCauseCategory) if row is not None else None

    @strawberry.field(description="Replies, oldest first. Internal comments are not shown to API keys.")
    async def comments(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Comment]:
        ticket_id, internal = self._row.id, _may_read_internal(info)
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

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        return await info.context.loaders.load_many("ticket", node_ids, cls.from_row)


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


def ticket_filters(info: strawberry.Info, f: TicketFilter | None, **fixed) -> tickets_repo.TicketFilters:
    filters = tickets_repo.TicketFilters(**fixed)
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
    info: strawberry.Info, first: int | None, after: str | None, f: TicketFilter | None, **fixed
) -> Connection[Ticket]:
    """`tickets`, `Customer.tickets` (customer_id fixed) and `Order.tickets` (order_id fixed), newest first."""
    filters = ticket_filters(info, f, **fixed)
    return await connection(
        info, lambda s, size: tickets_repo.page(s, filters, first=size, after=after), first, Ticket.from_row
    )


async def customer_tickets(
    info: strawberry.Info, customer_id: str, first: int | None, after: str | None, f: TicketFilter | None
) -> Connection[Ticket]:
    return await ticket_connection(info, first, after, f, customer_id=uuid.UUID(customer_id))


async def order_tickets(
    info: strawberry.Info, order_id: str, first: int | None, after: str | None
) -> Connection[Ticket]:
    return await ticket_connection(info, first, after, None, order_id=uuid.UUID(order_id))
