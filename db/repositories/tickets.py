"""Tickets, their comments, joint consultations (escalations), SLA policies and root causes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, Unpack

from sqlalchemy import Integer, Select, bindparam, case, exists, literal_column, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from db import driver
from db.models import (
    Customer,
    Escalation,
    EscalationParticipant,
    Order,
    RootCauseCategory,
    ServiceJob,
    SlaPolicy,
    Ticket,
    TicketComment,
    User,
)
from db.repositories import rows
from db.repositories.customers import escape_like
from db.repositories.pagination import (
    Ordering,
    Page,
    Window,
    by_datetime,
    by_int,
    by_uuid,
    fetch_page,
    orderings,
)
from services.rules.tickets import TicketPriority

S = TypeVar("S", bound=Select[*tuple[Any, ...]])

# Newest first (the live board); the id breaks ties between tickets opened in the same instant.
TICKET_PAGE_KEYS = [by_datetime(Ticket.created_at), by_uuid(Ticket.id)]

# A priority as its rank, LOW 0 … URGENT 3, with literal constants (never bind parameters), so that the
# expression is the one of the index of migration 0015 (ix_tickets_priority_rank_created_id) in every plan.
PRIORITY_RANK = case(
    *((literal_column(f"'{p.value}'"), literal_column(str(rank), Integer)) for rank, p in enumerate(TicketPriority)),
    value=Ticket.priority,
)
_CREATED = (by_datetime(Ticket.created_at), by_uuid(Ticket.id))
_PRIORITY = (by_int(PRIORITY_RANK), *_CREATED)
_RESOLUTION_DUE = (by_datetime(Ticket.resolution_due_at), by_uuid(Ticket.id))
_FIRST_RESPONSE_DUE = (by_datetime(Ticket.first_response_due_at), by_uuid(Ticket.id))

# `tickets(orderBy:)`: every ordering ends with the id (exact keyset pages) and has an index (0015). The
# due times are the SLA clocks' (never NULL: fixed when the ticket opens).
ORDERINGS = orderings(
    Ordering("CREATED_AT_DESC", _CREATED, descending=True, default=True),
    Ordering("CREATED_AT_ASC", _CREATED),
    Ordering("PRIORITY_DESC", _PRIORITY, descending=True),  # most urgent first, newest first within one
    Ordering("PRIORITY_ASC", _PRIORITY),
    Ordering("RESOLUTION_DUE_AT_ASC", _RESOLUTION_DUE),  # the resolution due soonest first
    Ordering("RESOLUTION_DUE_AT_DESC", _RESOLUTION_DUE, descending=True),
    Ordering("FIRST_RESPONSE_DUE_AT_ASC", _FIRST_RESPONSE_DUE),
    Ordering("FIRST_RESPONSE_DUE_AT_DESC", _FIRST_RESPONSE_DUE, descending=True),
)
DEFAULT_ORDER = "CREATED_AT_DESC"
ESCALATION_PAGE_KEYS = [by_datetime(Escalation.requested_at), by_uuid(Escalation.id)]
# Conversations read oldest first, in the order they were written.
_COMMENT_KEYS = [by_int(TicketComment.seq)]


# ----------------------------------------------------------------------------- tickets


_tickets = rows.Table(Ticket, generated=["number"])
get = _tickets.get
customer_of = _tickets.customer_of
by_ids = _tickets.by_ids
add = _tickets.add


async def save(session: AsyncSession, ticket: Ticket, now: datetime) -> None:
    """Write the changed ticket now (the version guard fires here, not at commit), marked as changed at
    `now`: its version moves even when only its children changed."""
    rows.touch(ticket, now)
    await session.flush()


async def save_escalation(session: AsyncSession, escalation: Escalation) -> None:
    """Write the changed consultation now (its version guard fires here, not at commit)."""
    await session.flush()


@dataclass
class TicketFilters:
    """Every field narrows the list; None (or an empty list) means "any"."""

    status: Sequence[str] | None = None
    kind: Sequence[str] | None = None
    priority: Sequence[str] | None = None
    assignee_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    escalated: bool | None = None  # has (or had) a joint consultation
    search: str | None = None  # ticket number, subject, customer name; case-insensitive, literal
    sla: ColumnElement[bool] | None = None  # a predicate from services.sla (a state computed at an instant)
    # Periods are half-open, [from, to): a ticket created exactly at `created_to` is not in it.
    created_from: datetime | None = None
    created_to: datetime | None = None
    resolved_from: datetime | None = None  # a ticket never resolved is in no resolution period
    resolved_to: datetime | None = None
    root_cause: str | None = None  # the root-cause category's code (resolved tickets carry one)


async def page(
    session: AsyncSession, filters: TicketFilters, *, order_by: str = DEFAULT_ORDER, **window: Unpack[Window]
) -> Page[Ticket]:
    stmt = filtered(select(Ticket), filters)
    return await fetch_page(session, stmt, ORDERINGS[order_by], **window)


def filtered(stmt: S, filters: TicketFilters) -> S:
    """`stmt` (any select over `tickets`) narrowed by the filters: the list's and the reports' one rule."""
    for column, values in (
        (Ticket.status, filters.status),
        (Ticket.kind, filters.kind),
        (Ticket.priority, filters.priority),
    ):
        if values:
            stmt = stmt.where(column.in_(list(values)))
    for id_column, value in (
        (Ticket.assignee_id, filters.assignee_id),
        (Ticket.customer_id, filters.customer_id),
        (Ticket.order_id, filters.order_id),
    ):
        if value is not None:
            stmt = stmt.where(id_column == value)
    if filters.escalated is not None:
        has_escalation = exists().where(Escalation.ticket_id == Ticket.id)
        stmt = stmt.where(has_escalation if filters.escalated else ~has_escalation)
    if filters.search and filters.search.strip():
        pattern = f"%{escape_like(filters.search.strip())}%"
        customers = select(Customer.id).where(Customer.name.ilike(pattern, escape="\\"))
        stmt = stmt.where(
            or_(
                Ticket.number.ilike(pattern, escape="\\"),
                Ticket.subject.ilike(pattern, escape="\\"),
                Ticket.customer_id.in_(customers),
            )
        )
    if filters.sla is not None:
        stmt = stmt.where(filters.sla)
    periods: list[tuple[Any, datetime | None, datetime | None]] = [
        (Ticket.created_at, filters.created_from, filters.created_to),
        (Ticket.resolved_at, filters.resolved_from, filters.resolved_to),
    ]
    for column, start, end in periods:
        if start is not None:
            stmt = stmt.where(column >= start)
        if end is not None:
            stmt = stmt.where(column < end)
    if filters.root_cause is not None:
        stmt = stmt.where(Ticket.root_cause_code == filters.root_cause)
    return stmt


async def escalated_ticket_ids(session: AsyncSession, ticket_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    stmt = select(Escalation.ticket_id).where(Escalation.ticket_id.in_(list(ticket_ids))).distinct()
    return set((await session.scalars(stmt)).all())


# ----------------------------------------------------------------------------- comments and notes


def add_comment(session: AsyncSession, comment: TicketComment) -> None:
    session.add(comment)


async def comments_page(
    session: AsyncSession, ticket_id: uuid.UUID, *, include_internal: bool, **window: Unpack[Window]
) -> Page[TicketComment]:
    """Replies on the ticket (consultation notes are not replies: see `notes_of`)."""
    stmt = select(TicketComment).where(TicketComment.ticket_id == ticket_id, TicketComment.escalation_id.is_(None))
    if not include_internal:
        stmt = stmt.where(TicketComment.visibility == "CUSTOMER")
    return await fetch_page(session, stmt, _COMMENT_KEYS, **window)


async def notes_of(session: AsyncSession, escalation_ids: Iterable[uuid.UUID]) -> list[TicketComment]:
    stmt = (
        select(TicketComment).where(TicketComment.escalation_id.in_(list(escalation_ids))).order_by(TicketComment.seq)
    )
    return list((await session.scalars(stmt)).all())


# ----------------------------------------------------------------------------- escalations


async def open_escalation(
    session: AsyncSession, ticket_id: uuid.UUID, *, for_update: bool = False
) -> Escalation | None:
    stmt = select(Escalation).where(Escalation.ticket_id == ticket_id, Escalation.status == "OPEN")
    return (await session.scalars(rows.locked_if(stmt, for_update))).one_or_none()


async def current_escalations(session: AsyncSession, ticket_ids: Iterable[uuid.UUID]) -> list[Escalation]:
    """Per ticket: its open escalation, else its latest one (tickets never escalated have none)."""
    stmt = (
        select(Escalation)
        .where(Escalation.ticket_id.in_(list(ticket_ids)))
        .ext(distinct_on(Escalation.ticket_id))
        .order_by(
            Escalation.ticket_id,
            (Escalation.status == "OPEN").desc(),
            Escalation.requested_at.desc(),
            Escalation.id.desc(),
        )
    )
    return list((await session.scalars(stmt)).all())


escalations_by_ids = rows.Table(Escalation).by_ids


async def escalations_page(session: AsyncSession, *, status: str | None, **window: Unpack[Window]) -> Page[Escalation]:
    stmt = select(Escalation)
    if status:
        stmt = stmt.where(Escalation.status == status)
    return await fetch_page(session, stmt, ESCALATION_PAGE_KEYS, descending=True, **window)


async def add_escalation(session: AsyncSession, escalation: Escalation, participant_ids: Iterable[uuid.UUID]) -> None:
    session.add(escalation)
    await session.flush()
    session.add_all(EscalationParticipant(escalation_id=escalation.id, user_id=u) for u in participant_ids)
    await session.flush()


async def participant_ids(session: AsyncSession, escalation_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = (
        select(EscalationParticipant.user_id)
        .where(EscalationParticipant.escalation_id == escalation_id)
        .order_by(EscalationParticipant.user_id)
    )
    return list((await session.scalars(stmt)).all())


async def participants_of(session: AsyncSession, escalation_ids: Iterable[uuid.UUID]) -> list[Any]:
    """Rows (escalation_id, User) for all the given escalations in one statement, by name."""
    return await rows.pairs_of(
        session,
        EscalationParticipant.escalation_id,
        escalation_ids,
        User,
        User.id == EscalationParticipant.user_id,
        User.name,
        User.id,
    )


# ----------------------------------------------------------------------------- reference data


# Built once (every new ticket reads its policy): the statement and its cache key are made a single time.
_SLA_POLICY = select(SlaPolicy).where(SlaPolicy.priority == bindparam("priority"))
_SLA_POLICY_LOCKED = rows.for_update(_SLA_POLICY)


async def sla_policy(session: AsyncSession, priority: str, *, for_update: bool = False) -> SlaPolicy | None:
    stmt = _SLA_POLICY_LOCKED if for_update else _SLA_POLICY
    return (await session.scalars(stmt, {"priority": priority})).one_or_none()


@dataclass(frozen=True)
class SlaTargets:
    """A priority's minutes to first response and to resolution (what a new ticket's clocks need)."""

    first_response_minutes: int
    resolution_minutes: int


_SLA_TARGETS = f"SELECT first_response_minutes, resolution_minutes FROM {SlaPolicy.__tablename__} WHERE priority = $1"


async def sla_targets(session: AsyncSession, priority: str) -> SlaTargets | None:
    """The policy's targets, read in the session's transaction straight through the driver (every new
    ticket reads them; the ORM object is not needed)."""
    found = await (await driver.of_session(session)).fetchrow(_SLA_TARGETS, priority)
    return None if found is None else SlaTargets(*found)


async def sla_policies(session: AsyncSession) -> list[SlaPolicy]:
    return list((await session.scalars(select(SlaPolicy))).all())


async def root_cause(session: AsyncSession, code: str, *, for_update: bool = False) -> RootCauseCategory | None:
    stmt = select(RootCauseCategory).where(RootCauseCategory.code == code)
    return (await session.scalars(rows.locked_if(stmt, for_update))).one_or_none()


async def root_causes(session: AsyncSession, *, active: bool | None = None) -> list[RootCauseCategory]:
    stmt = select(RootCauseCategory).order_by(RootCauseCategory.label, RootCauseCategory.code)
    if active is not None:
        stmt = stmt.where(RootCauseCategory.active.is_(active))
    return list((await session.scalars(stmt)).all())


async def root_causes_of_tickets(session: AsyncSession, ticket_ids: Iterable[uuid.UUID]) -> list[Any]:
    """Rows (id, RootCauseCategory) for the given tickets that have one, in one statement."""
    return await rows.pairs_of(
        session, Ticket.id, ticket_ids, RootCauseCategory, RootCauseCategory.code == Ticket.root_cause_code
    )


def add_row(session: AsyncSession, row: Any) -> None:
    session.add(row)


# ----------------------------------------------------------------------------- what tickets link to


async def order(session: AsyncSession, order_id: uuid.UUID) -> Order | None:
    return await session.get(Order, order_id)


async def service_job(session: AsyncSession, job_id: uuid.UUID) -> ServiceJob | None:
    return await session.get(ServiceJob, job_id)
