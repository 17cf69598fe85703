"""Tickets (after-sale): Ticket with its SLA, comments and joint consultations (Escalation), root causes,
SLA policies, the TicketFilter of ticket lists, and the enums of tickets."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from db.models import Escalation as EscalationRow
from db.models import RootCauseCategory as RootCauseRow
from db.models import SlaPolicy as SlaPolicyRow
from db.models import Ticket as TicketRow
from db.models import TicketComment as CommentRow
from db.repositories import activity as activity_repo
from db.repositories import tickets as tickets_repo
from db.repositories.pagination import Window
from schema.context import Info
from schema.loaders import load_list, node_resolver
from schema.types.accounts import User
from schema.types.common import (
    BadUserInput,
    Connection,
    FromRow,
    connection,
    may_read_internal,
    query_id,
    required,
    to_many,
    to_one,
    visible_page,
)
from schema.types.customers import Activity, Customer
from schema.types.orders import Order
from schema.types.service_jobs import ServiceJob
from services import sla
from services.clock import utc
from services.i18n import T
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
    "TicketsOrderBy",
    "ticket_connection",
]


@strawberry.type
class RootCauseCategory(FromRow[RootCauseRow]):
    code: str
    label: str
    active: bool
    version: int


@strawberry.type
class SlaPolicy(FromRow[SlaPolicyRow]):
    priority: TicketPriority
    first_response_minutes: int
    resolution_minutes: int
    version: int


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
class Comment(FromRow[CommentRow]):
    id: strawberry.ID
    body: str
    visibility: CommentVisibility
    created_at: datetime
    author: User = required("users", "author_id", lambda: User)
    _row: strawberry.Private[CommentRow]


@strawberry.type(description="A joint consultation (會診) of service with marketing and technical staff.")
class Escalation(FromRow[EscalationRow]):
    id: strawberry.ID
    reason: str
    requested_at: datetime
    status: EscalationStatus
    plan: str | None
    closed_at: datetime | None
    version: int
    ticket: Ticket = required("tickets", "ticket_id", lambda: Ticket)
    requested_by: User = required("users", "requested_by_id", lambda: User)
    closed_by: User | None = to_one("users", "closed_by_id", lambda: User)
    participants: list[User] = to_many(
        "participants_by_escalation", lambda: User, description="Everyone at the table, by name."
    )
    _row: strawberry.Private[EscalationRow]

    @strawberry.field(
        description="When the open consultation owes the customer its next visible progress update (every 24 h "
        "from its start or the latest customer-visible reply); null once closed."
    )
    async def customer_update_due_at(self, info: Info) -> datetime | None:
        if self._row.status != "OPEN":
            return None
        return await info.context.loaders.customer_update_due_by_escalation.load(self._row.id)

    @strawberry.field(description="Notes of the consultation, oldest first (internal: never shown to API keys).")
    async def notes(self, info: Info) -> list[Comment]:
        if not may_read_internal(info):
            return []
        return await load_list(info.context.loaders.notes_by_escalation, self._row.id, Comment.from_row)


def _sla(root: Any, info: Info) -> TicketSla:
    """`Ticket.sla`: its clocks as of this request."""
    return TicketSla.of(root._row, info.context.clock.now())


def _root_cause_key(row: TicketRow) -> uuid.UUID | None:
    """A ticket's key in `root_cause_by_ticket`; none (nothing to load) until it has a root cause."""
    return row.id if row.root_cause_code is not None else None


@strawberry.type
class Ticket(relay.Node, FromRow[TicketRow]):
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
    customer: Customer = required("customers", "customer_id", lambda: Customer)
    order: Order | None = to_one("orders", "order_id", lambda: Order)
    service_job: ServiceJob | None = to_one(
        "service_jobs",
        "service_job_id",
        lambda: ServiceJob,
        description="The service job a technician reported this problem from.",
    )
    assignee: User | None = to_one("users", "assignee_id", lambda: User)
    created_by: User = required("users", "created_by_id", lambda: User)
    sla: TicketSla = strawberry.field(resolver=_sla)
    escalation: Escalation | None = to_one(
        "escalation_by_ticket",
        "id",
        lambda: Escalation,
        description="The open joint consultation, else the latest one; null if never escalated.",
    )
    root_cause: RootCauseCategory | None = to_one("root_cause_by_ticket", _root_cause_key, lambda: RootCauseCategory)
    comments: Connection[Comment] = visible_page(
        lambda: tickets_repo.comments_page,
        lambda: Comment,
        description="Replies, oldest first. Internal comments are not shown to API keys.",
    )
    timeline: Connection[Activity] = visible_page(
        lambda: activity_repo.ticket_timeline,
        lambda: Activity,
        description="What happened to this ticket, oldest first.",
    )
    _row: strawberry.Private[TicketRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.tickets)  # node(id:)


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
    created_from: datetime | None = strawberry.field(default=None, description="Opened at or after this instant.")
    created_to: datetime | None = strawberry.field(
        default=None, description="Opened before this instant (the period is [createdFrom, createdTo))."
    )
    resolved_from: datetime | None = strawberry.field(
        default=None, description="Resolved at or after this instant (tickets never resolved are left out)."
    )
    resolved_to: datetime | None = strawberry.field(
        default=None, description="Resolved before this instant (the period is [resolvedFrom, resolvedTo))."
    )
    root_cause: str | None = strawberry.field(
        default=None, description="Code of the root-cause category the resolution named (as resolveTicket takes it)."
    )


@strawberry.enum(
    description="The order of a ticket list. Every order ends with the ticket's id, so pages are exact; a "
    "cursor is valid only with the orderBy that made it."
)
class TicketsOrderBy(Enum):
    CREATED_AT_DESC = strawberry.enum_value("CREATED_AT_DESC", description="Newest first (the default).")
    CREATED_AT_ASC = "CREATED_AT_ASC"
    PRIORITY_DESC = strawberry.enum_value(
        "PRIORITY_DESC", description="Most urgent first; newest first within a priority."
    )
    PRIORITY_ASC = strawberry.enum_value("PRIORITY_ASC", description="Least urgent first; oldest first within one.")
    RESOLUTION_DUE_AT_ASC = strawberry.enum_value(
        "RESOLUTION_DUE_AT_ASC", description="The SLA's resolution due time, soonest first."
    )
    RESOLUTION_DUE_AT_DESC = "RESOLUTION_DUE_AT_DESC"
    FIRST_RESPONSE_DUE_AT_ASC = strawberry.enum_value(
        "FIRST_RESPONSE_DUE_AT_ASC", description="The SLA's first-response due time, soonest first."
    )
    FIRST_RESPONSE_DUE_AT_DESC = "FIRST_RESPONSE_DUE_AT_DESC"


assert {o.value for o in TicketsOrderBy} == set(tickets_repo.ORDERINGS), "one enum value per repository ordering"


def period(start: datetime | None, end: datetime | None, names: str) -> tuple[datetime | None, datetime | None]:
    """A half-open filter period [start, end) in UTC; `end` before `start` is the client's mistake (an empty
    period, start = end, is not)."""
    start, end = utc(start), utc(end)
    if start is not None and end is not None and end < start:
        raise BadUserInput(T("{names} must not end before it starts", names=names))
    return start, end


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
    filters.created_from, filters.created_to = period(f.created_from, f.created_to, "filter.createdFrom/createdTo")
    filters.resolved_from, filters.resolved_to = period(
        f.resolved_from, f.resolved_to, "filter.resolvedFrom/resolvedTo"
    )
    filters.root_cause = f.root_cause
    return filters


async def ticket_connection(
    info: Info,
    window: Window,
    f: TicketFilter | None,
    *,
    customer_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    order_by: TicketsOrderBy = TicketsOrderBy.CREATED_AT_DESC,
) -> Connection[Ticket]:
    """`tickets`, `Customer.tickets` (customer_id fixed) and `Order.tickets` (order_id fixed), newest first
    unless `order_by` says otherwise."""
    filters = ticket_filters(info, f, customer_id=customer_id, order_id=order_id)
    return await connection(
        info,
        lambda s, w: tickets_repo.page(s, filters, order_by=order_by.value, **w),
        window,
        Ticket.from_row,
    )
