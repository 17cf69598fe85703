"""Tickets over the real HTTP API: opening, the lifecycle, comments, lists and filters, reference data,
problems reported from service jobs, and two truly concurrent acknowledgements."""

from __future__ import annotations

import asyncio
import re
import uuid

from sqlalchemy import select, text

from db.models import Ticket
from schema.ids import parse_global_id, to_global_id
from tests.support.accounts import fast_account
from tests.support.graphql import pages
from tests.support.tickets import (
    READ_TICKET,
    activity_of,
    call,
    cast,
    codes,
    counts,
    events_of,
    new_customer,
    new_job,
    new_order,
    ok,
    open_ticket,
    refused,
    resolution,
    step,
    ticket_in,
    tid,
)

LIST = """query($f: TicketFilter, $first: Int, $after: String) { tickets(first: $first, after: $after, filter: $f) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id number subject } } } }"""


def raw(gid: str) -> uuid.UUID:
    type_name, value = parse_global_id(gid)
    assert type_name == "Ticket"
    return uuid.UUID(value)


async def listed(gql, token: str, f: dict | None = None, first: int = 100) -> list[str]:
    data = await gql.ok(LIST, {"f": f, "first": first}, token)
    assert data["tickets"]["totalCount"] == len(data["tickets"]["edges"])
    return [e["node"]["subject"] for e in data["tickets"]["edges"]]


# ----------------------------------------------------------------------------- open


async def test_open_ticket_on_an_order(gql, services, clock):
    c = await cast(services)
    order = await new_order(c)
    payload = await ok(
        gql,
        "openTicket",
        c.marketing,
        customerId=to_global_id("Customer", c.customer_id),
        orderId=to_global_id("Order", order.id),
        kind="COMPLAINT",
        priority="HIGH",
        subject="  Noisy gearbox ",
        description="Grinding noise at full speed",
    )
    t = payload["ticket"]
    assert re.fullmatch(r"T-\d{6}", t["number"])
    assert (t["status"], t["kind"], t["priority"], t["subject"]) == ("NEW", "COMPLAINT", "HIGH", "Noisy gearbox")
    assert t["customer"]["name"] == "Acme Robotics" and t["order"]["number"] == order.number
    assert t["createdBy"]["id"] == c.marketing.gid and t["assignee"] is None and t["escalation"] is None
    assert t["createdAt"] == clock.now().isoformat() and t["version"] == 1
    assert t["sla"]["firstResponseState"] == "ON_TRACK"
    assert await gql.ok(READ_TICKET, {"id": t["id"]}, c.service.token) == {"node": t}
    ticket_id = raw(t["id"])
    (event,) = await events_of(services, ticket_id)
    assert event.type == "TICKET_OPENED" and event.actor_id == c.marketing.user.id
    assert event.payload | {} == {
        "customerId": str(c.customer_id),
        "orderId": str(order.id),
        "ticketId": str(ticket_id),
        "number": t["number"],
        "subject": "Noisy gearbox",
        # What a board's search and its period and root-cause filters match, without reading the ticket.
        "customerName": "Acme Robotics",
        "createdAt": "2026-03-02T09:00:00+00:00",
        "rootCauseCode": None,
        "status": "NEW",
        "priority": "HIGH",
        "kind": "COMPLAINT",
        "assigneeId": None,
        "escalated": False,
        # The SLA clocks travel with the event, so boards filtering on slaState judge it as of the event.
        "slaStartedAt": "2026-03-02T09:00:00+00:00",
        "firstResponseDueAt": "2026-03-02T11:00:00+00:00",
        "resolutionDueAt": "2026-03-03T09:00:00+00:00",
        "firstRespondedAt": None,
        "resolvedAt": None,
    }
    # The customer's and the order's timelines both show it.
    timelines = await gql.ok(
        """query($c: ID!, $o: ID!) {
      c: node(id: $c) { ... on Customer { timeline(first: 50) { edges { node { action entityId } } } } }
      o: node(id: $o) { ... on Order { timeline(first: 50) { edges { node { action entityId } } } } } }""",
        {"c": to_global_id("Customer", c.customer_id), "o": to_global_id("Order", order.id)},
        c.service.token,
    )
    for key in ("c", "o"):
        assert {"action": "ticket.opened", "entityId": t["id"]} in [
            e["node"] for e in timelines[key]["timeline"]["edges"]
        ]


async def test_open_ticket_refusals_change_nothing(gql, services):
    c = await cast(services)
    other = await new_customer(c, "Other Corp")
    foreign_order = await new_order(c, customer_id=other)
    base = {
        "customerId": to_global_id("Customer", c.customer_id),
        "kind": "INQUIRY",
        "priority": "LOW",
        "subject": "Question",
        "description": "How do I?",
    }
    errors = await refused(
        gql, services, "openTicket", c.service, **base, orderId=to_global_id("Order", foreign_order.id)
    )
    assert errors == [{"code": "VALIDATION", "field": ["orderId"], "message": "the order belongs to another customer"}]
    errors = await refused(
        gql, services, "openTicket", c.service, **base | {"customerId": to_global_id("Customer", uuid.uuid4())}
    )
    assert codes(errors) == ["NOT_FOUND"]
    errors = await refused(gql, services, "openTicket", c.service, **base, orderId=to_global_id("Order", uuid.uuid4()))
    assert codes(errors) == ["NOT_FOUND"]
    errors = await refused(gql, services, "openTicket", c.service, **base | {"subject": "  ", "description": ""})
    assert sorted(e["field"][0] for e in errors) == ["description", "subject"]
    errors = await refused(
        gql, services, "openTicket", c.service, **base | {"customerId": to_global_id("Order", c.customer_id)}
    )
    assert codes(errors) == ["VALIDATION"]


async def test_open_ticket_is_idempotent_per_key(gql, services):
    c = await cast(services)
    input = {
        "customerId": to_global_id("Customer", c.customer_id),
        "kind": "INQUIRY",
        "priority": "LOW",
        "subject": "Question",
        "description": "How do I?",
        "idempotencyKey": "k-1",
    }
    first = (await ok(gql, "openTicket", c.marketing, **input))["ticket"]
    before = await counts(services)
    again = (await ok(gql, "openTicket", c.marketing, **input))["ticket"]
    assert again["id"] == first["id"] and await counts(services) == before
    errors = await refused(gql, services, "openTicket", c.marketing, **input | {"subject": "Another"})
    assert codes(errors) == ["DUPLICATE"]
    other_caller = (await ok(gql, "openTicket", c.service, **input))["ticket"]  # keys are per caller
    assert other_caller["id"] != first["id"]


# ----------------------------------------------------------------------------- lifecycle


async def test_the_whole_lifecycle_over_http(gql, services, clock):
    c = await cast(services)
    t = (
        await ok(
            gql,
            "openTicket",
            c.marketing,
            customerId=to_global_id("Customer", c.customer_id),
            kind="COMPLAINT",
            priority="NORMAL",
            subject="Broken seal",
            description="Leaks oil",
        )
    )["ticket"]
    gid = t["id"]
    clock.advance(minutes=10)
    stale = await call(gql, "acknowledgeTicket", c.service, ticketId=gid, expectedVersion=7)
    assert codes(stale["errors"]) == ["VERSION_CONFLICT"]
    t = (await ok(gql, "acknowledgeTicket", c.service, ticketId=gid, expectedVersion=1))["ticket"]
    assert t["status"] == "ACKNOWLEDGED" and t["firstRespondedAt"] == clock.now().isoformat() and t["version"] == 2
    errors = (await call(gql, "assignTicket", c.service, ticketId=gid, assigneeId=c.marketing.gid))["errors"]
    assert errors == [
        {
            "code": "VALIDATION",
            "field": ["assigneeId"],
            "message": "tickets are assigned to an active member of the service department",
        }
    ]
    gone = await fast_account(services, "SERVICE", active=False)
    assert codes((await call(gql, "assignTicket", c.service, ticketId=gid, assigneeId=gone.gid))["errors"]) == [
        "VALIDATION"
    ]
    t = (await ok(gql, "assignTicket", c.service, ticketId=gid, assigneeId=c.service2.gid))["ticket"]
    assert t["assignee"] == {"id": c.service2.gid, "name": "Sue Service"}
    t = (await ok(gql, "startTicketWork", c.service2, ticketId=gid))["ticket"]
    assert t["status"] == "IN_PROGRESS"
    await ok(gql, "addTicketComment", c.marketing, ticketId=gid, body="Customer called again", visibility="INTERNAL")
    await ok(gql, "addTicketComment", c.service2, ticketId=gid, body="Technician on the way", visibility="CUSTOMER")
    errors = (await call(gql, "resolveTicket", c.service2, **resolution(gid, "NO_SUCH", "x")))["errors"]
    assert errors == [
        {"code": "VALIDATION", "field": ["rootCause"], "message": "rootCause must be an active root-cause category"}
    ]
    clock.advance(hours=2)
    t = (await ok(gql, "resolveTicket", c.service2, **resolution(gid, "INSTALLATION", "Seal re-seated")))["ticket"]
    assert (t["status"], t["resolvedAt"], t["resolutionSummary"]) == (
        "RESOLVED",
        clock.now().isoformat(),
        "Seal re-seated",
    )
    assert t["rootCause"] == {"code": "INSTALLATION", "label": "Installation", "active": True}
    t = (await ok(gql, "closeTicket", c.service, ticketId=gid))["ticket"]
    assert t["status"] == "CLOSED" and t["closedAt"] == clock.now().isoformat()
    errors = (await call(gql, "addTicketComment", c.marketing, ticketId=gid, body="late", visibility="CUSTOMER"))[
        "errors"
    ]
    assert codes(errors) == ["INVALID_TRANSITION"]
    t = (await ok(gql, "reopenTicket", c.marketing, ticketId=gid))["ticket"]  # either department may reopen
    assert (t["status"], t["resolvedAt"], t["closedAt"], t["rootCause"]) == ("REOPENED", None, None, None)
    ticket_id = raw(gid)
    assert [e.type for e in await events_of(services, ticket_id)] == [
        "TICKET_OPENED",
        "TICKET_UPDATED",
        "TICKET_UPDATED",
        "TICKET_UPDATED",
        "TICKET_UPDATED",
        "TICKET_UPDATED",
        "TICKET_RESOLVED",
        "TICKET_CLOSED",
        "TICKET_UPDATED",
    ]
    assert [a.action for a in await activity_of(services, ticket_id)] == [
        "ticket.opened",
        "ticket.acknowledged",
        "ticket.assigned",
        "ticket.started",
        "ticket.commented",
        "ticket.commented",
        "ticket.resolved",
        "ticket.closed",
        "ticket.reopened",
    ]
    # Comment bodies stay out of the audit trail and the event log (API keys read timelines).
    for row in await activity_of(services, ticket_id):
        assert "Customer called again" not in str(row.changes) + row.summary
    for event in await events_of(services, ticket_id):
        assert "Customer called again" not in str(event.payload)


async def test_comments_internal_ones_hidden_from_api_keys(gql, services, users):
    c = await cast(services)
    ticket = await ticket_in(c, "IN_PROGRESS")
    for i, visibility in enumerate(["CUSTOMER", "INTERNAL", "CUSTOMER", "INTERNAL", "CUSTOMER"]):
        await ok(gql, "addTicketComment", c.service, ticketId=tid(ticket.id), body=f"c{i}", visibility=visibility)
    query = """query($id: ID!, $after: String) { node(id: $id) { ... on Ticket { comments(first: 2, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { body visibility author { name } } } } } } }"""

    async def all_bodies(token) -> tuple[list[str], int]:
        bodies, after = [], None
        while True:
            page = (await gql.ok(query, {"id": tid(ticket.id), "after": after}, token))["node"]["comments"]
            bodies += [e["node"]["body"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return bodies, page["totalCount"]
            after = page["pageInfo"]["endCursor"]

    assert await all_bodies(c.marketing.token) == (["c0", "c1", "c2", "c3", "c4"], 5)
    for scope in ("board", "reporting"):
        assert await all_bodies(await users.api_key(scope)) == (["c0", "c2", "c4"], 3)
    errors = (await call(gql, "addTicketComment", c.service, ticketId=tid(ticket.id), body=" ", visibility="CUSTOMER"))[
        "errors"
    ]
    assert errors[0]["field"] == ["body"]


# ----------------------------------------------------------------------------- lists


async def test_ticket_list_filters_and_keyset_pages(gql, services, clock):
    c = await cast(services)
    other = await new_customer(c, "Bluewater 100% Foods")
    order = await new_order(c)
    made = {}
    specs = [
        ("a", {"kind": "COMPLAINT", "priority": "HIGH"}),
        ("b", {"kind": "INQUIRY", "priority": "LOW"}),
        ("c", {"kind": "QUALITY_ISSUE", "priority": "HIGH", "customer_id": other}),
        ("d", {"kind": "COMPLAINT", "priority": "URGENT", "order_id": order.id}),
        ("e_100%", {"kind": "SUGGESTION", "priority": "NORMAL"}),
        ("f_x", {"kind": "INQUIRY", "priority": "NORMAL"}),
    ]
    for name, kw in specs:
        clock.advance(minutes=1)
        made[name] = await open_ticket(c, subject=f"Subject {name}", **kw)
    await step(c, made["a"].id, "acknowledge")
    await step(c, made["a"].id, "assign")
    await step(c, made["b"].id, "acknowledge")
    await step(c, made["b"].id, "escalate")
    tok = c.service.token
    newest_first = ["Subject f_x", "Subject e_100%", "Subject d", "Subject c", "Subject b", "Subject a"]
    assert await listed(gql, tok) == newest_first
    assert await listed(gql, tok, {"status": ["NEW"]}) == ["Subject f_x", "Subject e_100%", "Subject d", "Subject c"]
    assert await listed(gql, tok, {"status": ["ACKNOWLEDGED", "ESCALATED"]}) == ["Subject b", "Subject a"]
    assert await listed(gql, tok, {"kind": ["COMPLAINT"]}) == ["Subject d", "Subject a"]
    assert await listed(gql, tok, {"priority": ["HIGH", "URGENT"]}) == ["Subject d", "Subject c", "Subject a"]
    assert await listed(gql, tok, {"assigneeId": c.service2.gid}) == ["Subject a"]
    assert await listed(gql, tok, {"customerId": to_global_id("Customer", other)}) == ["Subject c"]
    assert await listed(gql, tok, {"escalated": True}) == ["Subject b"]
    assert await listed(gql, tok, {"escalated": False}) == [s for s in newest_first if s != "Subject b"]
    # search: number, subject, customer name; case-insensitive; % and _ are literal characters
    assert await listed(gql, tok, {"search": made["c"].number.lower()}) == ["Subject c"]
    assert await listed(gql, tok, {"search": "SUBJECT D"}) == ["Subject d"]
    assert await listed(gql, tok, {"search": "bluewater"}) == ["Subject c"]
    assert await listed(gql, tok, {"search": "100%"}) == ["Subject e_100%", "Subject c"]
    assert await listed(gql, tok, {"search": "_"}) == ["Subject f_x", "Subject e_100%"]
    assert await listed(gql, tok, {"search": "%"}) == ["Subject e_100%", "Subject c"]
    assert await listed(gql, tok, {"kind": ["COMPLAINT"], "priority": ["URGENT"], "search": "subject"}) == ["Subject d"]
    # keyset pages: two at a time, nothing repeated or skipped, also when rows share a timestamp
    two_at_a_time = pages(gql, LIST, {"first": 2}, tok, "tickets")
    seen = [e["node"]["subject"] async for page in two_at_a_time for e in page["edges"]]
    assert seen == newest_first
    body = await gql(LIST, {"first": 101}, tok)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = await gql(LIST, {"f": {"assigneeId": "nonsense"}}, tok)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # Customer.tickets (with a filter) and Order.tickets
    data = await gql.ok(
        """query($c: ID!, $o: ID!) {
      c: node(id: $c) { ... on Customer {
        tickets(first: 10, filter: {kind: [COMPLAINT, INQUIRY]}) { totalCount edges { node { subject } } } } }
      o: node(id: $o) { ... on Order { tickets(first: 10) { totalCount edges { node { subject } } } } } }""",
        {"c": to_global_id("Customer", c.customer_id), "o": to_global_id("Order", order.id)},
        tok,
    )
    assert [e["node"]["subject"] for e in data["c"]["tickets"]["edges"]] == [
        "Subject f_x",
        "Subject d",
        "Subject b",
        "Subject a",
    ]
    assert [e["node"]["subject"] for e in data["o"]["tickets"]["edges"]] == ["Subject d"]
    data = await gql.ok(
        """query($c: ID!, $x: ID!) { node(id: $c) { ... on Customer {
      tickets(first: 10, filter: {customerId: $x}) { totalCount } } } }""",
        {"c": to_global_id("Customer", c.customer_id), "x": to_global_id("Customer", other)},
        tok,
    )
    assert data["node"]["tickets"]["totalCount"] == 0


# ----------------------------------------------------------------------------- reference data


async def test_root_cause_categories_seeded_managed_by_admins_and_checked_on_resolve(gql, services):
    c = await cast(services)
    data = await gql.ok("{ rootCauseCategories { code label active } }", token=c.marketing.token)
    assert data["rootCauseCategories"] == [
        {"code": "DOCUMENTATION", "label": "Documentation", "active": True},
        {"code": "INSTALLATION", "label": "Installation", "active": True},
        {"code": "LOGISTICS", "label": "Logistics", "active": True},
        {"code": "OTHER", "label": "Other", "active": True},
        {"code": "PRODUCT_DEFECT", "label": "Product defect", "active": True},
        {"code": "USAGE", "label": "Usage / operation", "active": True},
    ]
    made = await ok(gql, "upsertRootCauseCategory", c.admin, code="firmware", label="Firmware", active=True)
    assert made["rootCauseCategory"] == {"code": "FIRMWARE", "label": "Firmware", "active": True}
    await ok(gql, "upsertRootCauseCategory", c.admin, code="LOGISTICS", label="Logistics", active=False)
    active = await gql.ok("{ rootCauseCategories(active: true) { code } }", token=c.marketing.token)
    assert "LOGISTICS" not in [r["code"] for r in active["rootCauseCategories"]]
    assert "FIRMWARE" in [r["code"] for r in active["rootCauseCategories"]]
    errors = (await call(gql, "upsertRootCauseCategory", c.admin, code="bad code!", label=""))["errors"]
    assert sorted(e["field"][0] for e in errors) == ["code", "label"]
    gid = tid((await ticket_in(c, "IN_PROGRESS")).id)
    errors = await refused(gql, services, "resolveTicket", c.service, **resolution(gid, "LOGISTICS", "Shipped again"))
    assert codes(errors) == ["VALIDATION"]
    await ok(gql, "resolveTicket", c.service, **resolution(gid, "FIRMWARE", "Updated"))


async def test_escalations_query_and_node_by_id(gql, services):
    c = await cast(services)
    open_one = await ticket_in(c, "ESCALATED")
    closed_one = await ticket_in(c, "ESCALATED")
    await step(c, closed_one.id, "close_escalation")
    query = (
        "query($s: EscalationStatus) { escalations(first: 10, status: $s) "
        "{ totalCount edges { node { status ticket { id } } } } }"
    )
    data = await gql.ok(query, {"s": "OPEN"}, c.marketing.token)
    assert [e["node"]["ticket"]["id"] for e in data["escalations"]["edges"]] == [tid(open_one.id)]
    data = await gql.ok(query, {"s": None}, c.marketing.token)
    assert data["escalations"]["totalCount"] == 2
    assert (await gql.ok(READ_TICKET, {"id": tid(uuid.uuid4())}, c.marketing.token)) == {"node": None}


# ----------------------------------------------------------------------------- from a service job


async def test_a_technician_reports_a_problem_from_a_job(gql, services):
    c = await cast(services)
    job = await new_job(c, with_order=True)
    job_gid = to_global_id("ServiceJob", job.id)
    problem = {"subject": "Wrong voltage on site", "description": "The site has 110 V, the unit needs 230 V"}
    report = {"serviceJobId": job_gid, **problem, "priority": "HIGH", "idempotencyKey": "job-problem-1"}
    payload = await ok(gql, "reportServiceJobProblem", c.service, **report)
    t = payload["ticket"]
    assert (t["kind"], t["priority"], t["status"]) == ("QUALITY_ISSUE", "HIGH", "NEW")
    assert t["customer"]["id"] == to_global_id("Customer", c.customer_id)
    assert t["order"]["id"] == to_global_id("Order", job.order_id)
    detail = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Ticket { serviceJob { id number } } } }",
        {"id": t["id"]},
        c.marketing.token,
    )
    assert detail["node"]["serviceJob"] == {"id": to_global_id("ServiceJob", job.id), "number": job.number}
    ticket_id = raw(t["id"])
    (event,) = await events_of(services, ticket_id)
    assert event.type == "TICKET_OPENED"
    assert event.payload["notifyUserIds"] == [str(c.marketing.user.id)]  # the order's marketing owner
    assert event.payload["serviceJobId"] == str(job.id) and event.payload["orderId"] == str(job.order_id)
    (row,) = await activity_of(services, ticket_id)
    assert row.changes["notifyUserIds"] == [str(c.marketing.user.id)] and job.number in row.summary
    again = await ok(gql, "reportServiceJobProblem", c.service, **report)
    assert again["ticket"]["id"] == t["id"]
    errors = await refused(
        gql,
        services,
        "reportServiceJobProblem",
        c.service,
        serviceJobId=to_global_id("ServiceJob", uuid.uuid4()),
        subject="x",
        description="y",
    )
    assert codes(errors) == ["NOT_FOUND"]


# ----------------------------------------------------------------------------- concurrency


async def test_two_concurrent_acknowledgements_one_wins(gql, services):
    """Both requests are in flight at once: a third transaction holds the ticket's row lock until the
    database shows both of them waiting for it, then lets go."""
    c = await cast(services)
    ticket = await open_ticket(c)
    other = await fast_account(services, "SERVICE")
    async with services.db.sessions() as blocker, blocker.begin():
        await blocker.execute(select(Ticket.id).where(Ticket.id == ticket.id).with_for_update())
        racing = asyncio.gather(
            call(gql, "acknowledgeTicket", c.service, ticketId=tid(ticket.id), expectedVersion=1),
            call(gql, "acknowledgeTicket", other, ticketId=tid(ticket.id), expectedVersion=1),
        )
        for _ in range(200):
            async with services.db.sessions() as probe:
                waiting = await probe.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND query ILIKE '%FROM tickets%FOR UPDATE%'"
                    )
                )
            if waiting == 2:
                break
            await asyncio.sleep(0.02)
        assert waiting == 2, "both acknowledgements should be waiting for the row lock"
    results = await racing
    outcomes = sorted(codes(r["errors"]) for r in results)
    assert outcomes == [[], ["VERSION_CONFLICT"]], results
    assert [e.type for e in await events_of(services, ticket.id)] == ["TICKET_OPENED", "TICKET_UPDATED"]
    assert len(await activity_of(services, ticket.id)) == 2
