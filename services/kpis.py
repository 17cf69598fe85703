"""KPIs (DOMAIN.md "KPI definitions", policy 考核指標): what each figure means, per period [from, to).

Every KPI carries its numerator and denominator so a report can be checked by hand; its value is
numerator ÷ denominator, null when the denominator is 0. The SQL is in db/repositories/kpis.py.

Marketing
- sales_target_completion: contract value of the orders confirmed in the period (not cancelled since)
  ÷ the sales target of the period. Targets whose days overlap the period count prorated by the share of
  their time inside it (a March target of 31,000 gives 15,000 for March 1–16); a target's days are
  UTC days. The department's report uses the department-wide targets, a person's report theirs.
- new_customers: customers whose first order (first confirmed, not cancelled) was confirmed in the
  period; denominator 1, so the value is the count.
- customer_satisfaction: mean score of the feedback recorded in the period (sum ÷ count);
  satisfied_share: the share of those scores that are 4 or 5.
- collaboration_marketing: order handoffs in the period that service confirmed rather than returned ÷
  the handoffs in the period that service answered. Read from the event log, so an order handed off,
  returned and handed off again counts as two handoffs (one returned, one confirmed). Handoffs still
  waiting for an answer, or cancelled before one, are left out until they have one.

Service
- response_timeliness: tickets whose first response was due in the period and came by then ÷ tickets
  whose first response was due in the period.
- service_quality_pass_rate: service jobs completed in the period whose quality check passed ÷ service
  jobs completed in the period.
- complaint_resolution_rate: COMPLAINT tickets resolved by their resolution due time ÷ complaints whose
  resolution was due in the period.
- collaboration_service: service's answers to the handoffs of the SLA table due in the period (order
  handoffs confirmed or returned, solution reviews, registration acknowledgements, each within 24 h)
  that came in time ÷ those due in the period; handoffs withdrawn before their due time (order
  cancelled, opportunity lost) are left out.
For the service "due in the period" KPIs an item still within its window and not answered yet is
undecided and left out; once answered, or once its due time passed, it counts.

With a user: marketing figures cover the orders (and their handoffs) that person owns and the feedback
on the customers they own; service figures the tickets assigned to them, the jobs they did, and the
answers they gave.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import accounts as accounts_repo
from db.repositories import kpis as repo
from services.errors import DomainError, ErrorCode
from services.i18n import T
from services.sla import CONFIRMATION_WINDOW

DEPARTMENTS = ("MARKETING", "SERVICE")

LABELS = {
    "sales_target_completion": T("Sales-target completion rate"),
    "new_customers": T("New customers"),
    "customer_satisfaction": T("Customer satisfaction (mean score, 1–5)"),
    "satisfied_share": T("Share of satisfied customers (scores 4–5)"),
    "collaboration_marketing": T("Collaboration score (marketing): handoffs confirmed without being returned"),
    "response_timeliness": T("Response timeliness rate"),
    "service_quality_pass_rate": T("Service-quality pass rate"),
    "complaint_resolution_rate": T("Complaint resolution rate"),
    "collaboration_service": T("Collaboration score (service): handoffs and reviews answered within their SLA"),
}


@dataclass(frozen=True)
class Kpi:
    key: str
    numerator: float
    denominator: float

    @property
    def label(self) -> str:
        return LABELS[self.key]

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class KpiReport:
    department: str
    start: datetime
    end: datetime
    user_id: uuid.UUID | None
    kpis: list[Kpi]

    @property
    def period(self) -> str:
        """ISO 8601 interval, start/end (the end itself is not part of it)."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def __getitem__(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)


def _kpi(key: str, numerator: Decimal | int, denominator: Decimal | int) -> Kpi:
    return Kpi(key, float(numerator), float(denominator))


async def report(
    session: AsyncSession, *, department: str, start: datetime, end: datetime, user_id: uuid.UUID | None, now: datetime
) -> KpiReport:
    if department not in DEPARTMENTS:
        raise DomainError(ErrorCode.VALIDATION, "KPIs are defined for MARKETING and SERVICE", ["department"])
    if start.tzinfo is None or end.tzinfo is None:
        raise DomainError(ErrorCode.VALIDATION, "the period needs times with a UTC offset", ["period"])
    if end <= start:
        raise DomainError(ErrorCode.VALIDATION, "the period must end after it starts", ["period", "to"])
    if user_id is not None:
        person = await accounts_repo.user_by_id(session, user_id)
        if person is None:
            raise DomainError(ErrorCode.NOT_FOUND, "user not found", ["userId"])
        if person.department != department:
            # Each KPI counts what members of its department do (orders they own, tickets assigned to
            # them): for anyone else every figure would be an empty ratio, which reads like a bad month.
            raise DomainError(
                ErrorCode.VALIDATION,
                T(
                    "{department} KPIs are measured for members of {department}; this person is in {other}",
                    department=department,
                    other=person.department,
                ),
                ["userId"],
            )
    if department == "MARKETING":
        kpis = await _marketing(session, start, end, user_id)
    else:
        kpis = await _service(session, start, end, user_id, now)
    return KpiReport(department, start, end, user_id, kpis)


async def _marketing(session: AsyncSession, start: datetime, end: datetime, user_id: uuid.UUID | None) -> list[Kpi]:
    sold, new_customers = await repo.sales(session, start, end, user_id)
    target = (await repo.target(session, start, end, user_id)).quantize(Decimal("0.01"))  # prorated: to the cent
    score_sum, scores, satisfied = await repo.satisfaction(session, start, end, user_id)
    confirmed, answered = await repo.handoffs_confirmed(session, start, end, user_id, CONFIRMATION_WINDOW)
    return [
        _kpi("sales_target_completion", sold, target),
        _kpi("new_customers", new_customers, 1),
        _kpi("customer_satisfaction", score_sum, scores),
        _kpi("satisfied_share", satisfied, scores),
        _kpi("collaboration_marketing", confirmed, answered),
    ]


async def _service(
    session: AsyncSession, start: datetime, end: datetime, user_id: uuid.UUID | None, now: datetime
) -> list[Kpi]:
    responses, complaints = await repo.ticket_clocks(session, start, end, user_id, now)
    quality = await repo.job_quality(session, start, end, user_id)
    answers = await repo.answers_on_time(session, start, end, user_id, now, CONFIRMATION_WINDOW)
    return [
        _kpi("response_timeliness", responses.numerator, responses.denominator),
        _kpi("service_quality_pass_rate", quality.numerator, quality.denominator),
        _kpi("complaint_resolution_rate", complaints.numerator, complaints.denominator),
        _kpi("collaboration_service", answers.numerator, answers.denominator),
    ]
