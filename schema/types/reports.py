"""Problem analysis and trends (reporting): the analysis of tickets by a dimension, and the satisfaction
report. The KPI series is a list of KpiReport (schema/types/kpis.py). What the figures mean:
services/reports.py."""

from __future__ import annotations

import strawberry

from schema.ids import to_global_id
from services import i18n
from services import reports as service
from services.rules.reports import NONE_KEY, AnalysisDimension, TimeBucket

__all__ = ["AnalysisDimension", "AnalysisRow", "ProblemAnalysis", "SatisfactionReport", "TimeBucket"]


@strawberry.type(description="One group of the period's tickets.")
class AnalysisRow:
    key: str = strawberry.field(
        description='The group: a code or value, a customer\'s global id; "NONE" for tickets without one.'
    )
    label: str
    count: int = strawberry.field(description="Tickets created in the period in this group.")
    share: float = strawberry.field(description="count ÷ the analysis' total.")
    previous_count: int = strawberry.field(description="The same group's tickets of the previous period.")
    breached_count: int = strawberry.field(description="Of `count`, those whose SLA state is BREACHED now.")
    median_resolution_hours: float | None = strawberry.field(
        description="Median hours from creation to resolution of the group's resolved tickets; null if none."
    )

    @classmethod
    def of(cls, row: service.AnalysisRow, by: AnalysisDimension, language: str = i18n.ENGLISH) -> AnalysisRow:
        customer = by is AnalysisDimension.CUSTOMER and row.key != NONE_KEY
        return cls(
            key=to_global_id("Customer", row.key) if customer else row.key,
            label=i18n.render(row.label, language),
            count=row.count,
            share=row.share,
            previous_count=row.previous_count,
            breached_count=row.breached_count,
            median_resolution_hours=row.median_resolution_hours,
        )


@strawberry.type(description="Tickets created in the period, grouped, beside the previous period of the same length.")
class ProblemAnalysis:
    period: str = strawberry.field(description="ISO 8601 interval from/to; `to` itself is not part of it.")
    by: AnalysisDimension
    total: int = strawberry.field(description="Tickets created in the period (each once).")
    previous_total: int = strawberry.field(description="Tickets created in the previous period (each once).")
    rows: list[AnalysisRow] = strawberry.field(description="The groups with tickets in the period, largest first.")

    @classmethod
    def of(cls, report: service.ProblemAnalysis, language: str = i18n.ENGLISH) -> ProblemAnalysis:
        return cls(
            period=report.period,
            by=report.by,
            total=report.total,
            previous_total=report.previous_total,
            rows=[AnalysisRow.of(row, report.by, language) for row in report.rows],
        )


@strawberry.type(description="Feedback scores recorded in the period: Customer.satisfaction's figures.")
class SatisfactionReport:
    period: str = strawberry.field(description="ISO 8601 interval from/to; `to` itself is not part of it.")
    count: int
    mean_score: float | None = strawberry.field(description="Mean score (1–5); null without feedback.")
    satisfied_share: float | None = strawberry.field(description="Share (0–1) of scores 4 or 5; null without any.")
    distribution: list[int] = strawberry.field(description="How many scores of 1, 2, 3, 4 and 5, in that order.")

    @classmethod
    def of(cls, report: service.SatisfactionReport) -> SatisfactionReport:
        return cls(
            period=report.period,
            count=report.count,
            mean_score=report.mean_score,
            satisfied_share=report.satisfied_share,
            distribution=report.distribution,
        )
