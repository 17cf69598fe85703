"""The aggregates behind problem analysis and the satisfaction report (services/reports.py says what they
mean). Each function is one statement, whatever the number of rows; periods are half-open [start, end).

The KPI series' aggregates, every bucket at once, are in db/repositories/kpi_series.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, String, and_, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from db.models import Customer, Feedback, OrderItem, RootCauseCategory, Ticket
from db.repositories.tickets import TicketFilters, filtered
from services.rules.feedback import SATISFIED_SCORES
from services.rules.reports import AnalysisDimension

SCORES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Group:
    """One group of tickets: its key (None: the tickets without a value) and the figures of both periods."""

    key: str | None
    label: str | None
    count: int
    previous_count: int
    breached_count: int
    median_resolution_hours: float | None


@dataclass(frozen=True)
class Scores:
    count: int
    mean_score: float | None
    satisfied_count: int
    distribution: list[int]  # how many of each score, 1 to 5


def _periods(start: datetime, end: datetime, previous_start: datetime) -> tuple[ColumnElement[bool], ...]:
    """(both periods, the period itself, the previous one) as conditions on the ticket's creation."""
    return (
        and_(Ticket.created_at >= previous_start, Ticket.created_at < end),
        Ticket.created_at >= start,
        Ticket.created_at < start,
    )


async def ticket_totals(
    session: AsyncSession, filters: TicketFilters, start: datetime, end: datetime, previous_start: datetime
) -> tuple[int, int]:
    """(tickets created in the period, in the previous period) matching the filters: each ticket once."""
    both, current, previous = _periods(start, end, previous_start)
    stmt = filtered(select(func.count().filter(current), func.count().filter(previous)).where(both), filters)
    total, previous_total = (await session.execute(stmt)).one()
    return int(total), int(previous_total)


async def ticket_groups(
    session: AsyncSession,
    dimension: AnalysisDimension,
    filters: TicketFilters,
    start: datetime,
    end: datetime,
    previous_start: datetime,
    breached: ColumnElement[bool],
) -> list[Group]:
    """The groups of tickets created in the period (and those groups' previous-period counts), largest first.

    `breached` is the SLA predicate (services.sla) evaluated at the request's instant. A ticket whose order
    has several product models is one row of each model (PRODUCT_MODEL), so it counts in each group.
    """
    both, current, previous = _periods(start, end, previous_start)
    hours = func.extract("epoch", Ticket.resolved_at - Ticket.created_at) / 3600
    median = func.percentile_cont(0.5).within_group(hours).filter(current, Ticket.resolved_at.is_not(None))
    key, label, joins = _dimension(dimension)
    counted = func.count().filter(current)
    stmt = select(
        key.label("key"),
        label.label("label"),
        counted,
        func.count().filter(previous),
        func.count().filter(current, breached),
        cast(median, Float),
    ).select_from(Ticket)
    for target, on in joins:
        stmt = stmt.outerjoin(target, on)
    stmt = filtered(stmt.where(both), filters)
    # Groups with tickets in the period only; ties in the order of their keys, the tickets without one last.
    stmt = stmt.group_by(key, label).having(counted > 0).order_by(counted.desc(), key.asc().nulls_last())
    return [
        Group(
            None if k is None else str(k),
            lab,
            int(n),
            int(p),
            int(b),
            None if m is None else float(m),
        )
        for k, lab, n, p, b, m in (await session.execute(stmt)).all()
    ]


def _dimension(dimension: AnalysisDimension) -> tuple[Any, Any, Sequence[tuple[Any, Any]]]:
    """(key, label, outer joins) of a dimension; the label is None when the service names the key itself."""
    # Its own alias: the filters' customer-name search has a subquery over `customers`, which a join of
    # the table itself would correlate with.
    customer = aliased(Customer, name="analysis_customer")
    no_label = literal(None, type_=String)
    match dimension:
        case AnalysisDimension.ROOT_CAUSE:
            return (
                Ticket.root_cause_code,
                RootCauseCategory.label,
                [(RootCauseCategory, RootCauseCategory.code == Ticket.root_cause_code)],
            )
        case AnalysisDimension.KIND:
            return Ticket.kind, no_label, []
        case AnalysisDimension.PRIORITY:
            return Ticket.priority, no_label, []
        case AnalysisDimension.PRODUCT_MODEL:
            # Each model of the ticket's order once, however many lines name it.
            models = select(OrderItem.order_id, OrderItem.product_model).distinct().subquery("analysis_models")
            return models.c.product_model, no_label, [(models, models.c.order_id == Ticket.order_id)]
        case AnalysisDimension.CUSTOMER:
            return cast(Ticket.customer_id, String), customer.name, [(customer, customer.id == Ticket.customer_id)]
        case AnalysisDimension.REGION:
            return customer.region, no_label, [(customer, customer.id == Ticket.customer_id)]
    raise ValueError(f"no such analysis dimension: {dimension!r}")


async def scores(session: AsyncSession, start: datetime, end: datetime, customer_id: uuid.UUID | None) -> Scores:
    """Feedback recorded in the period (of one customer, or of all): count, mean, satisfied (4–5), per score."""
    per_score = [func.count().filter(Feedback.score == score) for score in SCORES]
    stmt = select(
        func.count(), func.avg(Feedback.score), func.count().filter(Feedback.score.in_(SATISFIED_SCORES)), *per_score
    ).where(Feedback.recorded_at >= start, Feedback.recorded_at < end)
    if customer_id is not None:
        stmt = stmt.where(Feedback.customer_id == customer_id)
    count, mean, satisfied, *distribution = (await session.execute(stmt)).one()
    return Scores(int(count), None if mean is None else float(mean), int(satisfied), [int(n) for n in distribution])
