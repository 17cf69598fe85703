"""Problem analysis, KPI series and the satisfaction report over HTTP, against hand-computed fixtures."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from schema.ids import to_global_id
from services import customers as customer_service
from services import feedback as feedback_service
from services import orders as order_service
from services import tickets as ticket_service
from services.customers import NewCustomer
from services.feedback import NewFeedback
from services.orders import ItemData, NewOrder
from services.tickets import NewTicket
from settings import Settings
from tests.support.accounts import KEYS, PRINCIPALS, credential
from tests.support.database import statements
from tests.support.graphql import error_codes
from tests.support.presale import act

ANALYSIS = """query($p: PeriodInput!, $by: AnalysisDimension!, $f: TicketFilter) {
  problemAnalysis(period: $p, by: $by, filter: $f) { period by total previousTotal
    rows { key label count share previousCount breachedCount medianResolutionHours } } }"""
SERIES = """query($p: PeriodInput!, $b: TimeBucket!, $d: Department!, $u: ID) {
  kpiSeries(period: $p, bucket: $b, department: $d, userId: $u) { department period userId
    kpis { key value numerator denominator } } }"""
KPIS = """query($p: PeriodInput!, $d: Department!) { kpis(period: $p, department: $d) {
  period kpis { key value numerator denominator } } }"""
SATISFACTION = """query($p: PeriodInput!, $c: ID) { satisfaction(period: $p, customerId: $c) {
  period count meanScore satisfiedShare distribution } }"""
CUSTOMER_SATISFACTION = (
    "query($id: ID!) { node(id: $id) { ... on Customer { satisfaction { count meanScore satisfiedShare } } } }"
)
MARCH = {"from": "2026-03-01T00:00:00+00:00", "to": "2026-04-01T00:00:00+00:00"}
MARCH_PERIOD = "2026-03-01T00:00:00+00:00/2026-04-01T00:00:00+00:00"
NOW = datetime(2026, 4, 10, 9, tzinfo=UTC)  # when the reports are read: every SLA window of the fixture is over


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# The tickets of the analysis: (customer, order, created at, kind, priority, first answer after, resolved
# after hours with the root cause). A (East), B (North), C (no region); order "a": X-1 and Y-2, "b": X-1 twice.
TICKETS = [
    ("a", "a", "2026-03-02T09:00:00", "COMPLAINT", "HIGH", 1, (10, "PRODUCT_DEFECT")),  # T1 MET
    ("a", None, "2026-03-03T09:00:00", "INQUIRY", "NORMAL", 9, (20, "USAGE")),  # T2 answered late: BREACHED
    ("b", "b", "2026-03-05T09:00:00", "COMPLAINT", "URGENT", None, None),  # T3 never answered: BREACHED
    ("c", None, "2026-03-10T09:00:00", "QUALITY_ISSUE", "LOW", 1, (30, "PRODUCT_DEFECT")),  # T4 MET
    ("a", "a", "2026-02-15T09:00:00", "COMPLAINT", "HIGH", None, None),  # T5, the previous period
    ("b", None, "2026-02-20T09:00:00", "INQUIRY", "NORMAL", None, None),  # T6, the previous period
    # Just outside both periods: before the previous one (it starts 2026-01-29) and at `to` itself.
    ("c", None, "2026-01-28T23:59:59", "INQUIRY", "LOW", None, None),
    ("c", None, "2026-04-01T00:00:00", "INQUIRY", "LOW", None, None),
]


async def _tickets(services, users, clock):
    """The customers and TICKETS, made through the services at their times; the clock left at NOW."""
    seller, servicer = await users.create("MARKETING"), await users.create("SERVICE")
    clock.set(at("2026-01-10T09:00:00+00:00"))
    customers = {
        key: await act(services, seller, customer_service.create_customer, NewCustomer(name=name, region=region))
        for key, name, region in (("a", "Acme", "East"), ("b", "Bolt", "North"), ("c", "Crane", None))
    }
    orders = {}
    for key, models in (("a", ("X-1", "Y-2")), ("b", ("X-1", "X-1"))):
        items = [ItemData(product_model=m, quantity=1) for m in models]
        new = NewOrder(customers[key].id, items, Decimal("1000"), delivery_date="2026-06-01")
        orders[key] = (await act(services, seller, order_service.create_order, new)).id
    for customer, order, created, kind, priority, answered, resolved in TICKETS:
        opened = at(created + "+00:00")
        clock.set(opened)
        new = NewTicket(customers[customer].id, kind, priority, f"{kind} {created}", "details", orders.get(order))
        ticket = await act(services, servicer, ticket_service.open_ticket, new)
        if answered is not None:
            clock.set(opened + timedelta(hours=answered))
            await act(services, servicer, ticket_service.acknowledge, ticket.id, None)
            await act(services, servicer, ticket_service.start_work, ticket.id, None)
        if resolved is not None:
            clock.set(opened + timedelta(hours=resolved[0]))
            await act(services, servicer, ticket_service.resolve, ticket.id, resolved[1], "fixed", None)
    a, b, c = customers.values()
    clock.set(NOW)
    return a, b, c


def _rows(report: dict) -> list[tuple]:
    return [
        (
            r["key"],
            r["label"],
            r["count"],
            r["share"],
            r["previousCount"],
            r["breachedCount"],
            r["medianResolutionHours"],
        )
        for r in report["rows"]
    ]


async def test_problem_analysis_by_every_dimension(gql, users, services, clock):
    a, b, c = await _tickets(services, users, clock)
    key = await users.api_key("reporting")

    async def analysis(by: str, period=MARCH, f=None) -> dict:
        report = (await gql.ok(ANALYSIS, {"p": period, "by": by, "f": f}, key))["problemAnalysis"]
        assert report["by"] == by
        return report

    report = await analysis("ROOT_CAUSE")
    assert (report["period"], report["total"], report["previousTotal"]) == (MARCH_PERIOD, 4, 2)
    assert _rows(report) == [
        ("PRODUCT_DEFECT", "Product defect", 2, 0.5, 0, 0, 20.0),
        ("USAGE", "Usage / operation", 1, 0.25, 0, 1, 20.0),
        ("NONE", "No root cause yet (not resolved)", 1, 0.25, 2, 1, None),  # the tickets without one: last of a tie
    ]
    assert _rows(await analysis("KIND")) == [
        ("COMPLAINT", "Complaint", 2, 0.5, 1, 1, 10.0),
        ("INQUIRY", "Inquiry", 1, 0.25, 1, 1, 20.0),
        ("QUALITY_ISSUE", "Quality issue", 1, 0.25, 0, 0, 30.0),
    ]
    assert _rows(await analysis("PRIORITY")) == [
        ("HIGH", "High", 1, 0.25, 1, 0, 10.0),
        ("LOW", "Low", 1, 0.25, 0, 0, 30.0),
        ("NORMAL", "Normal", 1, 0.25, 1, 1, 20.0),
        ("URGENT", "Urgent", 1, 0.25, 0, 1, None),
    ]
    # A ticket counts under each distinct model of its order (T1: X-1 and Y-2; T3's two X-1 lines: once).
    by_model = await analysis("PRODUCT_MODEL")
    assert by_model["total"] == 4 and _rows(by_model) == [
        ("X-1", "X-1", 2, 0.5, 1, 1, 10.0),
        ("NONE", "No order (no product model)", 2, 0.5, 1, 1, 25.0),
        ("Y-2", "Y-2", 1, 0.25, 1, 0, 10.0),
    ]
    by_customer = _rows(await analysis("CUSTOMER"))
    gid = {x.id: to_global_id("Customer", x.id) for x in (a, b, c)}
    assert by_customer[0] == (gid[a.id], "Acme", 2, 0.5, 1, 1, 15.0)
    assert sorted(by_customer[1:]) == sorted(
        [(gid[b.id], "Bolt", 1, 0.25, 1, 1, None), (gid[c.id], "Crane", 1, 0.25, 0, 0, 30.0)]
    )
    assert _rows(await analysis("REGION")) == [
        ("East", "East", 2, 0.5, 1, 1, 15.0),
        ("North", "North", 1, 0.25, 1, 1, None),
        ("NONE", "No region", 1, 0.25, 0, 0, 30.0),
    ]
    # The TicketFilter narrows both periods alike.
    complaints = await analysis("ROOT_CAUSE", f={"kind": ["COMPLAINT"]})
    assert (complaints["total"], complaints["previousTotal"]) == (2, 1)
    assert _rows(complaints) == [
        ("PRODUCT_DEFECT", "Product defect", 1, 0.5, 0, 0, 10.0),
        ("NONE", "No root cause yet (not resolved)", 1, 0.5, 1, 1, None),
    ]
    acme = await analysis("KIND", f={"customerId": gid[a.id], "slaState": "BREACHED"})
    assert (acme["total"], acme["previousTotal"], _rows(acme)) == (1, 1, [("INQUIRY", "Inquiry", 1, 1.0, 0, 1, 20.0)])

    # A group with tickets of the previous period only is no row, and its tickets still count in that
    # period's total: Bolt's NORMAL ticket of February.
    bolt = await analysis("PRIORITY", f={"customerId": gid[b.id]})
    assert (bolt["total"], bolt["previousTotal"], _rows(bolt)) == (1, 1, [("URGENT", "Urgent", 1, 1.0, 0, 1, None)])

    # Empty periods: nothing to divide, no rows; the previous period still counted.
    nothing = await analysis("KIND", {"from": "2025-06-01T00:00:00Z", "to": "2025-07-01T00:00:00Z"})
    assert (nothing["total"], nothing["previousTotal"], nothing["rows"]) == (0, 0, [])
    # [04-05, 05-05): the previous period [03-06, 04-05) holds T4 and the ticket opened at 04-01 00:00.
    after = await analysis("ROOT_CAUSE", {"from": "2026-04-05T00:00:00+00:00", "to": "2026-05-05T00:00:00+00:00"})
    assert (after["total"], after["previousTotal"], after["rows"]) == (0, 2, [])
    # The edges of [from, to) in another offset: one second before 04-01 00:00 UTC, the ticket at it.
    edge = await analysis("KIND", {"from": "2026-04-01T07:59:59+08:00", "to": "2026-04-01T08:00:01+08:00"})
    assert (edge["total"], edge["previousTotal"]) == (1, 0)


async def _scores(services, users, clock):
    seller = await users.create("MARKETING")
    clock.set(at("2026-02-01T09:00:00+00:00"))
    a, b = [
        await act(services, seller, customer_service.create_customer, NewCustomer(name=n)) for n in ("Acme", "Bolt")
    ]
    for customer, moment, score in (
        (a, "2026-03-02T09:00:00+00:00", 5),
        (a, "2026-03-03T09:00:00+00:00", 4),
        (a, "2026-03-05T09:00:00+00:00", 2),
        (b, "2026-03-06T09:00:00+00:00", 3),
        (b, "2026-02-27T09:00:00+00:00", 1),  # before the period
        (b, "2026-04-01T00:00:00+00:00", 5),  # at its end: not in it
    ):
        clock.set(at(moment))
        await act(services, seller, feedback_service.record_feedback, NewFeedback(customer.id, "SURVEY", score))
    clock.set(NOW)
    return a, b


async def test_satisfaction_report(gql, users, services, clock):
    a, _ = await _scores(services, users, clock)
    key = await users.api_key("reporting")
    everyone = (await gql.ok(SATISFACTION, {"p": MARCH}, key))["satisfaction"]
    assert everyone == {
        "period": MARCH_PERIOD,
        "count": 4,
        "meanScore": 3.5,
        "satisfiedShare": 0.5,
        "distribution": [0, 1, 1, 1, 1],
    }
    acme = to_global_id("Customer", a.id)
    one = (await gql.ok(SATISFACTION, {"p": MARCH, "c": acme}, key))["satisfaction"]
    assert (one["count"], one["satisfiedShare"], one["distribution"]) == (3, 2 / 3, [0, 1, 0, 1, 1])
    assert one["meanScore"] == pytest.approx(11 / 3)
    # The same figures as Customer.satisfaction (all of Acme's feedback is in March) and as the KPI.
    summary = (await gql.ok(CUSTOMER_SATISFACTION, {"id": acme}, key))["node"]["satisfaction"]
    assert summary == {"count": 3, "meanScore": one["meanScore"], "satisfiedShare": one["satisfiedShare"]}
    kpis = {k["key"]: k for k in (await gql.ok(KPIS, {"p": MARCH, "d": "MARKETING"}, key))["kpis"]["kpis"]}
    assert (kpis["customer_satisfaction"]["value"], kpis["satisfied_share"]["value"]) == (3.5, 0.5)
    empty = await gql.ok(SATISFACTION, {"p": {"from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z"}}, key)
    assert empty["satisfaction"] == {
        "period": "2025-01-01T00:00:00+00:00/2025-02-01T00:00:00+00:00",
        "count": 0,
        "meanScore": None,
        "satisfiedShare": None,
        "distribution": [0, 0, 0, 0, 0],
    }


def _series(reports: list[dict], key: str) -> list[tuple[str, float, float]]:
    return [
        (r["period"], *next((k["numerator"], k["denominator"]) for k in r["kpis"] if k["key"] == key)) for r in reports
    ]


async def test_kpi_series_days_end_at_midnight_in_the_company_time_zone(gql, users, services, clock):
    seller = await users.create("MARKETING")
    c = await act(services, seller, customer_service.create_customer, NewCustomer(name="Acme"))
    # 23:59:59 and 00:00:00 in Shanghai (UTC+8, no DST) on either side of the night to 3 March.
    for moment, score in (("2026-03-02T15:59:59+00:00", 4), ("2026-03-02T16:00:00+00:00", 5)):
        clock.set(at(moment))
        await act(services, seller, feedback_service.record_feedback, NewFeedback(c.id, "SURVEY", score))
    key = await users.api_key("reporting")
    two_days = {"from": "2026-03-01T16:00:00Z", "to": "2026-03-03T16:00:00Z"}
    series = (await gql.ok(SERIES, {"p": two_days, "b": "DAY", "d": "MARKETING"}, key))["kpiSeries"]
    assert _series(series, "customer_satisfaction") == [
        ("2026-03-02T00:00:00+08:00/2026-03-03T00:00:00+08:00", 4.0, 1.0),
        ("2026-03-03T00:00:00+08:00/2026-03-04T00:00:00+08:00", 5.0, 1.0),
    ]
    assert {(r["department"], r["userId"]) for r in series} == {("MARKETING", None)}
    # One person's series: the feedback on the customers they own (the seller owns Acme).
    mine = (await gql.ok(SERIES, {"p": two_days, "b": "DAY", "d": "MARKETING", "u": seller.gid}, key))["kpiSeries"]
    assert {r["userId"] for r in mine} == {seller.gid}
    assert _series(mine, "customer_satisfaction") == _series(series, "customer_satisfaction")
    # A period that starts and ends mid-day: the first and last days are clipped to it.
    clipped = {"from": "2026-03-02T12:00:00Z", "to": "2026-03-03T12:00:00Z"}
    series = (await gql.ok(SERIES, {"p": clipped, "b": "DAY", "d": "MARKETING"}, key))["kpiSeries"]
    assert _series(series, "customer_satisfaction") == [
        ("2026-03-02T20:00:00+08:00/2026-03-03T00:00:00+08:00", 4.0, 1.0),
        ("2026-03-03T00:00:00+08:00/2026-03-03T20:00:00+08:00", 5.0, 1.0),
    ]
    # Another company time zone: Berlin's night to 30 March is an hour shorter (summer time from 29 March).
    services.settings = dataclasses.replace(services.settings, time_zone="Europe/Berlin")
    clock.set(at("2026-03-29T22:30:00+00:00"))  # 00:30 on 30 March in Berlin, still 29 March at +01:00
    await act(services, seller, feedback_service.record_feedback, NewFeedback(c.id, "SURVEY", 3))
    days = {"from": "2026-03-28T00:00:00+01:00", "to": "2026-03-31T00:00:00+02:00"}
    series = (await gql.ok(SERIES, {"p": days, "b": "DAY", "d": "MARKETING"}, key))["kpiSeries"]
    assert _series(series, "customer_satisfaction") == [
        ("2026-03-28T00:00:00+01:00/2026-03-29T00:00:00+01:00", 0.0, 0.0),
        ("2026-03-29T00:00:00+01:00/2026-03-30T00:00:00+02:00", 0.0, 0.0),  # 23 hours
        ("2026-03-30T00:00:00+02:00/2026-03-31T00:00:00+02:00", 3.0, 1.0),
    ]
    assert [k["value"] for k in series[0]["kpis"] if k["key"] == "customer_satisfaction"] == [None]


async def test_kpi_series_weeks_and_months_add_up_to_the_kpis(gql, users, services, clock):
    await _tickets(services, users, clock)
    await _scores(services, users, clock)
    key = await users.api_key("reporting")
    march = {"from": "2026-03-01T00:00:00+08:00", "to": "2026-04-01T00:00:00+08:00"}  # 1 March is a Sunday
    weeks = (await gql.ok(SERIES, {"p": march, "b": "WEEK", "d": "SERVICE"}, key))["kpiSeries"]
    assert [r["period"].split("/")[0][:10] for r in weeks] == [
        "2026-03-01", "2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"
    ]  # fmt: skip
    assert weeks[-1]["period"] == "2026-03-30T00:00:00+08:00/2026-04-01T00:00:00+08:00"
    months = {"from": "2025-12-15T00:00:00+08:00", "to": "2026-04-01T00:00:00+08:00"}
    for department in ("SERVICE", "MARKETING"):
        series = (await gql.ok(SERIES, {"p": months, "b": "MONTH", "d": department}, key))["kpiSeries"]
        assert [r["period"] for r in series] == [
            "2025-12-15T00:00:00+08:00/2026-01-01T00:00:00+08:00",
            "2026-01-01T00:00:00+08:00/2026-02-01T00:00:00+08:00",
            "2026-02-01T00:00:00+08:00/2026-03-01T00:00:00+08:00",
            "2026-03-01T00:00:00+08:00/2026-04-01T00:00:00+08:00",
        ]
        whole = (await gql.ok(KPIS, {"p": months, "d": department}, key))["kpis"]["kpis"]
        for kpi in whole:  # every figure is a count or a sum over disjoint buckets
            parts = [next(k for k in r["kpis"] if k["key"] == kpi["key"]) for r in series]
            assert sum(p["numerator"] for p in parts) == kpi["numerator"], kpi
            # but new customers' denominator, 1 in every report (its value is the count)
            if kpi["key"] != "new_customers":
                assert sum(p["denominator"] for p in parts) == kpi["denominator"], kpi
        assert any(k["denominator"] for k in whole), department  # the fixture has figures to add up
    assert [k for r in series for k in r["kpis"] if k["key"] == "customer_satisfaction"][-1]["denominator"] == 4


async def test_bad_report_arguments_are_the_clients_mistake(gql, users):
    key = await users.api_key("reporting")
    backwards = {"from": MARCH["to"], "to": MARCH["from"]}
    for query, variables in (
        (ANALYSIS, {"p": backwards, "by": "KIND"}),
        (ANALYSIS, {"p": {"from": "2026-03-01T00:00:00", "to": "2026-04-01T00:00:00"}, "by": "KIND"}),
        (ANALYSIS, {"p": MARCH, "by": "KIND", "f": {"customerId": to_global_id("User", "x")}}),
        (SERIES, {"p": backwards, "b": "DAY", "d": "SERVICE"}),
        (SERIES, {"p": MARCH, "b": "DAY", "d": "MANAGEMENT"}),
        (
            SERIES,
            {"p": MARCH, "b": "DAY", "d": "SERVICE", "u": to_global_id("User", "00000000-0000-0000-0000-000000000000")},
        ),
        (SATISFACTION, {"p": backwards}),
        (SATISFACTION, {"p": MARCH, "c": to_global_id("Customer", "00000000-0000-0000-0000-000000000000")}),
    ):
        body = await gql(query, variables, key)
        assert error_codes(body) == ["BAD_USER_INPUT"] and body["data"] is None, variables
    years = {"from": "2025-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}  # 424 days
    body = await gql(SERIES, {"p": years, "b": "DAY", "d": "SERVICE"}, key)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == (
        "a KPI series has at most 400 buckets: choose a shorter period or a longer bucket"
    )
    weekly = (await gql.ok(SERIES, {"p": years, "b": "WEEK", "d": "SERVICE"}, key))["kpiSeries"]
    assert len(weekly) == 61  # 1-5 January 2025, then the 60 weeks from Monday 6 January


async def test_each_report_costs_the_same_statements_however_much_data(gql, users, services, clock):
    key = await users.api_key("reporting")
    engines = services.db.engine, services.db.reads_engine
    reads = [
        (ANALYSIS, {"p": MARCH, "by": by, "f": {"search": "a"}})
        for by in ("ROOT_CAUSE", "KIND", "PRIORITY", "PRODUCT_MODEL", "CUSTOMER", "REGION")
    ] + [
        (SERIES, {"p": MARCH, "b": "WEEK", "d": "SERVICE"}),
        (SERIES, {"p": MARCH, "b": "MONTH", "d": "MARKETING"}),
        (SATISFACTION, {"p": MARCH}),
    ]

    async def counts() -> list[int]:
        seen = []
        for query, variables in reads:
            with statements(*engines) as sql:
                await gql.ok(query, variables, key)
            seen.append(len(sql))
        return seen

    await _tickets(services, users, clock)
    await _scores(services, users, clock)
    await counts()  # warm up: connections, caches
    before = await counts()
    for _ in range(2):  # three times the tickets, customers, orders and feedback
        await _tickets(services, users, clock)
        await _scores(services, users, clock)
    assert await counts() == before
    with statements(*engines) as credential_check:
        await gql.ok("{ __typename }", token=key)
    auth = len(credential_check)  # one statement or two, by executor
    # Per analysis its groups, which carry the totals (PRODUCT_MODEL, counting a ticket under each of its
    # models, counts its totals apart); per series one aggregate per KPI statement of the KPI report,
    # each grouped by bucket (service 3 for its 6 weeks, marketing 4 for March UTC's 2 months in Shanghai),
    # not one report per bucket; the scores.
    assert [n - auth for n in before] == [1, 1, 1, 2, 1, 1, 3, 4, 1], before


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_who_may_read_the_reports(gql, users, services, principal):
    token = await credential(services, users, principal)
    for query, variables in (
        (ANALYSIS, {"p": MARCH, "by": "REGION"}),
        (SERIES, {"p": MARCH, "b": "MONTH", "d": "SERVICE"}),
        (SATISFACTION, {"p": MARCH}),
    ):
        body = await gql(query, variables, token)
        if principal in KEYS and principal != "reporting key":  # the board key: live streams, no reports
            assert error_codes(body) == ["FORBIDDEN"] and body["data"] is None
        else:
            assert "errors" not in body and body["data"], body
        assert error_codes(await gql(query, variables)) == ["UNAUTHENTICATED"]


def test_the_company_time_zone_is_a_setting():
    assert Settings.from_env({}).time_zone == "Asia/Shanghai"
    assert Settings.from_env({"TANDEM_TIME_ZONE": " Europe/Berlin "}).time_zone == "Europe/Berlin"
    for bad in ("Mars/Olympus", "+08:00", "../etc"):
        with pytest.raises(ValueError, match="TANDEM_TIME_ZONE"):
            Settings.from_env({"TANDEM_TIME_ZONE": bad})
