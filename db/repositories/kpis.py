"""The aggregates behind the KPIs (services/kpis.py says what they mean). Each function is one statement.

Periods are half-open [start, end). `user_id` narrows a figure to one person; None means the whole
department. `now` is the business clock's instant: an item whose due time is still ahead and that is
not answered yet is undecided and left out of both numerator and denominator.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import TIMESTAMP, DateTime, and_, case, cast, false, func, literal, or_, select, true, union_all
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, Label, Over, SQLCoreOperations
from sqlalchemy.sql.selectable import Subquery

from db.models import Customer, Event, Feedback, Order, ServiceJob, Ticket
from db.models.presale import Opportunity, SalesTarget, Solution
from services.rules.feedback import SATISFIED_SCORES

TSTZ = DateTime(timezone=True)


@dataclass(frozen=True)
class Ratio:
    numerator: Decimal | int
    denominator: Decimal | int


T = TypeVar("T")
# Any column or expression of the given type (a mapped attribute, a subquery's column, a computed one).
Column = SQLCoreOperations


def _within(column: Column[datetime | None], start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _decided(due: Column[datetime | None], answered_at: Column[datetime | None], now: datetime) -> ColumnElement[bool]:
    """Answered, or still unanswered after its due time; an item still within its window is undecided."""
    return or_(answered_at.is_not(None), due <= now)


def _by(column: Column[uuid.UUID | None], user_id: uuid.UUID | None) -> ColumnElement[bool]:
    """Rows of one person (`column` names them), or every row."""
    return true() if user_id is None else column == user_id


# ----------------------------------------------------------------------------- marketing


async def sales(
    session: AsyncSession, start: datetime, end: datetime, user_id: uuid.UUID | None
) -> tuple[Decimal, int]:
    """(contract value of the orders confirmed in the period, customers whose first order was confirmed in
    the period). Orders count once confirmed and as long as they are not cancelled."""
    counted = and_(Order.confirmed_at.is_not(None), Order.status != "CANCELLED")
    value = select(func.coalesce(func.sum(Order.contract_value), 0)).where(
        counted, _within(Order.confirmed_at, start, end), _by(Order.owner_id, user_id)
    )
    # Each customer's first counted order (DISTINCT ON), for customers with an order confirmed in the period.
    first = (
        select(Order.customer_id, Order.owner_id, Order.confirmed_at)
        .ext(distinct_on(Order.customer_id))
        .where(
            counted,
            Order.customer_id.in_(select(Order.customer_id).where(counted, _within(Order.confirmed_at, start, end))),
        )
        .order_by(Order.customer_id, Order.confirmed_at, Order.id)
        .subquery()
    )
    new = (
        select(func.count())
        .select_from(first)
        .where(_within(first.c.confirmed_at, start, end), _by(first.c.owner_id, user_id))
    )
    row = (await session.execute(select(value.scalar_subquery(), new.scalar_subquery()))).one()
    return Decimal(row[0]), int(row[1])


async def target(session: AsyncSession, start: datetime, end: datetime, user_id: uuid.UUID | None) -> Decimal:
    """Sum of the targets overlapping the period, each prorated by the share of its time inside it.

    A target's days period_start..period_end (inclusive) are the UTC instants
    [period_start 00:00, period_end + 1 day 00:00). Department-wide targets when `user_id` is None,
    else that person's.
    """
    t_start = func.timezone("UTC", cast(SalesTarget.period_start, TIMESTAMP))
    t_end = func.timezone("UTC", cast(SalesTarget.period_end + 1, TIMESTAMP))
    p_start, p_end = literal(start, TSTZ), literal(end, TSTZ)
    inside = func.extract("epoch", func.least(p_end, t_end) - func.greatest(p_start, t_start))
    whole = func.extract("epoch", t_end - t_start)
    scope = SalesTarget.user_id.is_(None) if user_id is None else SalesTarget.user_id == user_id
    stmt = select(func.coalesce(func.sum(SalesTarget.amount * inside / whole), 0)).where(
        SalesTarget.department == "MARKETING", scope, t_start < p_end, t_end > p_start
    )
    return Decimal((await session.execute(stmt)).scalar_one())


async def satisfaction(
    session: AsyncSession, start: datetime, end: datetime, user_id: uuid.UUID | None
) -> tuple[int, int, int]:
    """(sum of scores, number of scores, number of satisfied scores, 4–5) of feedback recorded in the period; for a
    person, feedback on the customers they own."""
    scope = (
        true() if user_id is None else Feedback.customer_id.in_(select(Customer.id).where(Customer.owner_id == user_id))
    )
    stmt = select(
        func.coalesce(func.sum(Feedback.score), 0),
        func.count(),
        func.count().filter(Feedback.score.in_(SATISFIED_SCORES)),
    ).where(_within(Feedback.recorded_at, start, end), scope)
    total, count, satisfied = (await session.execute(stmt)).one()
    return int(total), int(count), int(satisfied)


def _next(column: Column[T]) -> Over[T]:
    """The value of `column` in the same order's next event of the sequence."""
    return func.lead(column).over(partition_by=Event.entity_id, order_by=Event.id)


def _handoffs(confirmation_window: timedelta, before: datetime) -> Subquery:
    """One row per order handoff (an ORDER_HANDED_OFF event) with service's answer to it: the next of the
    order's CONFIRMED / RETURNED / CANCELLED events. The due time is the one fixed at the handoff."""
    answers = ("ORDER_HANDED_OFF", "ORDER_CONFIRMED", "ORDER_RETURNED", "ORDER_CANCELLED")
    handed_off = select(Event.entity_id).where(Event.type == "ORDER_HANDED_OFF", Event.occurred_at < before)
    seq = (
        select(
            Event.entity_id.label("order_id"),
            Event.type,
            Event.occurred_at,
            cast(Event.payload["confirmationDueAt"].astext, TSTZ).label("due_at"),
            _next(Event.type).label("next_type"),
            _next(Event.occurred_at).label("next_at"),
            _next(Event.actor_id).label("next_actor"),
        )
        .where(Event.entity_type == "Order", Event.type.in_(answers), Event.entity_id.in_(handed_off))
        .subquery()
    )
    return (
        select(
            seq.c.order_id,
            seq.c.occurred_at.label("handed_off_at"),
            func.coalesce(seq.c.due_at, seq.c.occurred_at + confirmation_window).label("due_at"),
            seq.c.next_type,
            seq.c.next_at,
            seq.c.next_actor,
        )
        .where(seq.c.type == "ORDER_HANDED_OFF")
        .subquery()
    )


async def handoffs_confirmed(
    session: AsyncSession, start: datetime, end: datetime, user_id: uuid.UUID | None, confirmation_window: timedelta
) -> tuple[int, int]:
    """(handoffs in the period that service answered, of those the ones it confirmed rather than returned);
    for a person, handoffs of the orders they own."""
    h = _handoffs(confirmation_window, end)
    answered = h.c.next_type.in_(("ORDER_CONFIRMED", "ORDER_RETURNED"))
    scope = true() if user_id is None else h.c.order_id.in_(select(Order.id).where(Order.owner_id == user_id))
    stmt = select(func.count(), func.count().filter(h.c.next_type == "ORDER_CONFIRMED")).where(
        _within(h.c.handed_off_at, start, end), answered, scope
    )
    answered_count, confirmed = (await session.execute(stmt)).one()
    return int(confirmed), int(answered_count)


# ----------------------------------------------------------------------------- service


async def ticket_clocks(
    session: AsyncSession, start: datetime, end: datetime, user_id: uuid.UUID | None, now: datetime
) -> tuple[Ratio, Ratio]:
    """(first responses on time / due in the period, complaints resolved on time / resolution due in the
    period); for a person, tickets assigned to them."""
    first_due = and_(
        _within(Ticket.first_response_due_at, start, end),
        _decided(Ticket.first_response_due_at, Ticket.first_responded_at, now),
    )
    first_on_time = and_(first_due, Ticket.first_responded_at <= Ticket.first_response_due_at)
    complaint_due = and_(
        Ticket.kind == "COMPLAINT",
        _within(Ticket.resolution_due_at, start, end),
        _decided(Ticket.resolution_due_at, Ticket.resolved_at, now),
    )
    complaint_on_time = and_(complaint_due, Ticket.resolved_at <= Ticket.resolution_due_at)
    stmt = select(
        func.count().filter(first_on_time),
        func.count().filter(first_due),
        func.count().filter(complaint_on_time),
        func.count().filter(complaint_due),
    ).where(or_(first_due, complaint_due), _by(Ticket.assignee_id, user_id))
    a, b, c, d = (await session.execute(stmt)).one()
    return Ratio(int(a), int(b)), Ratio(int(c), int(d))


async def job_quality(session: AsyncSession, start: datetime, end: datetime, user_id: uuid.UUID | None) -> Ratio:
    """Service jobs completed in the period whose quality check passed / completed; for a person, their jobs."""
    stmt = select(func.count().filter(ServiceJob.quality_result == "PASSED"), func.count()).where(
        ServiceJob.status == "COMPLETED",
        _within(ServiceJob.completed_at, start, end),
        _by(ServiceJob.technician_id, user_id),
    )
    passed, completed = (await session.execute(stmt)).one()
    return Ratio(int(passed), int(completed))


def answer_items(start: datetime, end: datetime, confirmation_window: timedelta) -> Subquery:
    """What service owes an answer to, due in [start, end): order handoffs (confirm or return), solution
    reviews and registration acknowledgements, as (due_at, answered_at, actor_id, withdrawn); read by
    `answers_on_time` and by its series (db/repositories/kpi_series.py)."""
    h = _handoffs(confirmation_window, end)
    answered = h.c.next_type.in_(("ORDER_CONFIRMED", "ORDER_RETURNED"))
    orders = select(
        h.c.due_at.label("due_at"),
        case((answered, h.c.next_at)).label("answered_at"),
        case((answered, h.c.next_actor)).label("actor_id"),
        _withdrawn(and_(h.c.next_type == "ORDER_CANCELLED", h.c.next_at <= h.c.due_at)),
    ).where(_within(h.c.due_at, start, end))
    reviews = (
        select(
            Solution.review_due_at,
            Solution.reviewed_at,
            Solution.reviewer_id,
            _withdrawn(and_(Solution.reviewed_at.is_(None), Opportunity.closed_at <= Solution.review_due_at)),
        )
        .join(Opportunity, Opportunity.id == Solution.opportunity_id)
        .where(_within(Solution.review_due_at, start, end))
    )
    o = Opportunity
    registrations = select(
        o.registration_ack_due_at,
        o.registration_acknowledged_at,
        o.registration_acknowledged_by_id,
        _withdrawn(and_(o.registration_acknowledged_at.is_(None), o.closed_at <= o.registration_ack_due_at)),
    ).where(_within(o.registration_ack_due_at, start, end))
    return union_all(orders, reviews, registrations).subquery()


async def answers_on_time(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    user_id: uuid.UUID | None,
    now: datetime,
    confirmation_window: timedelta,
) -> Ratio:
    """Service's answers to handoffs due in the period: order handoffs (confirm or return), solution
    reviews and registration acknowledgements. Answered by the due time / due.

    Left out: undecided items, and handoffs withdrawn before service had to answer (the order cancelled,
    the opportunity lost, by the due time). For a person: the answers they gave.
    """
    c = answer_items(start, end, confirmation_window).c
    stmt = select(func.count().filter(c.answered_at <= c.due_at), func.count()).where(
        _decided(c.due_at, c.answered_at, now), c.withdrawn.is_(False), _by(c.actor_id, user_id)
    )
    on_time, total = (await session.execute(stmt)).one()
    return Ratio(int(on_time), int(total))


def _withdrawn(condition: ColumnElement[bool]) -> Label[bool]:
    return func.coalesce(condition, false()).label("withdrawn")
