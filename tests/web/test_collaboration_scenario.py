"""Issue 3's acceptance scenario, over HTTP GraphQL only: one order and one complaint, from the
first handoff to the feedback, with both timelines and the event log checked step by step."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import Event
from tests.support.graphql import error_codes
from tests.support.tickets import INPUT_TYPES as TICKET_INPUT_TYPES

ORDER_FIELDS = "id status version"
TICKET_FIELDS = (
    "id status version sla { firstResponseState resolutionState } "
    "escalation { status plan participants { name } notes { body } }"
)
INPUT_TYPES = {
    **TICKET_INPUT_TYPES,
    "createCustomer": "CreateCustomerInput",
    "createOrder": "CreateOrderInput",
    "updateOrder": "UpdateOrderInput",
    "handOffOrder": "OrderActionInput",
    "returnOrder": "OrderActionInput",
    "confirmOrder": "OrderActionInput",
    "scheduleServiceJob": "ScheduleServiceJobInput",
    "startServiceJob": "ServiceJobActionInput",
    "completeServiceJob": "CompleteServiceJobInput",
    "recordFeedback": "RecordFeedbackInput",
}


def payload_query(name: str, fields: str) -> str:
    return f"mutation($i: {INPUT_TYPES[name]}!) {{ {name}(input: $i) {{ {fields} errors {{ code field message }} }} }}"


async def events_in_log(services) -> list[str]:
    async with services.db.sessions() as session:
        # Business events; personal notifications are tested in tests/web/test_notifications.py.
        business = select(Event.type).where(Event.type != "NOTIFICATION_CREATED").order_by(Event.id)
        return list((await session.scalars(business)).all())


async def event_count(services) -> int:
    async with services.db.sessions() as session:
        return int(
            await session.scalar(select(func.count()).select_from(Event).where(Event.type != "NOTIFICATION_CREATED"))
        )


def refresh_tokens(services, *accounts) -> None:
    """Login tokens live 12 h of (test) clock time; the scenario spans weeks."""
    for account in accounts:
        account.token = services.tokens.issue(account.user, services.clock.now())


class Api:
    """Mutations that must succeed: their payload, or the order / ticket in it (ORDER_FIELDS /
    TICKET_FIELDS, and `more` fields)."""

    def __init__(self, gql):
        self.gql = gql

    async def __call__(self, token: str, name: str, fields: str, input: dict) -> dict:
        return await self.gql.mutate(name, payload_query(name, fields), {"i": input}, token)

    async def order(self, token: str, name: str, input: dict, more: str = "") -> dict:
        return (await self(token, name, f"order {{ {ORDER_FIELDS} {more} }}", input))["order"]

    async def ticket(self, token: str, name: str, input: dict, more: str = "") -> dict:
        return (await self(token, name, f"ticket {{ {TICKET_FIELDS} {more} }}", input))["ticket"]


async def test_order_to_feedback_scenario(gql, users, services, clock):
    api = Api(gql)
    marketing = await users.create("MARKETING", "STAFF", name="Mia Marketing")
    service = await users.create("SERVICE", "STAFF", name="Sam Service")
    technician = await users.create("SERVICE", "STAFF", name="Tia Technician")

    customer = (
        await api(
            marketing.token,
            "createCustomer",
            "customer { id }",
            {"name": "Harbor Foods", "contacts": [{"name": "Dana", "phone": "+49 30 1234567"}]},
        )
    )["customer"]
    order = await api.order(
        marketing.token,
        "createOrder",
        {
            "customerId": customer["id"],
            "items": [{"productModel": "CH-200 chiller", "quantity": 2, "unitPrice": "5000.00"}],
            "deliveryDate": "2026-04-01",
            "contractValue": "10000.00",
        },
    )
    steps = ["CUSTOMER_CREATED", "ORDER_CREATED"]

    order = await api.order(
        marketing.token,
        "handOffOrder",
        {"orderId": order["id"], "expectedVersion": order["version"]},
        "confirmationDueAt",
    )
    assert order["status"] == "HANDED_OFF" and order["confirmationDueAt"].startswith("2026-03-03T09:00")
    clock.advance(hours=2)
    order = await api.order(
        service.token,
        "returnOrder",
        {"orderId": order["id"], "reason": "Quantity must be 3 per the signed contract"},
        "returnReason",
    )
    assert order["status"] == "RETURNED" and order["returnReason"].startswith("Quantity")
    order = await api.order(
        marketing.token,
        "updateOrder",
        {
            "orderId": order["id"],
            "expectedVersion": order["version"],
            "contractValue": "15000.00",
            "items": [{"productModel": "CH-200 chiller", "quantity": 3, "unitPrice": "5000.00"}],
        },
    )
    order = await api.order(marketing.token, "handOffOrder", {"orderId": order["id"]})
    clock.advance(hours=1)
    order = await api.order(
        service.token,
        "confirmOrder",
        {"orderId": order["id"], "expectedVersion": order["version"]},
        "confirmedBy { name }",
    )
    assert order["status"] == "CONFIRMED" and order["confirmedBy"]["name"] == "Sam Service"
    steps += ["ORDER_HANDED_OFF", "ORDER_RETURNED", "ORDER_UPDATED", "ORDER_HANDED_OFF", "ORDER_CONFIRMED"]

    job = (
        await api(
            service.token,
            "scheduleServiceJob",
            "serviceJob { id status version }",
            {
                "orderId": order["id"],
                "kind": "INSTALLATION",
                "technicianId": technician.gid,
                "scheduledStart": "2026-03-05T08:00:00Z",
                "scheduledEnd": "2026-03-05T16:00:00Z",
            },
        )
    )["serviceJob"]
    clock.advance(days=3)
    refresh_tokens(services, marketing, service, technician)
    await api(
        technician.token,
        "startServiceJob",
        "serviceJob { status }",
        {"serviceJobId": job["id"]},
    )
    done = await api(
        technician.token,
        "completeServiceJob",
        "serviceJob { status qualityResult order { status } }",
        {"serviceJobId": job["id"], "qualityResult": "PASSED", "notes": "Commissioned, pressure test ok"},
    )
    assert done["serviceJob"]["qualityResult"] == "PASSED" and done["serviceJob"]["order"]["status"] == "COMPLETED"
    steps += [
        "SERVICE_JOB_SCHEDULED",
        "SERVICE_JOB_STARTED",
        "ORDER_UPDATED",
        "SERVICE_JOB_COMPLETED",
        "ORDER_COMPLETED",
    ]

    clock.advance(days=10)
    refresh_tokens(services, marketing, service, technician)
    ticket = await api.ticket(
        marketing.token,
        "openTicket",
        {
            "customerId": customer["id"],
            "orderId": order["id"],
            "kind": "COMPLAINT",
            "priority": "HIGH",
            "subject": "Chiller trips every night",
            "description": "Customer reports a nightly compressor trip.",
        },
    )
    assert ticket["status"] == "NEW"
    clock.advance(minutes=30)
    ticket = await api.ticket(
        service.token, "acknowledgeTicket", {"ticketId": ticket["id"], "expectedVersion": ticket["version"]}
    )
    assert ticket["status"] == "ACKNOWLEDGED" and ticket["sla"]["firstResponseState"] == "MET"
    ticket = await api.ticket(
        service.token,
        "escalateTicket",
        {
            "ticketId": ticket["id"],
            "reason": "Possible design issue: needs sales and engineering",
            "participantIds": [marketing.gid],
        },
    )
    assert ticket["status"] == "ESCALATED" and ticket["escalation"]["status"] == "OPEN"
    assert {p["name"] for p in ticket["escalation"]["participants"]} == {"Mia Marketing", "Sam Service"}
    await api(
        marketing.token,
        "addEscalationNote",
        "ticket { id }",
        {"ticketId": ticket["id"], "body": "Customer runs it at 110 % load at night."},
    )
    await api(
        service.token,
        "addEscalationNote",
        "ticket { id }",
        {"ticketId": ticket["id"], "body": "Then the unit is undersized; propose a second unit."},
    )
    ticket = await api.ticket(
        service.token,
        "closeEscalation",
        {"ticketId": ticket["id"], "plan": "Limit load to 90 %; marketing offers a second unit."},
    )
    assert ticket["status"] == "IN_PROGRESS" and ticket["escalation"]["status"] == "CLOSED"
    assert len(ticket["escalation"]["notes"]) == 2
    ticket = await api.ticket(
        service.token,
        "resolveTicket",
        {"ticketId": ticket["id"], "rootCause": "USAGE", "resolutionSummary": "Load limited; sizing corrected."},
        "rootCause { code }",
    )
    assert ticket["status"] == "RESOLVED" and ticket["rootCause"]["code"] == "USAGE"
    ticket = await api.ticket(service.token, "closeTicket", {"ticketId": ticket["id"]})
    assert ticket["status"] == "CLOSED" and ticket["sla"]["resolutionState"] == "MET"
    feedback = (
        await api(
            marketing.token,
            "recordFeedback",
            "feedback { score }",
            {
                "customerId": customer["id"],
                "orderId": order["id"],
                "ticketId": ticket["id"],
                "source": "TICKET",
                "score": 4,
                "comment": "Quick and honest.",
            },
        )
    )["feedback"]
    assert feedback["score"] == 4
    steps += [
        "TICKET_OPENED",
        "TICKET_UPDATED",
        "TICKET_ESCALATED",
        "ESCALATION_UPDATED",
        "ESCALATION_UPDATED",
        "ESCALATION_CLOSED",
        "TICKET_RESOLVED",
        "TICKET_CLOSED",
        "FEEDBACK_RECORDED",
    ]

    # One event per step, in order.
    assert await events_in_log(services) == steps

    timelines = await gql.ok(
        """query($c: ID!, $o: ID!) {
      c: node(id: $c) { ... on Customer {
        timeline(first: 100) { totalCount edges { node { action at actor { name } } } } } }
      o: node(id: $o) { ... on Order { timeline(first: 100) { totalCount edges { node { action at } } } } } }""",
        {"c": customer["id"], "o": order["id"]},
        marketing.token,
    )
    customer_actions = [e["node"]["action"] for e in timelines["c"]["timeline"]["edges"]]
    order_actions = [e["node"]["action"] for e in timelines["o"]["timeline"]["edges"]]
    # The customer's timeline tells the whole story: one entry per step, in order.
    assert len(customer_actions) == len(steps), customer_actions
    assert customer_actions[0] == "customer.created" and customer_actions[-1].startswith("feedback")
    times = [e["node"]["at"] for e in timelines["c"]["timeline"]["edges"]]
    assert times == sorted(times)
    # The order's timeline holds every step about the order, its job and its ticket (the customer's creation excepted).
    assert order_actions == customer_actions[1:], order_actions


async def test_refused_steps_change_nothing_and_write_no_event(gql, users, services):
    api = Api(gql)
    marketing = await users.create("MARKETING", "STAFF")
    service = await users.create("SERVICE", "STAFF")
    board = await users.api_key("board")
    customer = (await api(marketing.token, "createCustomer", "customer { id }", {"name": "Summit Labs"}))["customer"]
    order = await api.order(
        marketing.token,
        "createOrder",
        {"customerId": customer["id"], "items": [{"productModel": "X1", "quantity": 1}], "contractValue": "100.00"},
    )
    ticket = await api.ticket(
        marketing.token,
        "openTicket",
        {
            "customerId": customer["id"],
            "kind": "INQUIRY",
            "priority": "LOW",
            "subject": "Manual?",
            "description": "Where is the manual?",
        },
    )
    before = await event_count(services)

    confirm = await gql(
        payload_query("confirmOrder", f"order {{ {ORDER_FIELDS} }}"),
        {"i": {"orderId": order["id"]}},
        service.token,
    )
    assert [e["code"] for e in confirm["data"]["confirmOrder"]["errors"]] == ["INVALID_TRANSITION"]
    close = await gql(
        payload_query("closeTicket", f"ticket {{ {TICKET_FIELDS} }}"),
        {"i": {"ticketId": ticket["id"]}},
        service.token,
    )
    assert [e["code"] for e in close["data"]["closeTicket"]["errors"]] == ["INVALID_TRANSITION"]
    resolve = await gql(
        payload_query("resolveTicket", "ticket { id }"),
        {"i": {"ticketId": ticket["id"], "rootCause": "USAGE", "resolutionSummary": "x"}},
        marketing.token,
    )
    assert error_codes(resolve) == ["FORBIDDEN"]
    write = await gql(payload_query("handOffOrder", "order { id }"), {"i": {"orderId": order["id"]}}, board)
    assert error_codes(write) == ["FORBIDDEN"]

    assert await event_count(services) == before
    state = await gql.ok(
        "query($o: ID!, $t: ID!) { o: node(id: $o) { ... on Order { status version } } "
        "t: node(id: $t) { ... on Ticket { status version } } }",
        {"o": order["id"], "t": ticket["id"]},
        marketing.token,
    )
    assert state == {
        "o": {"status": "DRAFT", "version": order["version"]},
        "t": {"status": "NEW", "version": ticket["version"]},
    }
