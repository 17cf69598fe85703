"""Subscriptions end to end: a uvicorn server in a subprocess, real WebSocket clients."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.realtime import Server, Subscriber, health, token_for, wait_closed

pytestmark = pytest.mark.timeout(180)

HANDOFFS = (
    "subscription($after: String) { orderHandoffs(after: $after) { cursor type actor { name } "
    "order { number status customer { name contacts { name phone } } } } }"
)
ESCALATIONS = (
    "subscription { complaintEscalations { cursor type ticket { number status } "
    "escalation { status participants { name } } } }"
)
CREATE_CUSTOMER = (
    'mutation($n: String!) { createCustomer(input: {name: $n, contacts: [{name: "Dana", phone: "+49 30 1234567"}]}) '
    "{ customer { id } errors { message } } }"
)
CREATE_ORDER = (
    'mutation($c: ID!) { createOrder(input: {customerId: $c, items: [{productModel: "X1", quantity: 1}], '
    'deliveryDate: "2026-12-01", contractValue: "100.00"}) { order { id } errors { message } } }'
)
HAND_OFF = "mutation($o: ID!) { handOffOrder(input: {orderId: $o}) { order { status } errors { message } } }"
OPEN_TICKET = (
    "mutation($c: ID!) { openTicket(input: {customerId: $c, kind: COMPLAINT, priority: HIGH, "
    'subject: "Noise", description: "Loud at night"}) { ticket { id } errors { message } } }'
)
ACK = "mutation($t: ID!) { acknowledgeTicket(input: {ticketId: $t}) { ticket { status } errors { message } } }"
ESCALATE = (
    'mutation($t: ID!, $p: [ID!]!) { escalateTicket(input: {ticketId: $t, reason: "Design issue", participantIds: $p}) '
    "{ ticket { status } errors { message } } }"
)


@pytest.fixture
async def server(db_url):
    s = await Server(db_url).start()
    yield s
    s.stop()


@pytest.fixture
async def people(users):
    marketing = await users.create("MARKETING", "STAFF", name="Mia Marketing")
    service = await users.create("SERVICE", "STAFF", name="Sam Service")
    return {
        "marketing": marketing,
        "service": service,
        "board": await users.api_key("board"),
        "reporting": await users.api_key("reporting"),
    }


async def new_order(server: Server, token: str, name: str = "Harbor Foods") -> tuple[str, str]:
    customer = (await server.mutate(token, CREATE_CUSTOMER, {"n": name}))["createCustomer"]["customer"]["id"]
    order = (await server.mutate(token, CREATE_ORDER, {"c": customer}))["createOrder"]["order"]["id"]
    return customer, order


async def test_handoffs_and_escalations_reach_both_departments_and_boards(server, people):
    m_token, s_token = token_for(people["marketing"].user), token_for(people["service"].user)
    subscribers = {
        who: await Subscriber(server.ws, token, HANDOFFS).connect()
        for who, token in (("marketing", m_token), ("service", s_token), ("board", people["board"]))
    }
    escalation_subscribers = {
        who: await Subscriber(server.ws, token, ESCALATIONS).connect()
        for who, token in (("marketing", m_token), ("service", s_token), ("board", people["board"]))
    }
    await asyncio.sleep(0.3)  # subscriptions registered
    customer, order = await new_order(server, m_token)
    await server.mutate(m_token, HAND_OFF, {"o": order})
    for who, sub in subscribers.items():
        payload = await sub.next_payload()
        event = payload["data"]["orderHandoffs"]
        assert event["type"] == "ORDER_HANDED_OFF" and event["order"]["status"] == "HANDED_OFF", who
        assert event["actor"]["name"] == "Mia Marketing"
        contact = event["order"]["customer"]["contacts"][0]
        # Each payload is resolved with the subscriber's permissions: a board never sees phone numbers.
        if who == "board":
            assert contact["phone"] is None
            assert [e["extensions"]["code"] for e in payload["errors"]] == ["FORBIDDEN"]
        else:
            assert contact["phone"] == "+49 30 1234567" and not payload.get("errors"), who

    ticket = (await server.mutate(m_token, OPEN_TICKET, {"c": customer}))["openTicket"]["ticket"]["id"]
    await server.mutate(s_token, ACK, {"t": ticket})
    await server.mutate(s_token, ESCALATE, {"t": ticket, "p": [people["marketing"].gid]})
    for who, sub in escalation_subscribers.items():
        event = (await sub.next())["complaintEscalations"]
        assert event["type"] == "TICKET_ESCALATED" and event["ticket"]["status"] == "ESCALATED", who
        assert {p["name"] for p in event["escalation"]["participants"]} == {"Mia Marketing", "Sam Service"}
    for sub in [*subscribers.values(), *escalation_subscribers.values()]:
        await sub.close()


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_refused_credentials_close_with_4401_and_4403(server, people, protocol):
    reporting = await Subscriber(server.ws, people["reporting"], HANDOFFS, protocol=protocol).connect()
    assert (reporting.close_code or await wait_closed(reporting)) == 4403
    anonymous = await Subscriber(server.ws, None, HANDOFFS, protocol=protocol).connect()
    assert (anonymous.close_code or await wait_closed(anonymous)) == 4401
    bad = await Subscriber(server.ws, "not-a-token", HANDOFFS, protocol=protocol).connect()
    assert (bad.close_code or await wait_closed(bad)) == 4401


async def test_resume_after_a_cursor_gets_every_missed_event_then_live_ones(server, people):
    m_token = token_for(people["marketing"].user)
    first = await Subscriber(server.ws, m_token, HANDOFFS).connect()
    await asyncio.sleep(0.3)
    orders = [(await new_order(server, m_token, f"Customer {i}"))[1] for i in range(4)]
    await server.mutate(m_token, HAND_OFF, {"o": orders[0]})
    seen = (await first.next())["orderHandoffs"]
    await first.close()
    for order in orders[1:3]:  # handed off while nobody listens
        await server.mutate(m_token, HAND_OFF, {"o": order})
    resumed = await Subscriber(server.ws, m_token, HANDOFFS, {"after": seen["cursor"]}).connect()
    replayed = [e["orderHandoffs"] for e in await resumed.collect(2)]
    await server.mutate(m_token, HAND_OFF, {"o": orders[3]})
    live = (await resumed.next())["orderHandoffs"]
    cursors = [int(e["cursor"]) for e in [*replayed, live]]
    assert cursors == sorted(cursors) and len(set(cursors)) == 3 and cursors[0] > int(seen["cursor"])
    await resumed.close()


BOARD = (
    "subscription($f: TicketFilter, $after: String) { ticketBoard(filter: $f, after: $after) "
    "{ cursor type ticket { number status priority } } }"
)
PRIORITY = (
    "mutation($t: ID!, $p: TicketPriority!) { changeTicketPriority(input: {ticketId: $t, priority: $p}) "
    "{ ticket { priority } errors { message } } }"
)


async def test_one_render_per_event_for_subscribers_sharing_query_and_scope(server, people):
    tokens = [token_for(people["marketing"].user)] * 3 + [people["board"]] * 3
    subs = [await Subscriber(server.ws, t, HANDOFFS).connect() for t in tokens]
    await asyncio.sleep(0.3)
    before = await health(server)
    _, order = await new_order(server, tokens[0])
    await server.mutate(tokens[0], HAND_OFF, {"o": order})
    for sub in subs:
        assert (await sub.next_payload())["data"]["orderHandoffs"]["type"] == "ORDER_HANDED_OFF"
    after = await health(server)
    # Two permission scopes (marketing staff, board key) with one query each: two renders for six deliveries.
    assert after["renders"] - before["renders"] == 2
    assert after["sharedRenders"] - before["sharedRenders"] == 4
    for sub in subs:
        await sub.close()


async def test_board_filter_sees_matching_tickets_and_a_ticket_leaving_it(server, people):
    m_token, s_token = token_for(people["marketing"].user), token_for(people["service"].user)
    urgent_board = await Subscriber(server.ws, people["board"], BOARD, {"f": {"priority": ["URGENT"]}}).connect()
    await asyncio.sleep(0.3)
    customer, _ = await new_order(server, m_token)
    low = (await server.mutate(m_token, OPEN_TICKET.replace("HIGH", "LOW"), {"c": customer}))["openTicket"]["ticket"][
        "id"
    ]
    urgent = (await server.mutate(m_token, OPEN_TICKET.replace("HIGH", "URGENT"), {"c": customer}))["openTicket"][
        "ticket"
    ]["id"]
    first = (await urgent_board.next())["ticketBoard"]
    assert first["type"] == "TICKET_OPENED" and first["ticket"]["priority"] == "URGENT"
    await server.mutate(s_token, PRIORITY, {"t": urgent, "p": "NORMAL"})  # leaves the board's filter
    left = (await urgent_board.next())["ticketBoard"]
    assert left["type"] == "TICKET_UPDATED" and left["ticket"]["priority"] == "NORMAL"
    await server.mutate(s_token, PRIORITY, {"t": low, "p": "HIGH"})  # never on this board: not delivered
    await server.mutate(s_token, PRIORITY, {"t": low, "p": "URGENT"})  # joins it
    joined = (await urgent_board.next())["ticketBoard"]
    assert joined["ticket"]["priority"] == "URGENT" and int(joined["cursor"]) > int(left["cursor"]) + 1
    await urgent_board.close()


async def test_board_search_matches_the_customers_name_in_any_case(server, people):
    """A board's `search` is the tickets list's: the ticket's number, its subject or its customer's name,
    case-insensitively (the subject here, "Noise", never contains the term)."""
    m_token = token_for(people["marketing"].user)
    board = await Subscriber(server.ws, people["board"], BOARD, {"f": {"search": "  hArBoR fO "}}).connect()
    await asyncio.sleep(0.3)
    harbor, _ = await new_order(server, m_token, name="Harbor Foods")
    other, _ = await new_order(server, m_token, name="Summit Mills")
    await server.mutate(m_token, OPEN_TICKET, {"c": other})  # not on this board
    await server.mutate(m_token, OPEN_TICKET, {"c": harbor})
    listed = await server.mutate(
        people["board"], '{ tickets(filter: {search: "harbor fo"}) { edges { node { number } } } }'
    )
    [expected] = [e["node"]["number"] for e in listed["tickets"]["edges"]]  # the list's search agrees
    delivered = (await board.next())["ticketBoard"]
    assert delivered["type"] == "TICKET_OPENED" and delivered["ticket"]["number"] == expected
    await board.close()


async def test_board_reads_a_snapshot_and_its_cursor_then_subscribes_without_a_gap(server, people):
    m_token = token_for(people["marketing"].user)
    customer, _ = await new_order(server, m_token)
    await server.mutate(m_token, OPEN_TICKET, {"c": customer})
    snapshot = await server.mutate(people["board"], "{ eventCursor tickets(first: 50) { totalCount } }")
    assert snapshot["tickets"]["totalCount"] == 1
    await server.mutate(m_token, OPEN_TICKET, {"c": customer})  # between the read and the subscription
    board = await Subscriber(server.ws, people["board"], BOARD, {"after": snapshot["eventCursor"]}).connect()
    missed = (await board.next())["ticketBoard"]
    assert missed["type"] == "TICKET_OPENED" and int(missed["cursor"]) > int(snapshot["eventCursor"])
    await board.close()


async def test_a_cursor_older_than_the_retention_is_refused(server, people, db_url):
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(db_url)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE event_log_state SET purged_through = 100"))
    await engine.dispose()
    sub = await Subscriber(server.ws, token_for(people["marketing"].user), HANDOFFS, {"after": "5"}).connect()
    payload = await sub.next_payload()
    assert payload["data"] is None
    assert payload["errors"][0]["extensions"]["code"] == "CURSOR_EXPIRED"
    assert "refetch" in payload["errors"][0]["message"]
    await sub.close()


async def test_legacy_graphql_ws_protocol_receives_handoffs(server, people):
    token = token_for(people["service"].user)
    legacy = await Subscriber(server.ws, token, HANDOFFS, protocol="graphql-ws").connect()
    await asyncio.sleep(0.3)
    _, order = await new_order(server, token_for(people["marketing"].user))
    await server.mutate(token_for(people["marketing"].user), HAND_OFF, {"o": order})
    assert (await legacy.next())["orderHandoffs"]["type"] == "ORDER_HANDED_OFF"
    await legacy.close()


async def test_browser_origins_must_be_allowed(db_url, people):
    import websockets

    server = await Server(db_url, TANDEM_CORS_ORIGINS="https://app.tandem.example").start()
    try:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(server.ws, subprotocols=["graphql-transport-ws"], origin="https://evil.example")
        assert refused.value.response.status_code == 403
        allowed = await websockets.connect(
            server.ws, subprotocols=["graphql-transport-ws"], origin="https://app.tandem.example"
        )
        await allowed.close()
    finally:
        server.stop()
