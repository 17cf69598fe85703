"""The CSV export's columns (GET /export/<report>.csv, web/export.py): header names and row cells.

Every figure comes from the report objects of services/kpis.py and services/reports.py, or from ticket
rows of db/repositories/tickets.py, the same objects the GraphQL types are made from; nothing here
computes a figure, it only writes the values out. A number is written as Python writes the float the
GraphQL response carries (0.25, 20.0), an empty cell for null, a time in ISO 8601 with its offset, an id
as the GraphQL global id, so a reporting tool can join the CSV with what the API returns.

Header names are English msgids in HEADERS, rendered by `header(key, language)` from the message
catalogs (services/i18n.py: zh-Hans / zh-Hant by Accept-Language, web/export.py `language_of`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from schema.ids import to_global_id
from services import i18n, sla
from services.i18n import T
from services.kpis import KpiReport
from services.reports import ProblemAnalysis, SatisfactionReport
from services.rules.reports import NONE_KEY, AnalysisDimension

DEFAULT_LANGUAGE = "en"

# The columns' names, English msgids (services/i18n.py): `header` renders them in the caller's language.
HEADERS: dict[str, dict[str, str]] = {
    "en": {
        "period": T("Period"),
        "department": T("Department"),
        "user_id": T("User id"),
        "kpi": T("KPI"),
        "label": T("Label"),
        "value": T("Value"),
        "numerator": T("Numerator"),
        "denominator": T("Denominator"),
        "by": T("Grouped by"),
        "key": T("Key"),
        "count": T("Count"),
        "share": T("Share"),
        "previous_count": T("Previous period count"),
        "breached_count": T("SLA breached"),
        "median_resolution_hours": T("Median resolution hours"),
        "total": T("Total"),
        "previous_total": T("Previous period total"),
        "mean_score": T("Mean score"),
        "satisfied_share": T("Satisfied share (4-5)"),
        "score_1": T("Score 1"),
        "score_2": T("Score 2"),
        "score_3": T("Score 3"),
        "score_4": T("Score 4"),
        "score_5": T("Score 5"),
        "id": T("Id"),
        "number": T("Number"),
        "created_at": T("Created at"),
        "kind": T("Kind"),
        "priority": T("Priority"),
        "status": T("Status"),
        "subject": T("Subject"),
        "customer_id": T("Customer id"),
        "customer": T("Customer"),
        "assignee_id": T("Assignee id"),
        "assignee": T("Assignee"),
        "sla_state": T("SLA state"),
        "first_responded_at": T("First responded at"),
        "resolved_at": T("Resolved at"),
        "closed_at": T("Closed at"),
        "root_cause": T("Root cause"),
    },
}

# The columns of each report, in order. The tickets export has no contact details at all (a ticket has
# none of its own, and a customer's contacts are per contact, not per ticket): nothing for a reporting
# key to be kept from, and one column set for every caller.
COLUMNS: dict[str, tuple[str, ...]] = {
    "kpis": ("period", "department", "user_id", "kpi", "label", "value", "numerator", "denominator"),
    "problem-analysis": (
        "period",
        "by",
        "key",
        "label",
        "count",
        "share",
        "previous_count",
        "breached_count",
        "median_resolution_hours",
        "total",
        "previous_total",
    ),
    "satisfaction": (
        "period",
        "count",
        "mean_score",
        "satisfied_share",
        "score_1",
        "score_2",
        "score_3",
        "score_4",
        "score_5",
    ),
    "tickets": (
        "id",
        "number",
        "created_at",
        "kind",
        "priority",
        "status",
        "subject",
        "customer_id",
        "customer",
        "assignee_id",
        "assignee",
        "sla_state",
        "first_responded_at",
        "resolved_at",
        "closed_at",
        "root_cause",
    ),
}


def header(key: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The column's name in `language` (its catalog's; English when the catalog lacks it)."""
    return i18n.render(HEADERS[DEFAULT_LANGUAGE][key], language)


def header_row(report: str, language: str = DEFAULT_LANGUAGE) -> list[str]:
    return [header(key, language) for key in COLUMNS[report]]


def cell(value: Any) -> Any:
    """A value as the CSV writes it: empty for null, ISO 8601 for a time, the rest as Python writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _gid(type_name: str, value: uuid.UUID | None) -> str:
    return to_global_id(type_name, value) if value is not None else ""


def kpi_table(reports: Iterable[KpiReport]) -> list[list[Any]]:
    """One row per KPI per report (one report for `kpis`, one per bucket for the series)."""
    rows: list[list[Any]] = []
    for report in reports:
        user = _gid("User", report.user_id)
        rows.extend(
            [report.period, report.department, user, k.key, k.label, cell(k.value), k.numerator, k.denominator]
            for k in report.kpis
        )
    return rows


def analysis_table(report: ProblemAnalysis) -> list[list[Any]]:
    """The groups, largest first; each row repeats the totals (an empty period has no row, and the header)."""
    customer = report.by is AnalysisDimension.CUSTOMER
    return [
        [
            report.period,
            report.by.value,
            to_global_id("Customer", r.key) if customer and r.key != NONE_KEY else r.key,
            r.label,
            r.count,
            r.share,
            r.previous_count,
            r.breached_count,
            cell(r.median_resolution_hours),
            report.total,
            report.previous_total,
        ]
        for r in report.rows
    ]


def satisfaction_table(report: SatisfactionReport) -> list[list[Any]]:
    return [[report.period, report.count, cell(report.mean_score), cell(report.satisfied_share), *report.distribution]]


def ticket_table(
    tickets: Sequence[Any], customers: dict[uuid.UUID, str], users: dict[uuid.UUID, str], now: datetime
) -> list[list[Any]]:
    """A page of ticket rows; `customers` and `users` map ids to names (loaded once per page)."""
    return [
        [
            to_global_id("Ticket", t.id),
            t.number,
            cell(t.created_at),
            t.kind,
            t.priority,
            t.status,
            t.subject,
            to_global_id("Customer", t.customer_id),
            customers.get(t.customer_id, ""),
            _gid("User", t.assignee_id),
            users.get(t.assignee_id, "") if t.assignee_id else "",
            sla.ticket_state(t, now).value,
            cell(t.first_responded_at),
            cell(t.resolved_at),
            cell(t.closed_at),
            cell(t.root_cause_code),
        ]
        for t in tickets
    ]
