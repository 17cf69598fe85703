"""The KPI report query."""

from __future__ import annotations

import strawberry

from schema.context import Info
from schema.types.accounts import Department
from schema.types.common import BadUserInput, query_id
from schema.types.kpis import KpiReport, PeriodInput
from services import kpis as service
from services.errors import DomainError


async def kpis(
    info: Info, period: PeriodInput, department: Department, user_id: strawberry.ID | None = None
) -> KpiReport:
    """The department's KPIs for the period [from, to), or one person's with `userId`."""
    uid = query_id(user_id, "User", "userId")
    ctx = info.context
    now = ctx.clock.now()
    try:
        report = await ctx.read(
            lambda session: service.report(
                session, department=department.value, start=period.from_, end=period.to, user_id=uid, now=now
            )
        )
    except DomainError as error:  # a query has no payload: a refused argument is the client's mistake
        raise BadUserInput(error.message) from None
    return KpiReport.of(report, ctx.language)
