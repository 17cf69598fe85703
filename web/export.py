"""GET /export/<report>.csv: the reports as CSV for reporting tools (OPERATIONS.md "Endpoints").

The same credentials as GraphQL (`Authorization: Bearer <login token or API key>`, web/graphql_view.py
`authenticate`), the same permissions (services/access.py: `kpis`, `problem-analysis` and `satisfaction`
need READ_KPIS as their GraphQL fields do, `tickets` READ), the same rate limit per API key
(web/rate_limit.py, counted before any work), and the same figures: each report calls the service the
GraphQL resolver calls (services/kpis.py, services/reports.py) or pages the tickets repository's own
list (db/repositories/tickets.py `page`, its `filtered` rule), in one REPEATABLE READ snapshot.

Reports and their parameters (times are ISO 8601 with an offset; the period is [from, to)):
- kpis: department, from, to, userId (a User id), bucket (DAY / WEEK / MONTH: then it is kpiSeries);
- problem-analysis: by, from, to;
- satisfaction: from, to;
- tickets: from, to on the created time, and the TicketFilter fields status, kind, priority (several
  values repeated or comma-separated), assigneeId, customerId, slaState, escalated (true/false), search,
  resolvedFrom / resolvedTo (the resolution time in [resolvedFrom, resolvedTo)), rootCause (a category code).
  Newest first, streamed in keyset pages of PAGE_SIZE; at most `max_export_rows` (TANDEM_MAX_EXPORT_ROWS)
  rows, refused (400) before the first byte when the period holds more, never cut off silently.

Answers: 200 text/csv, UTF-8 with a BOM (so spreadsheet programs read Chinese text as such); 400 with a
GraphQL-shaped error naming the parameter (`extensions.parameter`); 401 without a valid credential; 403
for a credential without the permission; 404 for an unknown report; 429 over the rate limit; 503 while
the database is unreachable.
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from db.repositories import accounts as accounts_repo
from db.repositories import customers as customers_repo
from db.repositories import reports as reports_repo
from db.repositories import tickets as tickets_repo
from db.repositories.pagination import encode_cursor
from schema.context import AppServices, ReadScope
from schema.ids import decode_id
from services import i18n, kpis, outage, reports, sla
from services.access import Action, allowed
from services.errors import DomainError
from services.i18n import T
from services.kpis import DEPARTMENTS
from services.rules.reports import ANALYSIS_DIMENSIONS, TIME_BUCKETS, AnalysisDimension, TimeBucket
from services.rules.tickets import TICKET_KINDS, TICKET_PRIORITIES, TICKET_STATUSES
from web import export_reports as columns
from web import logging_setup, rate_limit
from web.graphql_view import authenticate, bearer

log = logging.getLogger("tandem.web")

BOM = "\ufeff"
PAGE_SIZE = 500  # tickets per keyset page: one statement (and two name look-ups) per 500 rows
MEDIA_TYPE = "text/csv; charset=utf-8"

# The query parameters each report accepts; anything else is refused by name (a misspelt filter
# would otherwise export everything).
PARAMETERS: dict[str, frozenset[str]] = {
    "kpis": frozenset({"department", "from", "to", "userId", "bucket"}),
    "problem-analysis": frozenset({"by", "from", "to"}),
    "satisfaction": frozenset({"from", "to"}),
    "tickets": frozenset(
        {"from", "to", "status", "kind", "priority", "assigneeId", "customerId", "slaState", "escalated", "search"}
        | {"resolvedFrom", "resolvedTo", "rootCause"}
    ),
}
NEEDS = {"kpis": Action.READ_KPIS, "problem-analysis": Action.READ_KPIS, "satisfaction": Action.READ_KPIS}
SLA_STATES = tuple(s.value for s in sla.SlaState)
# A service's refusal names a GraphQL argument; here that is one of the query's parameters.
_PARAMETER_OF_FIELD = {"period": "from", "to": "to", "userId": "userId", "department": "department"}


class BadParameter(Exception):
    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter, self.message = parameter, message


def error(status: int, code: str, message: str, language: str = i18n.ENGLISH, **extensions: Any) -> Response:
    """A refusal, shaped as GraphQL's errors are, its message in the caller's language; its code is the
    request's outcome in logs and metrics."""
    if (record := logging_setup.current()) is not None:
        record.outcome = code.lower()
    body = {"errors": [{"message": i18n.render(message, language), "extensions": {"code": code, **extensions}}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def language_of(request: Request, services: AppServices | None = None) -> str:
    """The language of the headers, labels and refusals: Accept-Language, else TANDEM_DEFAULT_LANGUAGE."""
    default = getattr(getattr(services, "settings", None), "default_language", None) or columns.DEFAULT_LANGUAGE
    return i18n.negotiate(request.headers.get("accept-language"), default)


# ----------------------------------------------------------------------------- parameters


class Query:
    """The request's query parameters, each read and checked once, refusals naming the parameter."""

    def __init__(self, request: Request, allowed_names: frozenset[str]):
        self._params = request.query_params
        unknown = sorted(set(self._params.keys()) - allowed_names)
        if unknown:
            raise BadParameter(
                unknown[0],
                T(
                    "unknown parameter {name}; this report takes {names}",
                    name=repr(unknown[0]),
                    names=", ".join(sorted(allowed_names)),
                ),
            )

    def text(self, name: str, *, required: bool = False) -> str | None:
        values = self._params.getlist(name)
        if len(values) > 1:
            raise BadParameter(name, T("{name} is given more than once", name=name))
        value = values[0].strip() if values else ""
        if not value:
            if required:
                raise BadParameter(name, T("{name} is required", name=name))
            return None
        return value

    def choice(self, name: str, choices: Sequence[str], *, required: bool = False) -> str | None:
        value = self.text(name, required=required)
        if value is not None and value not in choices:
            raise BadParameter(
                name,
                T(
                    "{name} must be one of {choices}, not {value}",
                    name=name,
                    choices=", ".join(choices),
                    value=repr(value),
                ),
            )
        return value

    def choices(self, name: str, choices: Sequence[str]) -> list[str]:
        """Several values: repeated (`status=NEW&status=ACKNOWLEDGED`) or comma-separated."""
        values = [v.strip() for raw in self._params.getlist(name) for v in raw.split(",") if v.strip()]
        for value in values:
            if value not in choices:
                raise BadParameter(
                    name,
                    T(
                        "{name} must be among {choices}, not {value}",
                        name=name,
                        choices=", ".join(choices),
                        value=repr(value),
                    ),
                )
        return values

    def time(self, name: str) -> datetime:
        value = self.text(name, required=True)
        assert value is not None
        # An unencoded "+" of an offset arrives as a space: "2026-03-01T00:00:00 08:00" meant +08:00.
        if len(value) > 6 and value[-6] == " ":
            value = value[:-6] + "+" + value[-5:]
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise BadParameter(
                name, T("{name} must be an ISO 8601 time, such as 2026-03-01T00:00:00+08:00", name=name)
            ) from None
        if parsed.tzinfo is None:
            raise BadParameter(name, T("{name} needs a UTC offset (such as +08:00 or Z)", name=name))
        return parsed

    def period(self) -> tuple[datetime, datetime]:
        start, end = self.time("from"), self.time("to")
        if end <= start:
            raise BadParameter("to", T("to must be after from"))
        return start, end

    def id(self, name: str, type_name: str) -> uuid.UUID | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return decode_id(value, type_name, name)
        except DomainError:
            raise BadParameter(name, T("{field} is not a {type} id", field=name, type=type_name)) from None

    def flag(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None:
            return None
        if value.lower() not in ("true", "false"):
            raise BadParameter(name, T("{name} must be true or false", name=name))
        return value.lower() == "true"


def ticket_filters(query: Query, services: AppServices, now: datetime) -> tickets_repo.TicketFilters:
    """The TicketFilter fields as the tickets list reads them (schema/types/tickets.py `ticket_filters`)."""
    search = query.text("search")
    longest = getattr(services.settings, "max_search_length", 200)
    if search is not None and len(search) > longest:
        raise BadParameter("search", T("search is longer than {n} characters", n=longest))
    state = query.choice("slaState", SLA_STATES)
    resolved_from, resolved_to = (query.time(n) if query.text(n) is not None else None for n in _RESOLVED)
    if resolved_from is not None and resolved_to is not None and resolved_to < resolved_from:
        raise BadParameter("resolvedTo", T("resolvedTo must not be before resolvedFrom"))
    return tickets_repo.TicketFilters(
        status=query.choices("status", TICKET_STATUSES),
        kind=query.choices("kind", TICKET_KINDS),
        priority=query.choices("priority", TICKET_PRIORITIES),
        assignee_id=query.id("assigneeId", "User"),
        customer_id=query.id("customerId", "Customer"),
        escalated=query.flag("escalated"),
        search=search,
        sla=sla.ticket_state_is(state, now) if state else None,
        resolved_from=resolved_from,
        resolved_to=resolved_to,
        root_cause=query.text("rootCause"),
    )


_RESOLVED = ("resolvedFrom", "resolvedTo")


# ----------------------------------------------------------------------------- CSV


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def csv_response(report: str, language: str, rows: list[list[Any]]) -> Response:
    # Labels (KPIs, analysis groups) are messages: written in the header's language.
    rendered = [[i18n.render(value, language) for value in row] for row in rows]
    body = BOM + csv_text([columns.header_row(report, language), *rendered])
    return Response(body.encode("utf-8"), media_type=MEDIA_TYPE, headers=_download(report))


def _download(report: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{report}.csv"', "Cache-Control": "no-store"}


# ----------------------------------------------------------------------------- reports


async def _kpis(services: AppServices, scope: ReadScope, query: Query, now: datetime) -> list[list[Any]]:
    department = query.choice("department", DEPARTMENTS, required=True)
    assert department is not None  # required: refused above when missing
    start, end = query.period()
    user_id = query.id("userId", "User")
    bucket = query.choice("bucket", TIME_BUCKETS)
    if bucket is None:
        report = await scope.run(
            lambda s: kpis.report(s, department=department, start=start, end=end, user_id=user_id, now=now)
        )
        return columns.kpi_table([report])
    zone = ZoneInfo(getattr(services.settings, "time_zone", None) or "Asia/Shanghai")
    series = await scope.run(
        lambda s: reports.kpi_series(
            s,
            department=department,
            start=start,
            end=end,
            bucket=TimeBucket(bucket),
            zone=zone,
            user_id=user_id,
            now=now,
        )
    )
    return columns.kpi_table(series)


async def _analysis(services: AppServices, scope: ReadScope, query: Query, now: datetime) -> list[list[Any]]:
    by = query.choice("by", ANALYSIS_DIMENSIONS, required=True)
    assert by is not None  # required: refused above when missing
    start, end = query.period()
    dimension = AnalysisDimension(by)
    filters = tickets_repo.TicketFilters()
    report = await scope.run(
        lambda s: reports.problem_analysis(s, dimension=dimension, filters=filters, start=start, end=end, now=now)
    )
    return columns.analysis_table(report)


async def _satisfaction(services: AppServices, scope: ReadScope, query: Query, now: datetime) -> list[list[Any]]:
    start, end = query.period()
    report = await scope.run(lambda s: reports.satisfaction(s, start=start, end=end, customer_id=None))
    return columns.satisfaction_table(report)


REPORTS = {"kpis": _kpis, "problem-analysis": _analysis, "satisfaction": _satisfaction}


async def _ticket_page(scope: ReadScope, filters: Any, after: str, start: datetime, now: datetime) -> Any:
    """(rows of the page within the period, the next cursor or None at the end)."""

    async def work(session: Any) -> Any:
        page = await tickets_repo.page(session, filters, first=PAGE_SIZE, after=after)
        inside = [t for t in page.rows if t.created_at >= start]  # newest first: the rest are older still
        customers = await customers_repo.by_ids(session, {t.customer_id for t in inside})
        people = {t.assignee_id for t in inside if t.assignee_id is not None}
        users = await accounts_repo.users_by_ids(session, people) if people else []
        table = columns.ticket_table(inside, {c.id: c.name for c in customers}, {u.id: u.name for u in users}, now)
        more = page.has_next and len(inside) == len(page.rows)
        return table, (page.cursors[-1] if more else None)

    return await scope.run(work)


async def _tickets(services: AppServices, scope: ReadScope, query: Query, now: datetime, language: str) -> Response:
    start, end = query.period()
    filters = ticket_filters(query, services, now)
    cap = getattr(services.settings, "max_export_rows", 100_000)
    # The period's size, counted by the same rule in the same snapshot as the rows that follow.
    total, _ = await scope.run(lambda s: reports_repo.ticket_totals(s, filters, start, end, start))
    if total > cap:
        raise BadParameter(
            "from",
            f"the export holds {total} tickets, more than {cap} (TANDEM_MAX_EXPORT_ROWS): choose a shorter period",
        )
    # The list is newest first from a cursor at `to`: the page's seek, (created_at, id) < (to, the
    # smallest id), is exactly created_at < to; reading stops at the first ticket older than `from`.
    cursor = encode_cursor([end, uuid.UUID(int=0)])
    first, cursor_next = await _ticket_page(scope, filters, cursor, start, now)

    async def body() -> AsyncIterator[bytes]:
        try:
            yield (BOM + csv_text([columns.header_row("tickets", language), *first])).encode("utf-8")
            after = cursor_next
            while after is not None:
                table, after = await _ticket_page(scope, filters, after, start, now)
                yield csv_text(table).encode("utf-8")
        finally:
            await scope.close()

    return StreamingResponse(body(), media_type=MEDIA_TYPE, headers=_download("tickets"))


# ----------------------------------------------------------------------------- the endpoint


def endpoint(current: Callable[[], AppServices]) -> Callable[[Request], Any]:
    """The route's handler; `current()` gives the app's services once it has started."""

    async def export(request: Request) -> Response:
        report = request.path_params["report"]
        services = current()
        language = language_of(request, services)
        if report not in PARAMETERS:
            reports = ", ".join(sorted(PARAMETERS))
            return error(
                404,
                "NOT_FOUND",
                T("no report {report}; reports: {reports}", report=repr(report), reports=reports),
                language,
            )
        record = logging_setup.current()
        if record is not None:
            record.operation = f"export:{report}"
        credential = bearer(request.headers.get("authorization"))
        if not credential:
            return error(401, "UNAUTHENTICATED", T("send Authorization: Bearer <login token or API key>"), language)
        try:
            principal = await authenticate(services, credential)
        except Exception as exc:
            if not outage.is_database_unavailable(exc):
                raise
            log.warning("database unreachable checking an export's credential: %r", exc)
            return error(503, outage.CODE, outage.MESSAGE, language)
        if principal is None:
            return error(401, "UNAUTHENTICATED", T("invalid, expired or revoked credential"), language)
        if record is not None:
            record.principal = principal
        limited = await rate_limit.refusal_response(services, request, principal)
        if limited is not None:
            return limited
        if not allowed(principal, NEEDS.get(report, Action.READ)):
            return error(403, "FORBIDDEN", T("this credential may not export {report}", report=report), language)
        scope = ReadScope(services.db)
        streaming = False
        try:
            query = Query(request, PARAMETERS[report])
            now = services.clock.now()
            if report == "tickets":
                response = await _tickets(services, scope, query, now, language)
                streaming = True  # the stream closes the snapshot when it ends
                return response
            return csv_response(report, language, await REPORTS[report](services, scope, query, now))
        except BadParameter as bad:
            return error(400, "BAD_USER_INPUT", bad.message, language, parameter=bad.parameter)
        except DomainError as refused:  # a service's refusal of a value (a user of another department …)
            parameter = _PARAMETER_OF_FIELD.get(field := (refused.field or ["from"])[-1], field)
            message = i18n.render(refused.message, language)
            if parameter not in refused.message:
                message = f"{parameter}: {message}"
            return error(400, "BAD_USER_INPUT", message, language, parameter=parameter)
        finally:
            if not streaming:
                await scope.close()

    return export
