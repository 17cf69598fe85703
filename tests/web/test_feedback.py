"""Feedback over HTTP: recording (score, links to the customer's own orders and tickets), the
satisfaction summary of a customer, the feedback lists, idempotency."""

from __future__ import annotations

import uuid

import pytest

from services.unit_of_work import unit_of_work
from tests.support.database import rows, scalar, statements
from tests.support.graphql import error_codes, refused
from tests.support.orders import RECORD, Workflow, event_types, gid, new_customer, snapshot


async def record(gql, token, customer_id, score=5, **fields) -> dict:
    return (
        await gql.mutate(
            "recordFeedback",
            RECORD,
            {"i": {"customerId": gid("Customer", customer_id), "source": "RETURN_VISIT", "score": score, **fields}},
            token,
        )
    )["feedback"]


async def open_ticket(services, who, customer_id, order_id=None) -> uuid.UUID:
    """A ticket of the customer, opened through the tickets service (the tickets part's own API)."""
    from services import tickets
    from services.auth import principal_of_user

    async with unit_of_work(services.db.sessions, principal_of_user(who.user), services.clock) as uow:
        ticket = await tickets.open_ticket(
            uow,
            tickets.NewTicket(
                customer_id=customer_id,
                order_id=order_id,
                kind="COMPLAINT",
                priority="NORMAL",
                subject="Noisy pump",
                description="The pump is noisy since installation.",
            ),
        )
    return ticket.id


async def test_record_feedback(gql, services, clock, people, customer):
    flow = Workflow(services, people["seller"].user, people["servicer"].user)
    order = await flow.order(customer.id, status="COMPLETED")
    feedback = await record(
        gql,
        people["servicer"].token,
        customer.id,
        4,
        orderId=gid("Order", order.id),
        source="SERVICE_JOB",
        comment="  Quick and tidy installation  ",
    )
    assert feedback["source"] == "SERVICE_JOB" and feedback["score"] == 4
    assert feedback["comment"] == "Quick and tidy installation"
    assert feedback["customer"] == {"id": gid("Customer", customer.id)}
    assert feedback["order"] == {"id": gid("Order", order.id)}
    assert feedback["recordedBy"] == {"id": people["servicer"].gid}
    assert feedback["recordedAt"] == clock.now().isoformat()
    read = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Feedback { id score source } } }",
        {"id": feedback["id"]},
        people["seller"].token,
    )
    assert read["node"] == {"id": feedback["id"], "score": 4, "source": "SERVICE_JOB"}
    assert (await event_types(services))[-1] == "FEEDBACK_RECORDED"
    activity = await rows(services, "SELECT action, customer_id, order_id FROM activity ORDER BY seq DESC LIMIT 1")
    assert activity == [("feedback.recorded", customer.id, order.id)]


@pytest.mark.parametrize("score", [0, 6, -1, 100])
async def test_scores_outside_1_to_5_are_refused(score, gql, services, people, customer):
    before = await snapshot(services)
    errors = await refused(
        gql,
        "recordFeedback",
        RECORD,
        {"i": {"customerId": gid("Customer", customer.id), "source": "SURVEY", "score": score}},
        people["seller"].token,
    )
    assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", ["score"])]
    assert await snapshot(services) == before


async def test_linked_order_and_ticket_must_be_the_customers_own(gql, services, people, customer):
    flow = Workflow(services, people["seller"].user, people["servicer"].user)
    other = await new_customer(services, "Other Co")
    their_order = await flow.order(other.id)
    their_ticket = await open_ticket(services, people["seller"], other.id)
    own_ticket = await open_ticket(services, people["seller"], customer.id)
    before = await snapshot(services)
    cases = [
        ({"orderId": gid("Order", their_order.id)}, ("VALIDATION", ["orderId"])),
        ({"orderId": gid("Order", uuid.uuid4())}, ("NOT_FOUND", ["orderId"])),
        ({"ticketId": gid("Ticket", their_ticket)}, ("VALIDATION", ["ticketId"])),
        ({"ticketId": gid("Ticket", uuid.uuid4())}, ("NOT_FOUND", ["ticketId"])),
        ({"ticketId": gid("Order", own_ticket)}, ("VALIDATION", ["ticketId"])),  # not a Ticket id
        ({}, ("NOT_FOUND", ["customerId"])),
    ]
    for fields, expected in cases:
        customer_id = uuid.uuid4() if not fields else customer.id
        errors = await refused(
            gql,
            "recordFeedback",
            RECORD,
            {"i": {"customerId": gid("Customer", customer_id), "source": "TICKET", "score": 2, **fields}},
            people["seller"].token,
        )
        assert [(e["code"], e["field"]) for e in errors] == [expected], fields
    assert await snapshot(services) == before
    linked = await record(
        gql, people["seller"].token, customer.id, 2, source="TICKET", ticketId=gid("Ticket", own_ticket)
    )
    assert linked["score"] == 2
    assert await scalar(services, "SELECT count(*) FROM feedback WHERE ticket_id = :t", t=own_ticket) == 1


SATISFACTION = """query($id: ID!) { node(id: $id) { ... on Customer {
  satisfaction { count meanScore satisfiedCount satisfiedShare }
  feedback(first: 2) { totalCount edges { node { score } } } } } }"""


async def test_satisfaction_summary_per_customer(gql, services, clock, people, customer):
    other = await new_customer(services, "Quiet Co")
    token = people["seller"].token
    for score in (5, 4, 2, 1):
        clock.advance(minutes=1)
        await record(gql, token, customer.id, score)
    await record(gql, token, other.id, 5)
    read = (await gql.ok(SATISFACTION, {"id": gid("Customer", customer.id)}, token))["node"]
    assert read["satisfaction"] == {"count": 4, "meanScore": 3.0, "satisfiedCount": 2, "satisfiedShare": 0.5}
    assert read["feedback"]["totalCount"] == 4
    assert [e["node"]["score"] for e in read["feedback"]["edges"]] == [1, 2]  # newest first
    nobody = await new_customer(services, "Silent Ltd")
    empty = (await gql.ok(SATISFACTION, {"id": gid("Customer", nobody.id)}, token))["node"]["satisfaction"]
    assert empty == {"count": 0, "meanScore": None, "satisfiedCount": 0, "satisfiedShare": None}


async def test_satisfaction_of_a_page_of_customers_is_one_statement(gql, services, people):
    token = people["seller"].token
    for i in range(6):
        customer = await new_customer(services, f"Customer {i}")
        for score in range(1, i + 2 if i < 5 else 6):
            await record(gql, token, customer.id, score)
    query = "{ customers(first: 10) { edges { node { name satisfaction { count meanScore } } } } }"
    with statements(services.db.engine, services.db.reads_engine) as seen:
        edges = (await gql.ok(query, None, token))["customers"]["edges"]
    assert len([s for s in seen if "FROM feedback" in s]) == 1, seen
    assert [(e["node"]["name"], e["node"]["satisfaction"]["count"]) for e in edges] == [
        (f"Customer {i}", min(i + 1, 5)) for i in range(6)
    ]
    assert edges[2]["node"]["satisfaction"]["meanScore"] == 2.0


FEEDBACK_LIST = """query($customerId: ID, $after: String) { feedback(first: 2, customerId: $customerId, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { score customer { name } } } } }"""


async def test_feedback_list(gql, services, clock, people, customer, users):
    other = await new_customer(services, "Other Co")
    token = people["seller"].token
    for customer_id, score in ((customer.id, 3), (other.id, 4), (customer.id, 5)):
        clock.advance(minutes=1)
        await record(gql, token, customer_id, score)
    page = (await gql.ok(FEEDBACK_LIST, {}, token))["feedback"]
    assert [e["node"]["score"] for e in page["edges"]] == [5, 4] and page["totalCount"] == 3
    rest = (await gql.ok(FEEDBACK_LIST, {"after": page["pageInfo"]["endCursor"]}, token))["feedback"]
    assert [e["node"]["score"] for e in rest["edges"]] == [3] and not rest["pageInfo"]["hasNextPage"]
    mine = await gql.ok(FEEDBACK_LIST, {"customerId": gid("Customer", customer.id)}, await users.api_key("reporting"))
    assert [e["node"]["score"] for e in mine["feedback"]["edges"]] == [5, 3]
    assert error_codes(await gql(FEEDBACK_LIST, {"customerId": "nope"}, token)) == ["BAD_USER_INPUT"]


async def test_record_feedback_is_idempotent(gql, services, people, customer):
    request = {"customerId": gid("Customer", customer.id), "source": "SURVEY", "score": 3, "idempotencyKey": "fb-1"}
    first = (await gql.mutate("recordFeedback", RECORD, {"i": request}, people["seller"].token))["feedback"]
    again = (await gql.mutate("recordFeedback", RECORD, {"i": request}, people["seller"].token))["feedback"]
    assert again == first
    assert await scalar(services, "SELECT count(*) FROM feedback") == 1
    assert (await event_types(services)).count("FEEDBACK_RECORDED") == 1
