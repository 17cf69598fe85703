"""Problem analysis and trends (after-sale 2; DOMAIN.md part 2): what each report means.

Periods are half-open [from, to), checked as `kpis` checks them; the previous period has the same length
and ends at `from`. A period is written as the KPI report writes it: ISO 8601 `start/end`.

problemAnalysis — the tickets *created* in the period that match the TicketFilter (the tickets list's own
filter rule, db/repositories/tickets.py `filtered`), grouped by one dimension:
- ROOT_CAUSE: the root-cause code (label: the category's label); tickets not resolved yet have none and
  form the group "NONE";
- KIND, PRIORITY: the ticket's value;
- PRODUCT_MODEL: the product models of the ticket's order. A ticket counts once in the group of each
  distinct model of its order, so the groups' counts may add up to more than `total` (which counts every
  ticket once) and shares to more than 1; tickets without an order form "NONE";
- CUSTOMER: the customer (key: its global id, label: its name);
- REGION: the customer's region, "NONE" when it has none.
Per group: count, share = count ÷ total, previousCount (the same group, the same filter, the previous
period), breachedCount (tickets whose SLA state is BREACHED at the request's instant, services/sla.py),
medianResolutionHours (the median of resolved_at − created_at over the group's resolved tickets of the
period; null when none is resolved). The rows are the groups with tickets in the period, largest first
(ties by key): an empty period has no rows, and total 0, never a division by 0. A group found only in
the previous period is in previousTotal but has no row.

kpiSeries — the `kpis` report (services/kpis.py, the same figures) per bucket: the period split at
the company's local midnights (settings `TANDEM_TIME_ZONE`), a WEEK starting on Monday (ISO weeks), a
MONTH on the 1st; the first and last buckets are clipped to the period, and each bucket's period is
written in the company's time zone. At most MAX_BUCKETS buckets. Every bucket's figures come from the same
statements, each KPI aggregate grouped by bucket (db/repositories/kpi_series.py): a series costs as many
statements as one KPI report (service 3, marketing 4; one more to check a person), however many buckets.

satisfaction — the figures of Customer.satisfaction (count, mean score, share of 4–5 scores) over the
feedback recorded in the period, of every customer or of one, with the count of each score 1–5.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import accounts as accounts_repo
from db.repositories import customers as customers_repo
from db.repositories import kpi_series as series_repo
from db.repositories import reports as repo
from db.repositories.tickets import TicketFilters
from services import kpis, sla
from services.errors import DomainError, ErrorCode
from services.i18n import T
from services.rules.reports import NONE_KEY, AnalysisDimension, TimeBucket
from services.sla import CONFIRMATION_WINDOW

CENT = Decimal("0.01")  # a prorated target, to the cent (as services/kpis.py rounds it)
MAX_BUCKETS = 400  # a little over a year of days: enough for a chart, bounded for the database

_NO_VALUE = {
    AnalysisDimension.ROOT_CAUSE: T("No root cause yet (not resolved)"),
    AnalysisDimension.PRODUCT_MODEL: T("No order (no product model)"),
    AnalysisDimension.REGION: T("No region"),
    AnalysisDimension.CUSTOMER: T("Unknown customer"),
}
# The KIND and PRIORITY groups' labels (messages: the schema renders them in the caller's language).
_CODE_LABELS = {
    "INQUIRY": T("Inquiry"),
    "COMPLAINT": T("Complaint"),
    "QUALITY_ISSUE": T("Quality issue"),
    "SUGGESTION": T("Suggestion"),
    "SERVICE_REQUEST": T("Service request"),
    "LOW": T("Low"),
    "NORMAL": T("Normal"),
    "HIGH": T("High"),
    "URGENT": T("Urgent"),
}


def check_period(start: datetime, end: datetime) -> None:
    """The KPI report's rules for a period (services/kpis.py), with its words."""
    if start.tzinfo is None or end.tzinfo is None:
        raise DomainError(ErrorCode.VALIDATION, "the period needs times with a UTC offset", ["period"])
    if end <= start:
        raise DomainError(ErrorCode.VALIDATION, "the period must end after it starts", ["period", "to"])


def period_of(start: datetime, end: datetime) -> str:
    """ISO 8601 interval, as KpiReport.period writes it (the end itself is not part of it)."""
    return f"{start.isoformat()}/{end.isoformat()}"


def previous_start(start: datetime, end: datetime) -> datetime:
    """The previous period is [previous_start, start): as long as [start, end)."""
    return start - (end - start)


# ----------------------------------------------------------------------------- problem analysis


@dataclass(frozen=True)
class AnalysisRow:
    key: str  # for CUSTOMER the customer's id (the schema shows its global id)
    label: str
    count: int
    share: float
    previous_count: int
    breached_count: int
    median_resolution_hours: float | None


@dataclass(frozen=True)
class ProblemAnalysis:
    start: datetime
    end: datetime
    by: AnalysisDimension
    total: int
    previous_total: int
    rows: list[AnalysisRow]

    @property
    def period(self) -> str:
        return period_of(self.start, self.end)


def _label(dimension: AnalysisDimension, group: repo.Group) -> str:
    if group.key is None:
        return _NO_VALUE[dimension]
    if group.label is not None:  # a root cause's label, a customer's name
        return group.label
    if dimension in (AnalysisDimension.KIND, AnalysisDimension.PRIORITY):
        return _CODE_LABELS.get(group.key) or group.key.replace("_", " ").capitalize()  # "Quality issue"
    return group.key  # a product model, a region: their own words


async def problem_analysis(
    session: AsyncSession,
    *,
    dimension: AnalysisDimension,
    filters: TicketFilters,
    start: datetime,
    end: datetime,
    now: datetime,
) -> ProblemAnalysis:
    check_period(start, end)
    before = previous_start(start, end)
    groups, totals = await repo.ticket_groups(session, dimension, filters, start, end, before, sla.breached_sql(now))
    # An empty period (no group) or a dimension counting a ticket in several groups: counted on their own.
    total, previous_total = totals or await repo.ticket_totals(session, filters, start, end, before)
    rows = [
        AnalysisRow(
            key=NONE_KEY if g.key is None else g.key,
            label=_label(dimension, g),
            count=g.count,
            share=g.count / total,
            previous_count=g.previous_count,
            breached_count=g.breached_count,
            median_resolution_hours=g.median_resolution_hours,
        )
        for g in groups
    ]
    return ProblemAnalysis(start, end, dimension, total, previous_total, rows)


# ----------------------------------------------------------------------------- KPI series


def _next_start(day: date, bucket: TimeBucket) -> date:
    """The first local day of the bucket after the one holding `day`."""
    if bucket is TimeBucket.DAY:
        return day + timedelta(days=1)
    if bucket is TimeBucket.WEEK:
        return day + timedelta(days=7 - day.weekday())  # the next Monday
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def buckets(start: datetime, end: datetime, bucket: TimeBucket, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at the local midnights where `bucket`s begin in `zone`; the first and last clipped.

    A boundary is the instant of local midnight, so a day across a DST change lasts 23 or 25 hours.
    """
    check_period(start, end)
    cuts: list[tuple[datetime, datetime]] = []
    at, stop = start.astimezone(zone), end.astimezone(zone)
    while at < stop:
        if len(cuts) == MAX_BUCKETS:
            raise DomainError(
                ErrorCode.VALIDATION,
                T("a KPI series has at most {n} buckets: choose a shorter period or a longer bucket", n=MAX_BUCKETS),
                ["period"],
            )
        following = min(datetime.combine(_next_start(at.date(), bucket), time(), tzinfo=zone), stop)
        cuts.append((at, following))
        at = following
    return cuts


async def kpi_series(
    session: AsyncSession,
    *,
    department: str,
    start: datetime,
    end: datetime,
    bucket: TimeBucket,
    zone: ZoneInfo,
    user_id: uuid.UUID | None,
    now: datetime,
) -> list[kpis.KpiReport]:
    cuts = buckets(start, end, bucket, zone)  # refused before any statement when too many
    await _check_kpi_arguments(session, department, user_id)
    starts = [s for s, _ in cuts]
    if department == "MARKETING":
        per_bucket = await _marketing_series(session, starts, end, user_id)
    else:
        per_bucket = await _service_series(session, starts, end, user_id, now)
    return [
        kpis.KpiReport(department, s, e, user_id, figures) for (s, e), figures in zip(cuts, per_bucket, strict=True)
    ]


async def _check_kpi_arguments(session: AsyncSession, department: str, user_id: uuid.UUID | None) -> None:
    """services/kpis.py `report`'s checks of the department and the person, with its words."""
    if department not in kpis.DEPARTMENTS:
        raise DomainError(ErrorCode.VALIDATION, "KPIs are defined for MARKETING and SERVICE", ["department"])
    if user_id is None:
        return
    person = await accounts_repo.user_by_id(session, user_id)
    if person is None:
        raise DomainError(ErrorCode.NOT_FOUND, "user not found", ["userId"])
    if person.department != department:
        raise DomainError(
            ErrorCode.VALIDATION,
            T(
                "{department} KPIs are measured for members of {department}; this person is in {other}",
                department=department,
                other=person.department,
            ),
            ["userId"],
        )


async def _marketing_series(
    session: AsyncSession, starts: list[datetime], end: datetime, user_id: uuid.UUID | None
) -> list[list[kpis.Kpi]]:
    """services/kpis.py `_marketing` for every bucket: one statement per figure, not per bucket."""
    sales = await series_repo.sales(session, starts, end, user_id)
    targets = await series_repo.targets(session, starts, end, user_id)
    scores = await series_repo.satisfaction(session, starts, end, user_id)
    handoffs = await series_repo.handoffs_confirmed(session, starts, end, user_id, CONFIRMATION_WINDOW)
    return [
        [
            kpis.Kpi("sales_target_completion", float(sold), float(target.quantize(CENT))),
            kpis.Kpi("new_customers", float(new_customers), 1.0),
            kpis.Kpi("customer_satisfaction", float(score_sum), float(count)),
            kpis.Kpi("satisfied_share", float(satisfied), float(count)),
            kpis.Kpi("collaboration_marketing", float(confirmed), float(answered)),
        ]
        for (sold, new_customers), target, (score_sum, count, satisfied), (confirmed, answered) in zip(
            sales, targets, scores, handoffs, strict=True
        )
    ]


async def _service_series(
    session: AsyncSession, starts: list[datetime], end: datetime, user_id: uuid.UUID | None, now: datetime
) -> list[list[kpis.Kpi]]:
    """services/kpis.py `_service` for every bucket: one statement per figure, not per bucket."""
    clocks = await series_repo.ticket_clocks(session, starts, end, user_id, now)
    quality = await series_repo.job_quality(session, starts, end, user_id)
    answers = await series_repo.answers_on_time(session, starts, end, user_id, now, CONFIRMATION_WINDOW)
    return [
        [
            kpis.Kpi("response_timeliness", float(first_on_time), float(first_due)),
            kpis.Kpi("service_quality_pass_rate", float(passed), float(completed)),
            kpis.Kpi("complaint_resolution_rate", float(resolved_on_time), float(complaints_due)),
            kpis.Kpi("collaboration_service", float(on_time), float(due)),
        ]
        for (first_on_time, first_due, resolved_on_time, complaints_due), (passed, completed), (on_time, due) in zip(
            clocks, quality, answers, strict=True
        )
    ]


# ----------------------------------------------------------------------------- satisfaction


@dataclass(frozen=True)
class SatisfactionReport:
    start: datetime
    end: datetime
    count: int
    mean_score: float | None
    satisfied_share: float | None
    distribution: list[int]  # the number of scores 1, 2, 3, 4 and 5

    @property
    def period(self) -> str:
        return period_of(self.start, self.end)


async def satisfaction(
    session: AsyncSession, *, start: datetime, end: datetime, customer_id: uuid.UUID | None
) -> SatisfactionReport:
    check_period(start, end)
    if customer_id is not None and not await customers_repo.exists(session, customer_id):
        raise DomainError(ErrorCode.NOT_FOUND, "customer not found", ["customerId"])
    s = await repo.scores(session, start, end, customer_id)
    share = s.satisfied_count / s.count if s.count else None
    return SatisfactionReport(start, end, s.count, s.mean_score, share, s.distribution)
