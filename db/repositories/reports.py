"""The aggregates behind problem analysis and the satisfaction report (services/reports.py says what they
mean). Each function is one statement, whatever the number of rows; periods are half-open [start, end).

The KPI series' aggregates, every bucket at once, are in db/repositories/kpi_series.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
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
) -> tuple[list[Group], tuple[int, int] | None]:
    """The groups of tickets created in the period (and those groups' previous-period counts), largest
    first, and the totals of both periods when this statement can tell them (else None: ticket_totals).

    `breached` is the SLA predicate (services.sla) evaluated at the request's instant. A ticket whose order
    has several product models is one row of each model (PRODUCT_MODEL), so it counts in each group.

    The tickets are grouped by the bare key (a uuid, an enum) and the labels joined to the groups after:
    grouping a year of tickets by a customer's id cast to text and name sorted 100,000 strings, twice as
    slow. The median is taken over float seconds (an ordered-set aggregate sorts its group; numeric
    hours sorted slower) and turned into hours once per group. Where each ticket is in one group, the
    totals are the sums over every group (those of the previous period only too, before they are left
    out), which saves ticket_totals' scan of the same tickets; PRODUCT_MODEL counts a ticket in several.
    """
    both, current, previous = _periods(start, end, previous_start)
    seconds = cast(func.extract("epoch", Ticket.resolved_at - Ticket.created_at), Float)
    median = func.percentile_cont(0.5).within_group(seconds).filter(current, Ticket.resolved_at.is_not(None))
    dim = _dimension(dimension)
    inner = select(
        dim.key.label("key"),
        func.count().filter(current).label("n"),
        func.count().filter(previous).label("previous"),
        func.count().filter(current, breached).label("breached"),
        median.label("median_seconds"),
    ).select_from(Ticket)
    for target, on in dim.joins:
        inner = inner.outerjoin(target, on)
    groups = filtered(inner.where(both), filters).group_by(dim.key).subquery("analysis_groups")
    label, label_join = dim.label(groups.c.key)
    labelled = select(
        cast(groups.c.key, String).label("key"),
        label.label("label"),
        groups.c.n,
        groups.c.previous,
        groups.c.breached,
        (groups.c.median_seconds / 3600).label("median_hours"),
        func.sum(groups.c.n).over().label("total"),
        func.sum(groups.c.previous).over().label("previous_total"),
    ).select_from(groups if label_join is None else groups.outerjoin(*label_join))
    rows = labelled.subquery("analysis_rows")
    # Groups with tickets in the period only; ties in the order of their keys, the tickets without one last.
    stmt = select(rows).where(rows.c.n > 0).order_by(rows.c.n.desc(), rows.c.key.asc().nulls_last())
    result = (await session.execute(stmt)).all()
    found = [
        Group(k, lab, int(n), int(p), int(b), None if m is None else float(m)) for k, lab, n, p, b, m, _, _ in result
    ]
    if not result or dim.ticket_in_several_groups:
        return found, None  # no group of the period to carry the totals, or they would count a ticket twice
    return found, (int(result[0].total), int(result[0].previous_total))


@dataclass(frozen=True)
class _Dimension:
    """How a dimension groups: the key on the tickets' rows (with the outer joins it needs) and, given the
    grouped key column, its label and the outer join that brings it (none when the service names the key)."""

    key: Any
    joins: Sequence[tuple[Any, Any]]
    label: Callable[[Any], tuple[Any, tuple[Any, Any] | None]]
    ticket_in_several_groups: bool = False


def _unlabelled(_key: Any) -> tuple[Any, None]:
    return literal(None, type_=String), None


def _root_cause_label(key: Any) -> tuple[Any, tuple[Any, Any]]:
    return RootCauseCategory.label, (RootCauseCategory, RootCauseCategory.code == key)


def _customer_name(key: Any) -> tuple[Any, tuple[Any, Any]]:
    customer = aliased(Customer, name="analysis_customer")
    return customer.name, (customer, customer.id == key)


def _dimension(dimension: AnalysisDimension) -> _Dimension:
    match dimension:
        case AnalysisDimension.ROOT_CAUSE:
            return _Dimension(Ticket.root_cause_code, [], _root_cause_label)
        case AnalysisDimension.KIND:
            return _Dimension(Ticket.kind, [], _unlabelled)
        case AnalysisDimension.PRIORITY:
            return _Dimension(Ticket.priority, [], _unlabelled)
        case AnalysisDimension.PRODUCT_MODEL:
            # Each model of the ticket's order once, however many lines name it.
            models = select(OrderItem.order_id, OrderItem.product_model).distinct().subquery("analysis_models")
            joins = [(models, models.c.order_id == Ticket.order_id)]
            return _Dimension(models.c.product_model, joins, _unlabelled, ticket_in_several_groups=True)
        case AnalysisDimension.CUSTOMER:
            return _Dimension(Ticket.customer_id, [], _customer_name)
        case AnalysisDimension.REGION:
            # Its own alias: the filters' customer-name search has a subquery over `customers`, which a join
            # of the table itself would correlate with.
            customer = aliased(Customer, name="analysis_customer")
            return _Dimension(customer.region, [(customer, customer.id == Ticket.customer_id)], _unlabelled)
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
