"""The KPI aggregates of db/repositories/kpis.py for every bucket of a series at once (services/reports.py
`kpi_series`): each function is one statement, whatever the number of buckets or of rows.

`starts` are the buckets' first instants, ascending (services/reports.py `buckets` cuts them at the
company's local midnights, the first one clipped); `end` ends the last bucket. A row's bucket is
`width_bucket(instant, starts)`, the number of starts at or before it, among the rows in [starts[0], end):
so bucket i holds exactly the rows in [starts[i-1], starts[i]) that the per-bucket statement of kpis.py
reads. The predicates are kpis.py's own; the differential test tests/services/test_kpi_series.py holds
both to the same figures. Each function returns one tuple per bucket, in order (zeros for an empty one).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import TIMESTAMP, Integer, and_, cast, column, func, literal, or_, select, true, union_all
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import Executable

from db.models import Customer, Feedback, Order, ServiceJob, Ticket
from db.models.presale import SalesTarget
from db.repositories.kpis import TSTZ, Column, _by, _decided, _handoffs, _within, answer_items
from services.rules.feedback import SATISFIED_SCORES

Row = tuple[Any, ...]


def _bucket(instant: Column[datetime | None], starts: Sequence[datetime]) -> ColumnElement[int]:
    return func.width_bucket(instant, literal(list(starts), ARRAY(TSTZ)), type_=Integer)


async def _per_bucket(session: AsyncSession, stmt: Executable, n: int, empty: Row) -> list[Row]:
    """The rows of `stmt` (its first column the bucket's number, from 1) as one tuple per bucket."""
    found = {int(r[0]): tuple(r[1:]) for r in (await session.execute(stmt)).all()}
    return [found.get(i, empty) for i in range(1, n + 1)]


# ----------------------------------------------------------------------------- marketing


async def sales(
    session: AsyncSession, starts: Sequence[datetime], end: datetime, user_id: uuid.UUID | None
) -> list[tuple[Decimal, int]]:
    """Per bucket kpis.py `sales`: (contract value confirmed, customers whose first order was confirmed)."""
    start = starts[0]
    counted = and_(Order.confirmed_at.is_not(None), Order.status != "CANCELLED")
    at = _bucket(Order.confirmed_at, starts)
    value = (
        select(literal(0).label("kpi"), at.label("b"), func.sum(Order.contract_value).label("n"))
        .where(counted, _within(Order.confirmed_at, start, end), _by(Order.owner_id, user_id))
        .group_by(at)
    )
    # A customer is new in the bucket of its first counted order, when that is inside the series.
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
    first_at = _bucket(first.c.confirmed_at, starts)
    new = (
        select(literal(1), first_at, func.count())
        .select_from(first)
        .where(_within(first.c.confirmed_at, start, end), _by(first.c.owner_id, user_id))
        .group_by(first_at)
    )
    both = union_all(value, new).subquery()
    stmt = select(
        both.c.b, func.sum(both.c.n).filter(both.c.kpi == 0), func.sum(both.c.n).filter(both.c.kpi == 1)
    ).group_by(both.c.b)
    rows = await _per_bucket(session, stmt, len(starts), (0, 0))
    return [(Decimal(v or 0), int(n or 0)) for v, n in rows]


async def targets(
    session: AsyncSession, starts: Sequence[datetime], end: datetime, user_id: uuid.UUID | None
) -> list[Decimal]:
    """Per bucket kpis.py `target`: the overlapping targets prorated by their share of time in the bucket."""
    ends = [*starts[1:], end]
    b = (
        func.unnest(literal(list(starts), ARRAY(TSTZ)), literal(ends, ARRAY(TSTZ)))
        .table_valued(column("s", TSTZ), column("e", TSTZ), with_ordinality="i")
        .render_derived()
    )
    t_start = func.timezone("UTC", cast(SalesTarget.period_start, TIMESTAMP))
    t_end = func.timezone("UTC", cast(SalesTarget.period_end + 1, TIMESTAMP))
    inside = func.extract("epoch", func.least(b.c.e, t_end) - func.greatest(b.c.s, t_start))
    whole = func.extract("epoch", t_end - t_start)
    scope = SalesTarget.user_id.is_(None) if user_id is None else SalesTarget.user_id == user_id
    stmt = (
        select(b.c.i, func.sum(SalesTarget.amount * inside / whole))
        .select_from(b)
        .join(SalesTarget, and_(SalesTarget.department == "MARKETING", scope, t_start < b.c.e, t_end > b.c.s))
        .group_by(b.c.i)
    )
    return [Decimal(v) for (v,) in await _per_bucket(session, stmt, len(starts), (0,))]


async def satisfaction(
    session: AsyncSession, starts: Sequence[datetime], end: datetime, user_id: uuid.UUID | None
) -> list[tuple[int, int, int]]:
    """Per bucket kpis.py `satisfaction`: (sum of scores, number of scores, satisfied scores)."""
    at = _bucket(Feedback.recorded_at, starts)
    stmt = select(
        at, func.sum(Feedback.score), func.count(), func.count().filter(Feedback.score.in_(SATISFIED_SCORES))
    ).where(_within(Feedback.recorded_at, starts[0], end))
    if user_id is not None:
        stmt = stmt.where(Feedback.customer_id.in_(select(Customer.id).where(Customer.owner_id == user_id)))
    rows = await _per_bucket(session, stmt.group_by(at), len(starts), (0, 0, 0))
    return [(int(t), int(c), int(s)) for t, c, s in rows]


async def handoffs_confirmed(
    session: AsyncSession,
    starts: Sequence[datetime],
    end: datetime,
    user_id: uuid.UUID | None,
    confirmation_window: timedelta,
) -> list[tuple[int, int]]:
    """Per bucket kpis.py `handoffs_confirmed`: (confirmed, answered) handoffs made in the bucket."""
    h = _handoffs(confirmation_window, end)
    answered = h.c.next_type.in_(("ORDER_CONFIRMED", "ORDER_RETURNED"))
    scope = true() if user_id is None else h.c.order_id.in_(select(Order.id).where(Order.owner_id == user_id))
    at = _bucket(h.c.handed_off_at, starts)
    stmt = (
        select(at, func.count().filter(h.c.next_type == "ORDER_CONFIRMED"), func.count())
        .where(_within(h.c.handed_off_at, starts[0], end), answered, scope)
        .group_by(at)
    )
    return [(int(c), int(a)) for c, a in await _per_bucket(session, stmt, len(starts), (0, 0))]


# ----------------------------------------------------------------------------- service


async def ticket_clocks(
    session: AsyncSession, starts: Sequence[datetime], end: datetime, user_id: uuid.UUID | None, now: datetime
) -> list[tuple[int, int, int, int]]:
    """Per bucket kpis.py `ticket_clocks`: (first responses on time, due; complaints resolved on time, due).

    A ticket's first response and its resolution may be due in different buckets. One scan of the tickets
    groups them by the pair (first response's bucket, resolution's bucket); the pairs (at most buckets ×
    buckets, never rows) are then summed into each clock's own bucket. A bucket outside 1..n holds only
    tickets that clock does not count (their filtered counts are 0) and is dropped."""
    start = starts[0]
    first_due = and_(
        _within(Ticket.first_response_due_at, start, end),
        _decided(Ticket.first_response_due_at, Ticket.first_responded_at, now),
    )
    complaint_due = and_(
        Ticket.kind == "COMPLAINT",
        _within(Ticket.resolution_due_at, start, end),
        _decided(Ticket.resolution_due_at, Ticket.resolved_at, now),
    )
    first_at = func.coalesce(_bucket(Ticket.first_response_due_at, starts), 0)
    complaint_at = func.coalesce(_bucket(Ticket.resolution_due_at, starts), 0)
    pairs = (
        select(
            first_at.label("first_b"),
            complaint_at.label("complaint_b"),
            func.count().filter(first_due, Ticket.first_responded_at <= Ticket.first_response_due_at).label("a"),
            func.count().filter(first_due).label("b"),
            func.count().filter(complaint_due, Ticket.resolved_at <= Ticket.resolution_due_at).label("c"),
            func.count().filter(complaint_due).label("d"),
        )
        .where(or_(first_due, complaint_due), _by(Ticket.assignee_id, user_id))
        .group_by(first_at, complaint_at)
        .cte("clock_pairs")
    )
    p = pairs.c
    zero = literal(0)
    u = union_all(
        select(p.first_b.label("bucket"), p.a, p.b, zero.label("c"), zero.label("d")),
        select(p.complaint_b, zero, zero, p.c, p.d),
    ).subquery()
    stmt = select(u.c.bucket, func.sum(u.c.a), func.sum(u.c.b), func.sum(u.c.c), func.sum(u.c.d)).group_by(u.c.bucket)
    rows = await _per_bucket(session, stmt, len(starts), (0, 0, 0, 0))
    return [(int(a), int(b), int(c), int(d)) for a, b, c, d in rows]


async def job_quality(
    session: AsyncSession, starts: Sequence[datetime], end: datetime, user_id: uuid.UUID | None
) -> list[tuple[int, int]]:
    """Per bucket kpis.py `job_quality`: (jobs completed whose quality check passed, jobs completed)."""
    at = _bucket(ServiceJob.completed_at, starts)
    stmt = (
        select(at, func.count().filter(ServiceJob.quality_result == "PASSED"), func.count())
        .where(
            ServiceJob.status == "COMPLETED",
            _within(ServiceJob.completed_at, starts[0], end),
            _by(ServiceJob.technician_id, user_id),
        )
        .group_by(at)
    )
    return [(int(p), int(c)) for p, c in await _per_bucket(session, stmt, len(starts), (0, 0))]


async def answers_on_time(
    session: AsyncSession,
    starts: Sequence[datetime],
    end: datetime,
    user_id: uuid.UUID | None,
    now: datetime,
    confirmation_window: timedelta,
) -> list[tuple[int, int]]:
    """Per bucket kpis.py `answers_on_time`: (answers by the due time, answers due), by the bucket of the due
    time. The same three kinds of item and the same exclusions as there."""
    start = starts[0]
    c = answer_items(start, end, confirmation_window).c
    at = _bucket(c.due_at, starts)
    stmt = (
        select(at, func.count().filter(c.answered_at <= c.due_at), func.count())
        .where(_decided(c.due_at, c.answered_at, now), c.withdrawn.is_(False), _by(c.actor_id, user_id))
        .group_by(at)
    )
    return [(int(t), int(n)) for t, n in await _per_bucket(session, stmt, len(starts), (0, 0))]
