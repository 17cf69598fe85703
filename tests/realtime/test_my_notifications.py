"""`myNotifications` through a real server and real WebSocket clients: a notification reaches its
person the moment its cause commits and nobody else (not another person's stream, not `events`),
a reconnect with `after` replays what was missed, and API keys have no such stream."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.support.realtime import Server, Subscriber, token_for, wait_closed

pytestmark = pytest.mark.timeout(120)

MINE = """subscription($after: String) { myNotifications(after: $after) {
  cursor type notification { id kind title readAt subject { __typename ... on Ticket { number } } } } }"""
EVERYTHING = "subscription { events { cursor type } }"
CREATE_CUSTOMER = 'mutation { createCustomer(input: {name: "Harbor Foods"}) { customer { id } errors { message } } }'
OPEN_TICKET = (
    "mutation($c: ID!) { openTicket(input: {customerId: $c, kind: COMPLAINT, priority: HIGH, "
    'subject: "Noise", description: "Loud at night"}) { ticket { id number } errors { message } } }'
)
ACK = "mutation($t: ID!) { acknowledgeTicket(input: {ticketId: $t}) { ticket { status } errors { message } } }"
ASSIGN = """mutation($t: ID!, $u: ID!) { assignTicket(input: {ticketId: $t, assigneeId: $u}) {
  ticket { status } errors { message } } }"""
ESCALATE = """mutation($t: ID!, $p: [ID!]!) { escalateTicket(input: {ticketId: $t, reason: "Design issue",
  participantIds: $p}) { ticket { status } errors { message } } }"""


@pytest.fixture
async def server(db_url):
    s = await Server(db_url).start()
    yield s
    s.stop()


async def test_live_only_to_its_person_and_resumable(server, users):
    mia = await users.create("MARKETING", "STAFF", name="Mia Marketing")
    sam = await users.create("SERVICE", "STAFF", name="Sam Service")
    sue = await users.create("SERVICE", "STAFF", name="Sue Service")
    m, s, u = (token_for(p.user) for p in (mia, sam, sue))
    sue_sub = await Subscriber(server.ws, u, MINE).connect()
    sam_sub = await Subscriber(server.ws, s, MINE).connect()
    board_events = await Subscriber(server.ws, await users.api_key("board"), EVERYTHING).connect()
    staff_events = await Subscriber(server.ws, m, EVERYTHING).connect()
    await asyncio.sleep(0.3)

    customer = (await server.mutate(m, CREATE_CUSTOMER))["createCustomer"]["customer"]["id"]
    ticket = (await server.mutate(m, OPEN_TICKET, {"c": customer}))["openTicket"]["ticket"]
    await server.mutate(s, ACK, {"t": ticket["id"]})
    await server.mutate(s, ASSIGN, {"t": ticket["id"], "u": sue.gid})
    first = (await sue_sub.next())["myNotifications"]
    assert first["type"] == "NOTIFICATION_CREATED"
    assert first["notification"]["kind"] == "ASSIGNED" and first["notification"]["readAt"] is None
    assert first["notification"]["subject"] == {"__typename": "Ticket", "number": ticket["number"]}

    # Sue's stream is closed; meanwhile she is invited to a consultation (Sam asked: he is not told).
    await sue_sub.close()
    await server.mutate(s, ESCALATE, {"t": ticket["id"], "p": [mia.gid, sue.gid]})
    resumed = await Subscriber(server.ws, u, MINE, {"after": first["cursor"]}).connect()
    missed = (await resumed.next())["myNotifications"]
    assert missed["notification"]["kind"] == "CONSULTATION_INVITE" and int(missed["cursor"]) > int(first["cursor"])

    # Sam got nothing of theirs; the shared `events` stream carries the changes, never a notification.
    with pytest.raises(TimeoutError):
        await sam_sub.next(timeout=1.5)
    for sub in (board_events, staff_events):
        seen = []
        with pytest.raises(TimeoutError):
            while True:
                seen.append((await sub.next(timeout=1.5))["events"]["type"])
        assert "TICKET_ESCALATED" in seen and "NOTIFICATION_CREATED" not in seen, seen
    for sub in (resumed, sam_sub, board_events, staff_events):
        await sub.close()


async def test_api_keys_have_no_notification_stream(server, users):
    # A reporting key may not subscribe at all: closed with 4403 before anything runs.
    reporting = await Subscriber(server.ws, await users.api_key("reporting"), MINE).connect()
    assert (reporting.close_code or await wait_closed(reporting)) == 4403
    # A board key subscribes to boards, but has no inbox: the operation is refused with FORBIDDEN.
    board = await Subscriber(server.ws, await users.api_key("board"), MINE).connect()
    message = json.loads(await asyncio.wait_for(board.ws.recv(), 10))
    assert message["type"] in ("error", "next"), message
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"], message
    for sub in (reporting, board):
        await sub.close()
