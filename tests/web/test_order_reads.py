"""Reading orders: Order.timeline, the event log of a whole order life, the orders list and its
filters, Customer.orders, and the N+1 guard (a page costs the same number of statements for 5 or 50)."""

from __future__ import annotations

import uuid

import pytest

from tests.support.accounts import fast_account
from tests.support.database import rows, statements
from tests.support.graphql import error_codes, pages
from tests.support.orders import (
    COMPLETE,
    CONFIRM,
    CREATE_ORDER,
    HAND_OFF,
    RECORD,
    RETURN,
    SCHEDULE,
    START,
    UPDATE_ORDER,
    Workflow,
    gid,
    new_customer,
    order_input,
    raw_id,
)

TIMELINE = """query($id: ID!, $after: String) { node(id: $id) { ... on Order {
  timeline(first: 4, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { action entityType entityId summary at actor { id } } } } } } }"""


async def full_timeline(gql, token, order_gid) -> list[dict]:
    """Every timeline row, page by page (4 at a time), to exercise the cursor too."""
    out, after = [], None
    while True:
        timeline = (await gql.ok(TIMELINE, {"id": order_gid, "after": after}, token))["node"]["timeline"]
        out += [e["node"] for e in timeline["edges"]]
        if not timeline["pageInfo"]["hasNextPage"]:
            assert timeline["totalCount"] == len(out)
            return out
        after = timeline["pageInfo"]["endCursor"]


async def test_a_whole_order_life_on_its_timeline_and_in_the_event_log(gql, services, clock, people):
    seller, servicer, tech = people["seller"], people["servicer"], people["technician"]
    customer = await new_customer(services, "Acme Robotics")
    cust = gid("Customer", customer.id)
    other_order = (await gql.mutate("createOrder", CREATE_ORDER, {"i": order_input(cust)}, seller.token))["order"]

    def step(minutes=5):
        clock.advance(minutes=minutes)

    o = (await gql.mutate("createOrder", CREATE_ORDER, {"i": order_input(cust)}, seller.token))["order"]["id"]
    step()
    await gql.mutate("updateOrder", UPDATE_ORDER, {"i": {"orderId": o, "contractValue": "12000"}}, seller.token)
    step()
    await gql.mutate("handOffOrder", HAND_OFF, {"i": {"orderId": o}}, seller.token)
    step()
    await gql.mutate("returnOrder", RETURN, {"i": {"orderId": o, "reason": "Wrong model"}}, servicer.token)
    step()
    await gql.mutate("handOffOrder", HAND_OFF, {"i": {"orderId": o}}, seller.token)
    step()
    await gql.mutate("confirmOrder", CONFIRM, {"i": {"orderId": o}}, servicer.token)
    step()
    job = (
        await gql.mutate(
            "scheduleServiceJob",
            SCHEDULE,
            {
                "i": {
                    "orderId": o,
                    "kind": "INSTALLATION",
                    "technicianId": tech.gid,
                    "scheduledStart": "2026-03-03T08:00:00Z",
                    "scheduledEnd": "2026-03-03T12:00:00Z",
                }
            },
            servicer.token,
        )
    )["serviceJob"]["id"]
    step()
    await gql.mutate("startServiceJob", START, {"i": {"serviceJobId": job}}, tech.token)
    step()
    await gql.mutate(
        "completeServiceJob", COMPLETE, {"i": {"serviceJobId": job, "qualityResult": "PASSED"}}, tech.token
    )
    step()
    await gql.mutate(
        "recordFeedback",
        RECORD,
        {"i": {"customerId": cust, "orderId": o, "source": "SURVEY", "score": 5}},
        seller.token,
    )

    timeline = await full_timeline(gql, seller.token, o)
    assert [(n["action"], n["entityType"]) for n in timeline] == [
        ("order.created", "Order"),
        ("order.updated", "Order"),
        ("order.handed_off", "Order"),
        ("order.returned", "Order"),
        ("order.handed_off", "Order"),
        ("order.confirmed", "Order"),
        ("service_job.scheduled", "ServiceJob"),
        ("service_job.started", "ServiceJob"),
        ("order.in_service", "Order"),
        ("service_job.completed", "ServiceJob"),
        ("order.completed", "Order"),
        ("feedback.recorded", "Feedback"),
    ]
    assert [n["actor"]["id"] for n in timeline] == [seller.gid] * 3 + [servicer.gid] + [seller.gid] + [
        servicer.gid
    ] * 2 + [tech.gid] * 4 + [seller.gid]
    assert {n["entityId"] for n in timeline if n["entityType"] == "Order"} == {o}  # not the other order
    assert {n["entityId"] for n in timeline if n["entityType"] == "ServiceJob"} == {job}
    assert [n["at"] for n in timeline] == sorted(n["at"] for n in timeline)
    assert "Wrong model" in timeline[3]["summary"]

    # One event per accepted change, in the order the changes happened, each placed on the order.
    events = await rows(
        services,
        "SELECT type, entity_id, payload, occurred_at FROM events WHERE payload->>'orderId' = :o ORDER BY id",
        o=str(raw_id(o)),
    )
    assert [e[0] for e in events] == [
        "ORDER_CREATED",
        "ORDER_UPDATED",
        "ORDER_HANDED_OFF",
        "ORDER_RETURNED",
        "ORDER_HANDED_OFF",
        "ORDER_CONFIRMED",
        "SERVICE_JOB_SCHEDULED",
        "SERVICE_JOB_STARTED",
        "ORDER_UPDATED",
        "SERVICE_JOB_COMPLETED",
        "ORDER_COMPLETED",
        "FEEDBACK_RECORDED",
    ]
    assert all(e[2]["customerId"] == str(customer.id) for e in events)
    assert [e[3] for e in events] == sorted(e[3] for e in events)
    assert events[8][2]["status"] == "IN_SERVICE"
    # The customer's timeline shows the same rows, after its own creation and the other order's.
    customer_timeline = """query($id: ID!) { node(id: $id) { ... on Customer { timeline(first: 100) {
      edges { node { action entityId } } } } } }"""
    rows_ = (await gql.ok(customer_timeline, {"id": cust}, seller.token))["node"]["timeline"]["edges"]
    assert [(r["node"]["action"], r["node"]["entityId"]) for r in rows_[:2]] == [
        ("customer.created", cust),
        ("order.created", other_order["id"]),
    ]
    assert [r["node"]["action"] for r in rows_[2:]] == [n["action"] for n in timeline]


ORDERS = """query($first: Int, $after: String, $status: [OrderStatus!], $customerId: ID) {
  orders(first: $first, after: $after, status: $status, customerId: $customerId) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id number status customer { id } } } } }"""


async def test_orders_list_filters_and_pages_newest_first(gql, services, clock, people):
    flow = Workflow(services, people["seller"].user, people["servicer"].user)
    acme, beta = await new_customer(services, "Acme"), await new_customer(services, "Beta")
    made = []
    for customer, status in [
        (acme, "DRAFT"),
        (beta, "HANDED_OFF"),
        (acme, "CONFIRMED"),
        (beta, "DRAFT"),
        (acme, "CANCELLED"),
        (acme, "HANDED_OFF"),
    ]:
        clock.advance(minutes=1)
        made.append((await flow.order(customer.id, status=status), customer))
    token = people["seller"].token
    newest_first = [gid("Order", o.id) for o, _ in reversed(made)]

    everything = (await gql.ok(ORDERS, {"first": 100}, token))["orders"]
    assert [e["node"]["id"] for e in everything["edges"]] == newest_first
    assert everything["totalCount"] == 6

    four_at_a_time = pages(gql, ORDERS, {"first": 4}, token, "orders")
    seen = [e["node"]["id"] async for page in four_at_a_time for e in page["edges"]]
    assert seen == newest_first

    drafts = (await gql.ok(ORDERS, {"status": ["DRAFT", "HANDED_OFF"], "customerId": gid("Customer", acme.id)}, token))[
        "orders"
    ]
    expected = [gid("Order", o.id) for o, c in reversed(made) if c is acme and o.status in ("DRAFT", "HANDED_OFF")]
    assert [e["node"]["id"] for e in drafts["edges"]] == expected and drafts["totalCount"] == 2

    by_customer = """query($id: ID!) { node(id: $id) { ... on Customer { orders(first: 2) { totalCount
      edges { node { id } } } } } }"""
    acme_orders = (await gql.ok(by_customer, {"id": gid("Customer", acme.id)}, token))["node"]["orders"]
    assert acme_orders["totalCount"] == 4
    assert [e["node"]["id"] for e in acme_orders["edges"]] == [
        gid("Order", o.id) for o, c in reversed(made) if c is acme
    ][:2]


@pytest.mark.parametrize(
    "variables",
    [{"first": 101}, {"first": -1}, {"after": "garbage"}, {"customerId": "not-an-id"}, {"customerId": None}],
)
async def test_bad_list_arguments_are_client_errors(variables, gql, people):
    body = await gql(ORDERS, variables, people["seller"].token)
    if variables == {"customerId": None}:
        assert not body.get("errors")  # null means no filter
        return
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_board_and_reporting_keys_read_orders(gql, services, users, people):
    flow = Workflow(services, people["seller"].user, people["servicer"].user)
    customer = await new_customer(services)
    order = await flow.order(customer.id, status="HANDED_OFF")
    for scope in ("board", "reporting"):
        key = await users.api_key(scope)
        listed = (await gql.ok(ORDERS, {}, key))["orders"]
        assert [e["node"]["id"] for e in listed["edges"]] == [gid("Order", order.id)]
    anonymous = await gql(ORDERS, {})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


# ------------------------------------------------------------------------------------ N+1 guard

PAGE = """query($n: Int!) { orders(first: $n) { edges { node {
  customer { name } owner { name } items { quantity } serviceJobs { technician { name } } } } } }"""


async def test_a_page_costs_the_same_number_of_statements_for_5_or_50_orders(gql, services, people):
    flow = Workflow(services, people["seller"].user, people["servicer"].user)
    technicians = [await fast_account(services, "SERVICE") for _ in range(3)]
    for i in range(50):
        customer = await new_customer(services, f"Customer {i}")
        order = await flow.order(customer.id, status="CONFIRMED", items=2)
        await flow.job(order.id, technician_id=technicians[i % 3].user.id)
        await flow.job(order.id, technician_id=technicians[(i + 1) % 3].user.id)

    with statements(services.db.engine, services.db.reads_engine) as seen:
        costs = {}
        for n in (5, 50):
            seen.clear()
            data = await gql.ok(PAGE, {"n": n}, people["seller"].token)
            edges = data["orders"]["edges"]
            assert len(edges) == n
            assert all(len(e["node"]["items"]) == 2 and len(e["node"]["serviceJobs"]) == 2 for e in edges)
            assert all(j["technician"]["name"] for e in edges for j in e["node"]["serviceJobs"])
            costs[n] = len(seen)
    assert costs[5] == costs[50], costs
    assert costs[50] <= 10, costs  # page + customers + users (owners, technicians) + items + jobs, and auth


async def test_unknown_ids_resolve_to_null(gql, people):
    query = "query($id: ID!) { node(id: $id) { id } }"
    for type_name in ("Order", "ServiceJob", "Feedback"):
        assert (await gql.ok(query, {"id": gid(type_name, uuid.uuid4())}, people["seller"].token))["node"] is None
