"""GET /export/<report>.csv over HTTP: the same figures as the GraphQL reports, the same credentials and
permissions, clear refusals, and the tickets export streamed page by page."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import uuid
from datetime import timedelta

import httpx
import pytest

from schema.ids import to_global_id
from services import tickets as ticket_service
from services.tickets import NewTicket
from settings import Settings
from tests.support.accounts import PRINCIPALS, credential
from tests.support.presale import act
from tests.support.tickets import cast, open_ticket
from tests.web.test_metrics import scrape, value
from tests.web.test_reports import ANALYSIS, MARCH, NOW, SATISFACTION, SERIES, _scores, _tickets, at
from web import export
from web.app import create_app

KPIS = """query($p: PeriodInput!, $d: Department!) { kpis(period: $p, department: $d) {
  department period userId kpis { key label value numerator denominator } } }"""
SERIES_LABELS = SERIES.replace("kpis { key value", "kpis { key label value")
TICKETS = """query($after: String) { tickets(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { id number createdAt kind priority status subject customer { id name } assignee { id name }
    sla { state } firstRespondedAt resolvedAt closedAt rootCause { code } } } } }"""


def cells(*values) -> list[str]:
    """Values as the CSV writes them: empty for null, Python's str() for the rest."""
    return ["" if v is None else str(v) for v in values]


async def csv_of(http, report: str, token: str | None, **params) -> list[list[str]]:
    """The export's rows (the header first), after checking the status, the type and the BOM."""
    response = await http.get(f"/export/{report}.csv", params=params, headers=_auth(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def test_kpis_and_the_series_equal_the_graphql_reports(gql, http, users, services, clock):
    await _tickets(services, users, clock)
    key = await users.api_key("reporting")
    for department in ("SERVICE", "MARKETING"):
        report = (await gql.ok(KPIS, {"p": MARCH, "d": department}, key))["kpis"]
        rows = await csv_of(http, "kpis", key, department=department, **MARCH)
        assert rows[0] == ["Period", "Department", "User id", "KPI", "Label", "Value", "Numerator", "Denominator"]
        assert rows[1:] == [
            cells(report["period"], department, "", k["key"], k["label"], k["value"], k["numerator"], k["denominator"])
            for k in report["kpis"]
        ]
    series = (await gql.ok(SERIES_LABELS, {"p": MARCH, "b": "WEEK", "d": "SERVICE"}, key))["kpiSeries"]
    rows = await csv_of(http, "kpis", key, department="SERVICE", bucket="WEEK", **MARCH)
    assert len(series) == 6 and rows[1:] == [
        cells(r["period"], "SERVICE", "", k["key"], k["label"], k["value"], k["numerator"], k["denominator"])
        for r in series
        for k in r["kpis"]
    ]


async def test_problem_analysis_equals_the_graphql_report(gql, http, users, services, clock):
    await _tickets(services, users, clock)
    key = await users.api_key("reporting")
    for by in ("ROOT_CAUSE", "CUSTOMER", "PRODUCT_MODEL"):
        report = (await gql.ok(ANALYSIS, {"p": MARCH, "by": by}, key))["problemAnalysis"]
        rows = await csv_of(http, "problem-analysis", key, by=by, **MARCH)
        assert rows[0][:4] == ["Period", "Grouped by", "Key", "Label"]
        expected = [
            cells(
                report["period"],
                by,
                r["key"],
                r["label"],
                r["count"],
                r["share"],
                r["previousCount"],
                r["breachedCount"],
                r["medianResolutionHours"],
                report["total"],
                report["previousTotal"],
            )
            for r in report["rows"]
        ]
        assert rows[1:] == expected and len(expected) >= 3
    # An empty period: the header alone, as the report has no rows.
    empty = {"from": "2025-01-01T00:00:00+00:00", "to": "2025-02-01T00:00:00+00:00"}
    assert len(await csv_of(http, "problem-analysis", key, by="KIND", **empty)) == 1


async def test_satisfaction_equals_the_graphql_report(gql, http, users, services, clock):
    await _scores(services, users, clock)
    key = await users.api_key("reporting")
    report = (await gql.ok(SATISFACTION, {"p": MARCH}, key))["satisfaction"]
    rows = await csv_of(http, "satisfaction", key, **MARCH)
    assert rows == [
        [
            "Period",
            "Count",
            "Mean score",
            "Satisfied share (4-5)",
            "Score 1",
            "Score 2",
            "Score 3",
            "Score 4",
            "Score 5",
        ],
        cells(
            report["period"], report["count"], report["meanScore"], report["satisfiedShare"], *report["distribution"]
        ),
    ]
    assert rows[1][1] == "4"  # the hand-computed fixture of tests/web/test_reports.py


def _ticket_cells(t: dict) -> list[str]:
    assignee = t["assignee"] or {}
    return cells(
        t["id"],
        t["number"],
        t["createdAt"],
        t["kind"],
        t["priority"],
        t["status"],
        t["subject"],
        t["customer"]["id"],
        t["customer"]["name"],
        assignee.get("id"),
        assignee.get("name"),
        t["sla"]["state"],
        t["firstRespondedAt"],
        t["resolvedAt"],
        t["closedAt"],
        (t["rootCause"] or {}).get("code"),
    )


async def _graphql_tickets(gql, token) -> list[dict]:
    found, after = [], None
    while True:
        page = (await gql.ok(TICKETS, {"after": after}, token))["tickets"]
        found += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_tickets_equal_the_graphql_list_within_the_period(gql, http, users, services, clock):
    await _tickets(services, users, clock)
    key = await users.api_key("reporting")
    listed = await _graphql_tickets(gql, key)
    march = [t for t in listed if at(MARCH["from"]) <= at(t["createdAt"]) < at(MARCH["to"])]
    rows = await csv_of(http, "tickets", key, **MARCH)
    assert rows[0][:3] == ["Id", "Number", "Created at"]
    assert rows[1:] == [_ticket_cells(t) for t in march] and len(march) == 4  # newest first, as the list
    # The TicketFilter fields narrow it by the list's own rule.
    complaints = await csv_of(http, "tickets", key, kind="COMPLAINT", slaState="BREACHED", **MARCH)
    assert [r[3] for r in complaints[1:]] == ["COMPLAINT"]
    several = await csv_of(http, "tickets", key, kind="COMPLAINT,INQUIRY", **MARCH)
    assert len(several) == 1 + 3
    searched = await csv_of(http, "tickets", key, search="Crane", **MARCH)
    assert [r[8] for r in searched[1:]] == ["Crane"]
    # The resolution period ([resolvedFrom, resolvedTo)) and the root cause, as TicketFilter's.
    resolved = [t for t in march if t["resolvedAt"]]
    assert resolved, "the fixture resolves some March tickets"
    first_resolved = min(t["resolvedAt"] for t in resolved)
    later = await csv_of(http, "tickets", key, resolvedFrom=first_resolved, **MARCH)
    assert [r[1] for r in later[1:]] == [t["number"] for t in resolved]
    before = await csv_of(http, "tickets", key, resolvedTo=first_resolved, **MARCH)
    assert before[1:] == []  # exactly at resolvedTo: out
    cause = resolved[0]["rootCause"]["code"]
    caused = await csv_of(http, "tickets", key, rootCause=cause, **MARCH)
    assert [r[1] for r in caused[1:]] == [t["number"] for t in march if (t["rootCause"] or {}).get("code") == cause]


async def test_a_tickets_export_larger_than_a_page_streams_every_row_once_in_order(
    gql, http, users, services, clock, monkeypatch
):
    monkeypatch.setattr(export, "PAGE_SIZE", 3)  # 11 tickets: four pages, the last one short
    servicer = await users.create("SERVICE")
    a, *_ = await _tickets(services, users, clock)
    for n in range(7):
        clock.set(at("2026-03-20T09:00:00+00:00") + timedelta(minutes=n % 3))  # ties on created_at too
        await act(services, servicer, ticket_service.open_ticket, NewTicket(a.id, "INQUIRY", "LOW", f"more {n}", "x"))
    clock.set(NOW)
    key = await users.api_key("reporting")
    march = [t for t in await _graphql_tickets(gql, key) if at(t["createdAt"]) < at(MARCH["to"])]
    march = [t for t in march if at(t["createdAt"]) >= at(MARCH["from"])]
    pages = []
    read_page = export._ticket_page

    async def counted(*args):
        pages.append(args[2])  # the cursor each page is read after
        return await read_page(*args)

    monkeypatch.setattr(export, "_ticket_page", counted)
    response = await http.get("/export/tickets.csv", params=MARCH, headers=_auth(key))
    assert response.status_code == 200 and "content-length" not in response.headers  # streamed, not buffered
    assert len(pages) == 4 and len(set(pages)) == 4  # one statement per page, each from the last one's end
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(march) == 11 and rows[1:] == [_ticket_cells(t) for t in march]
    assert len({r[0] for r in rows[1:]}) == 11


async def test_a_reporting_key_gets_no_contact_details(http, users, services, clock):
    c = await cast(services)  # its customer has a contact with a phone number and an e-mail address
    await open_ticket(c)
    key = await users.api_key("reporting")
    period = {"from": "2026-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    response = await http.get("/export/tickets.csv", params=period, headers=_auth(key))
    assert response.status_code == 200 and "Acme Robotics" in response.text
    for detail in ("5555", "li.wei@acme.example", "Li Wei", "@"):
        assert detail not in response.text
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert not [h for h in header if any(w in h.lower() for w in ("phone", "mail", "contact"))]


REPORT_PARAMS = {
    "kpis": {"department": "SERVICE", **MARCH},
    "problem-analysis": {"by": "KIND", **MARCH},
    "satisfaction": MARCH,
    "tickets": MARCH,
}
# Who may export what: READ_KPIS for the KPI reports (a board key may not), READ for tickets.
EXPECTED = {principal: dict.fromkeys(REPORT_PARAMS, 200) for principal in PRINCIPALS}
EXPECTED["board key"].update({"kpis": 403, "problem-analysis": 403, "satisfaction": 403})


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_who_may_export(http, users, services, principal):
    token = await credential(services, users, principal)
    for report, params in REPORT_PARAMS.items():
        response = await http.get(f"/export/{report}.csv", params=params, headers=_auth(token))
        assert response.status_code == EXPECTED[principal][report], (report, response.text)
        if response.status_code == 403:
            assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_anonymous_and_bad_credentials_get_401_and_unknown_reports_404(http, users):
    for token in (None, "not-a-credential"):
        response = await http.get("/export/tickets.csv", params=MARCH, headers=_auth(token))
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    key = await users.api_key("reporting")
    assert (await http.get("/export/orders.csv", headers=_auth(key))).status_code == 404
    assert (await http.get("/export/kpis.json", headers=_auth(key))).status_code == 404


BAD = [
    ("kpis", {"department": "SALES", **MARCH}, "department"),
    ("kpis", {**MARCH}, "department"),
    ("kpis", {"department": "SERVICE", "to": MARCH["to"]}, "from"),
    ("kpis", {"department": "SERVICE", "from": "yesterday", "to": MARCH["to"]}, "from"),
    ("kpis", {"department": "SERVICE", "from": "2026-03-01T00:00:00", "to": MARCH["to"]}, "from"),
    ("kpis", {"department": "SERVICE", "from": MARCH["to"], "to": MARCH["from"]}, "to"),
    ("kpis", {"department": "SERVICE", "bucket": "YEAR", **MARCH}, "bucket"),
    ("kpis", {"department": "SERVICE", "userId": "nope", **MARCH}, "userId"),
    ("kpis", {"department": "SERVICE", "userId": to_global_id("User", uuid.uuid4()), **MARCH}, "userId"),
    ("kpis", {"department": "SERVICE", "from": [MARCH["from"], MARCH["from"]], "to": MARCH["to"]}, "from"),
    ("kpis", {"department": "SERVICE", "bucket": "DAY", "from": "2025-01-01T00:00:00Z", "to": MARCH["to"]}, "from"),
    ("problem-analysis", {"by": "COLOUR", **MARCH}, "by"),
    ("problem-analysis", {**MARCH}, "by"),
    ("satisfaction", {"customer": "x", **MARCH}, "customer"),
    ("tickets", {"status": "NEW,LOST", **MARCH}, "status"),
    ("tickets", {"escalated": "maybe", **MARCH}, "escalated"),
    ("tickets", {"slaState": "LATE", **MARCH}, "slaState"),
    ("tickets", {"customerId": "bad", **MARCH}, "customerId"),
    ("tickets", {"search": "x" * 201, **MARCH}, "search"),
    ("tickets", {"resolvedFrom": "2026-03-02T00:00:00Z", "resolvedTo": "2026-03-01T00:00:00Z", **MARCH}, "resolvedTo"),
    ("tickets", {"resolvedFrom": "yesterday", **MARCH}, "resolvedFrom"),
]


async def test_bad_parameters_are_400_naming_the_parameter(http, users):
    key = await users.api_key("reporting")
    for report, params, parameter in BAD:
        response = await http.get(f"/export/{report}.csv", params=params, headers=_auth(key))
        assert response.status_code == 400, (report, params, response.text)
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "parameter": parameter}, (report, params)
        assert parameter in error["message"] or parameter == "from", error["message"]


async def test_a_tickets_export_over_the_row_cap_is_refused_before_any_row(http, users, services, clock):
    await _tickets(services, users, clock)
    services.settings = dataclasses.replace(services.settings, max_export_rows=3)
    key = await users.api_key("reporting")
    response = await http.get("/export/tickets.csv", params=MARCH, headers=_auth(key))
    assert response.status_code == 400
    assert "TANDEM_MAX_EXPORT_ROWS" in response.json()["errors"][0]["message"]
    assert len(await csv_of(http, "tickets", key, kind="COMPLAINT", **MARCH)) == 1 + 2  # within the cap


async def test_an_api_key_over_its_rate_limit_gets_429_here_too(http, users, services):
    services.settings = dataclasses.replace(services.settings, rate_limit_reporting=2, rate_limit_window_seconds=60)
    key = await users.api_key("reporting")
    for _ in range(2):
        await csv_of(http, "satisfaction", key, **MARCH)
    refused = await http.get("/export/satisfaction.csv", params=MARCH, headers=_auth(key))
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    # GraphQL and the export share the key's count.
    assert (await http.post("/graphql", json={"query": "{ me { name } }"}, headers=_auth(key))).status_code == 429


async def test_exports_are_counted_in_metrics_as_export_operations(services, users):
    app = create_app(dataclasses.replace(services.settings, metrics=True), services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tandem.test") as client:
        board, reporting = await users.api_key("board"), await users.api_key("reporting")
        await csv_of(client, "tickets", reporting, **MARCH)
        assert (await client.get("/export/kpis.csv", params=MARCH, headers=_auth(board))).status_code == 403
        samples = await scrape(client)
    count = "tandem_request_duration_seconds_count"
    assert value(samples, count, operation="export:tickets", outcome="ok") == 1
    assert value(samples, count, operation="export:kpis", outcome="forbidden") == 1


async def test_a_ticket_opened_while_the_export_streams_is_not_in_it(gql, http, users, services, clock, monkeypatch):
    monkeypatch.setattr(export, "PAGE_SIZE", 2)
    servicer = await users.create("SERVICE")
    a, *_ = await _tickets(services, users, clock)
    key = await users.api_key("reporting")
    read_page, opened = export._ticket_page, []

    async def page_then_open(*args):
        result = await read_page(*args)
        if not opened:  # after the first page: a ticket that would sort onto the last one
            clock.set(at("2026-03-01T12:00:00+00:00"))
            new = NewTicket(a.id, "INQUIRY", "LOW", "opened meanwhile", "x")
            opened.append(await act(services, servicer, ticket_service.open_ticket, new))
            clock.set(NOW)
        return result

    monkeypatch.setattr(export, "_ticket_page", page_then_open)
    rows = await csv_of(http, "tickets", key, **MARCH)
    assert opened and len(rows) == 1 + 4  # the export's one snapshot
    assert "opened meanwhile" in {r[6] for r in (await csv_of(http, "tickets", key, **MARCH))[1:]}


def test_the_row_cap_is_a_setting():
    assert Settings.from_env({}).max_export_rows == 100_000
    assert Settings.from_env({"TANDEM_MAX_EXPORT_ROWS": "5000"}).max_export_rows == 5000
    with pytest.raises(ValueError, match="TANDEM_MAX_EXPORT_ROWS must be positive"):
        Settings.from_env({"TANDEM_MAX_EXPORT_ROWS": "0"})
