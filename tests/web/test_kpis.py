"""KPI reports and sales targets over HTTP: who may read and set them, and what a report looks like."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from schema.ids import to_global_id
from services import feedback as feedback_service
from services import orders as order_service
from services.feedback import NewFeedback
from tests.support.graphql import error_codes
from tests.support.presale import act, customer, log_counts, order

KPIS = """query($p: PeriodInput!, $d: Department!, $u: ID) { kpis(period: $p, department: $d, userId: $u) {
  department period userId kpis { key label value numerator denominator } } }"""
MARCH = {"from": "2026-03-01T00:00:00+00:00", "to": "2026-04-01T00:00:00+00:00"}
SET = """mutation($i: SetSalesTargetInput!) { setSalesTarget(input: $i) {
  salesTarget { id department periodStart periodEnd amount version user { id } } errors { code field message } } }"""
TARGETS = """query($u: ID, $w: Boolean! = false) { salesTargets(first: 10, userId: $u, departmentWide: $w) {
  totalCount edges { node { periodStart amount user { id } } } } }"""


async def _march(services, users, clock):
    """A confirmed order of 3,100 and a 5 and a 3 recorded in March; a March target of 6,200."""
    seller, service = await users.create("MARKETING"), await users.create("SERVICE")
    supervisor = await users.create("MANAGEMENT", "SUPERVISOR")
    clock.set(datetime(2026, 3, 2, 9, tzinfo=UTC))
    c = await customer(services, seller)
    o = await order(services, seller, c.id, "3100.00")
    await act(services, seller, order_service.hand_off_order, o.id, None)
    await act(services, service, order_service.confirm_order, o.id, None)
    for score in (5, 3):
        await act(services, seller, feedback_service.record_feedback, NewFeedback(c.id, "SURVEY", score))
    return seller, service, supervisor


async def test_a_reporting_key_reads_kpis_and_a_board_key_may_not(gql, users, services, clock):
    seller, service, supervisor = await _march(services, users, clock)
    await gql.mutate(
        "setSalesTarget",
        SET,
        {"i": {"periodStart": "2026-03-01", "periodEnd": "2026-03-31", "amount": "6200.00"}},
        supervisor.token,
    )
    reporting, board = await users.api_key("reporting"), await users.api_key("board")
    report = (await gql.ok(KPIS, {"p": MARCH, "d": "MARKETING"}, reporting))["kpis"]
    assert (report["department"], report["period"], report["userId"]) == (
        "MARKETING",
        "2026-03-01T00:00:00+00:00/2026-04-01T00:00:00+00:00",
        None,
    )
    figures = {k["key"]: (k["value"], k["numerator"], k["denominator"]) for k in report["kpis"]}
    assert figures == {
        "sales_target_completion": (0.5, 3100.0, 6200.0),
        "new_customers": (1.0, 1.0, 1.0),
        "customer_satisfaction": (4.0, 8.0, 2.0),
        "satisfied_share": (0.5, 1.0, 2.0),
        "collaboration_marketing": (1.0, 1.0, 1.0),
    }
    assert all(k["label"] for k in report["kpis"])
    service_report = (await gql.ok(KPIS, {"p": MARCH, "d": "SERVICE", "u": service.gid}, reporting))["kpis"]
    assert service_report["userId"] == service.gid
    assert {k["key"]: k["value"] for k in service_report["kpis"]} == {
        "response_timeliness": None,
        "service_quality_pass_rate": None,
        "complaint_resolution_rate": None,
        "collaboration_service": 1.0,
    }  # this person confirmed the handoff in time
    for who in (seller.token, service.token, supervisor.token):
        assert (await gql.ok(KPIS, {"p": MARCH, "d": "MARKETING"}, who))["kpis"]["kpis"] == report["kpis"]

    body = await gql(KPIS, {"p": MARCH, "d": "MARKETING"}, board)
    assert error_codes(body) == ["FORBIDDEN"] and body["data"] is None
    assert error_codes(await gql(KPIS, {"p": MARCH, "d": "MARKETING"})) == ["UNAUTHENTICATED"]


async def test_bad_report_arguments_are_the_clients_mistake(gql, users):
    token = await users.api_key("reporting")
    backwards = {"from": MARCH["to"], "to": MARCH["from"]}
    for variables in (
        {"p": backwards, "d": "SERVICE"},
        {"p": MARCH, "d": "MANAGEMENT"},
        {"p": MARCH, "d": "SERVICE", "u": to_global_id("Customer", "00000000-0000-0000-0000-000000000000")},
        {"p": MARCH, "d": "SERVICE", "u": to_global_id("User", "00000000-0000-0000-0000-000000000000")},
    ):
        body = await gql(KPIS, variables, token)
        assert error_codes(body) == ["BAD_USER_INPUT"], variables
    # Service KPIs of a marketing person (and the other way round) are no empty figures but a refusal.
    seller = to_global_id("User", (await users.create("MARKETING", "STAFF")).user.id)
    body = await gql(KPIS, {"p": MARCH, "d": "SERVICE", "u": seller}, token)
    assert error_codes(body) == ["BAD_USER_INPUT"] and body["data"] is None
    assert (
        body["errors"][0]["message"] == "SERVICE KPIs are measured for members of SERVICE; this person is in MARKETING"
    )


async def test_setting_sales_targets(gql, users, services):
    supervisor, admin = await users.create("MANAGEMENT", "SUPERVISOR"), await users.create("MANAGEMENT", "ADMIN")
    seller, service = await users.create("MARKETING"), await users.create("SERVICE")
    march = {"periodStart": "2026-03-01", "periodEnd": "2026-03-31", "amount": "6200.00", "userId": seller.gid}
    created = (await gql.mutate("setSalesTarget", SET, {"i": march}, supervisor.token))["salesTarget"]
    assert (created["department"], created["amount"], created["user"]) == ("MARKETING", "6200.00", {"id": seller.gid})
    changed = (
        await gql.mutate(
            "setSalesTarget",
            SET,
            {"i": {**march, "amount": "7000", "expectedVersion": created["version"]}},
            admin.token,
        )
    )["salesTarget"]
    assert (changed["id"], changed["amount"], changed["version"]) == (created["id"], "7000.00", created["version"] + 1)
    before = await log_counts(services)
    for change, code, field in (
        ({"expectedVersion": created["version"]}, "VERSION_CONFLICT", ["expectedVersion"]),
        ({"periodStart": "2026-03-15", "periodEnd": "2026-04-15"}, "VALIDATION", ["periodStart"]),
        ({"periodEnd": "2026-02-01"}, "VALIDATION", ["periodEnd"]),
        ({"amount": "0"}, "VALIDATION", ["amount"]),
        ({"department": "SERVICE"}, "VALIDATION", ["department"]),
        ({"userId": service.gid}, "VALIDATION", ["userId"]),
    ):
        payload = (await gql.ok(SET, {"i": {**march, **change}}, supervisor.token))["setSalesTarget"]
        assert payload["salesTarget"] is None and [(e["code"], e["field"]) for e in payload["errors"]] == [
            (code, field)
        ], change
    assert await log_counts(services) == before
    # Another person's, or the department's, target for the same days is another scope: no overlap.
    await gql.mutate("setSalesTarget", SET, {"i": {**march, "userId": None}}, supervisor.token)
    for who in (seller, service):
        body = await gql(SET, {"i": march}, who.token)
        assert error_codes(body) == ["FORBIDDEN"], who.user.department
    reporting, board = await users.api_key("reporting"), await users.api_key("board")
    mine = (await gql.ok(TARGETS, {"u": seller.gid}, reporting))["salesTargets"]
    assert [(e["node"]["amount"], e["node"]["user"]) for e in mine["edges"]] == [("7000.00", {"id": seller.gid})]
    department = (await gql.ok(TARGETS, {"w": True}, seller.token))["salesTargets"]
    assert [(e["node"]["amount"], e["node"]["user"]) for e in department["edges"]] == [("6200.00", None)]
    assert (await gql.ok(TARGETS, {}, service.token))["salesTargets"]["totalCount"] == 2
    assert error_codes(await gql(TARGETS, {}, board)) == ["FORBIDDEN"]
    assert Decimal(created["amount"]) == Decimal("6200")
