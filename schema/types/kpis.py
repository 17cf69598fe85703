"""KPI reports (reporting): one KPI, a report, and the period a report covers (an argument of `kpis`)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.ids import to_global_id
from schema.types.accounts import Department
from services import kpis as kpis_service


@strawberry.input
class PeriodInput:
    from_: datetime = strawberry.field(name="from", description="First instant of the period (included).")
    to: datetime = strawberry.field(description="End of the period (not included).")


@strawberry.type
class Kpi:
    key: str
    label: str
    value: float | None = strawberry.field(description="numerator ÷ denominator; null when the denominator is 0.")
    numerator: float
    denominator: float

    @classmethod
    def of(cls, kpi: kpis_service.Kpi) -> Kpi:
        return cls(key=kpi.key, label=kpi.label, value=kpi.value, numerator=kpi.numerator, denominator=kpi.denominator)


@strawberry.type
class KpiReport:
    department: Department
    period: str = strawberry.field(description="ISO 8601 interval from/to; `to` itself is not part of it.")
    user_id: strawberry.ID | None
    kpis: list[Kpi]

    @classmethod
    def of(cls, report: kpis_service.KpiReport) -> KpiReport:
        return cls(
            department=Department(report.department),
            period=report.period,
            user_id=strawberry.ID(to_global_id("User", report.user_id)) if report.user_id else None,
            kpis=[Kpi.of(k) for k in report.kpis],
        )
