"""KPI reports (reporting): one KPI, a report, and the period a report covers (an argument of `kpis`)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.ids import to_global_id
from schema.types.accounts import Department
from services import i18n
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
    def of(cls, kpi: kpis_service.Kpi, language: str = i18n.ENGLISH) -> Kpi:
        label = i18n.render(kpi.label, language)
        return cls(key=kpi.key, label=label, value=kpi.value, numerator=kpi.numerator, denominator=kpi.denominator)


@strawberry.type
class KpiReport:
    department: Department
    period: str = strawberry.field(description="ISO 8601 interval from/to; `to` itself is not part of it.")
    user_id: strawberry.ID | None
    kpis: list[Kpi]

    @classmethod
    def of(cls, report: kpis_service.KpiReport, language: str = i18n.ENGLISH) -> KpiReport:
        return cls(
            department=Department(report.department),
            period=report.period,
            user_id=strawberry.ID(to_global_id("User", report.user_id)) if report.user_id else None,
            kpis=[Kpi.of(k, language) for k in report.kpis],
        )
