"""Problem analysis, the KPI series and the satisfaction report: read-only, each a few aggregates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from zoneinfo import ZoneInfo

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from schema.context import Info
from schema.types.accounts import Department
from schema.types.common import BadUserInput, query_id
from schema.types.kpis import KpiReport, PeriodInput
from schema.types.reports import AnalysisDimension, ProblemAnalysis, SatisfactionReport, TimeBucket
from schema.types.tickets import TicketFilter, ticket_filters
from services import reports as service
from services.errors import DomainError

T = TypeVar("T")
DEFAULT_TIME_ZONE = "Asia/Shanghai"  # settings.py's default, for an app made without settings


async def _read(info: Info, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    try:
        return await info.context.read(work)
    except DomainError as error:  # a query has no payload: a refused argument is the client's mistake
        raise BadUserInput(error.message) from None


def _zone(info: Info) -> ZoneInfo:
    return ZoneInfo(getattr(info.context.services.settings, "time_zone", None) or DEFAULT_TIME_ZONE)


async def problem_analysis(
    info: Info, period: PeriodInput, by: AnalysisDimension, filter: TicketFilter | None = None
) -> ProblemAnalysis:
    """Tickets created in the period [from, to) and matching the filter, grouped by `by`, with the previous period."""
    filters = ticket_filters(info, filter)
    now = info.context.clock.now()
    report = await _read(
        info,
        lambda s: service.problem_analysis(
            s, dimension=by, filters=filters, start=period.from_, end=period.to, now=now
        ),
    )
    return ProblemAnalysis.of(report, info.context.language)


async def kpi_series(
    info: Info,
    period: PeriodInput,
    bucket: TimeBucket,
    department: Department,
    user_id: strawberry.ID | None = None,
) -> list[KpiReport]:
    """The `kpis` report per day, ISO week or month of the company's time zone (TANDEM_TIME_ZONE), the first
    and last buckets clipped to the period."""
    uid = query_id(user_id, "User", "userId")
    now, zone = info.context.clock.now(), _zone(info)
    reports = await _read(
        info,
        lambda s: service.kpi_series(
            s,
            department=department.value,
            start=period.from_,
            end=period.to,
            bucket=bucket,
            zone=zone,
            user_id=uid,
            now=now,
        ),
    )
    return [KpiReport.of(r, info.context.language) for r in reports]


async def satisfaction(info: Info, period: PeriodInput, customer_id: strawberry.ID | None = None) -> SatisfactionReport:
    """Feedback scores recorded in the period [from, to), of every customer or of one."""
    cid = query_id(customer_id, "Customer", "customerId")
    report = await _read(info, lambda s: service.satisfaction(s, start=period.from_, end=period.to, customer_id=cid))
    return SatisfactionReport.of(report)
