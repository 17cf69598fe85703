"""A protocol probe: every close code and message order both WebSocket protocols promise, against a real
server, with raw frames (no client library smoothing anything over).

graphql-transport-ws: 4408 without connection_init, 4401 for a subscribe before it (and for a bad
credential), 4429 for a second connection_init, 4400 for a message that is not one, 4409 for an id in
use, ping/pong, the subscription limit as an `error` message, `complete` from the client ending a
subscription, a query answered `next` + `complete`, validation errors as `error`, CURSOR_EXPIRED.
graphql-ws (legacy): ack then `ka`, `data` frames, `stop` answered with `complete`, connection_error +
4401, connection_terminate. And a subscription that joins its cohort without GraphQL (web/ws_handlers.py
`fast_join`) answers exactly as one that took the full way.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from tests.support.realtime import UPDATE_CUSTOMER, Server, health, token_for

pytestmark = pytest.mark.timeout(180)

EVENTS = "subscription($after: String) { events(types: [CUSTOMER_UPDATED], after: $after) { cursor type } }"
CREATE = 'mutation { createCustomer(input: {name: "Probe Foods"}) { customer { id } errors { message } } }'


@pytest.fixture
async def server(db_url):
    s = await Server(
        db_url,
        TANDEM_WS_INIT_TIMEOUT="1",
        TANDEM_WS_SUBSCRIPTIONS_PER_CONNECTION="2",
        TANDEM_WS_CONNECTIONS_PER_USER="50",
    ).start()
    yield s
    s.stop()


@pytest.fixture
async def staff(users):
    return token_for((await users.create("MARKETING", "STAFF", name="Pia Probe")).user)


async def connect(server: Server, protocol: str = "graphql-transport-ws") -> Any:
    return await websockets.connect(server.ws, subprotocols=[protocol], compression=None, ping_interval=None)


async def recv(ws: Any, timeout: float = 10) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def closed(ws: Any, timeout: float = 10) -> tuple[int | None, str]:
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    except websockets.ConnectionClosed as exc:
        return (exc.rcvd.code, exc.rcvd.reason) if exc.rcvd else (None, "")


async def send(ws: Any, message: dict) -> None:
    await ws.send(json.dumps(message))


async def acked(server: Server, token: str, protocol: str = "graphql-transport-ws") -> Any:
    ws = await connect(server, protocol)
    await send(ws, {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    assert (await recv(ws))["type"] == "connection_ack"
    return ws


async def customer_event(server: Server, token: str) -> None:
    customer = (await server.mutate(token, CREATE))["createCustomer"]["customer"]["id"]
    await server.mutate(token, UPDATE_CUSTOMER, {"c": customer, "r": "North"})


async def next_of(ws: Any, wanted_id: str, timeout: float = 10) -> dict:
    """The next `next` (or legacy `data`) message, skipping keep-alives."""
    while True:
        message = await recv(ws, timeout)
        if message["type"] in ("ka", "pong"):
            continue
        assert message["type"] in ("next", "data") and message["id"] == wanted_id, message
        return message


async def test_transport_ws_close_codes(server, staff):
    silent = await connect(server)  # never sends connection_init
    assert (await closed(silent))[0] == 4408

    early = await connect(server)
    await send(early, {"id": "1", "type": "subscribe", "payload": {"query": EVENTS}})
    assert (await closed(early))[0] == 4401

    bad = await connect(server)
    await send(bad, {"type": "connection_init", "payload": {"authorization": "Bearer not-a-token"}})
    assert (await closed(bad))[0] == 4401

    twice = await acked(server, staff)
    await send(twice, {"type": "connection_init", "payload": {"authorization": f"Bearer {staff}"}})
    assert (await closed(twice))[0] == 4429

    garbage = await acked(server, staff)
    await garbage.send("{not json")
    assert (await closed(garbage))[0] == 4400
    unknown = await acked(server, staff)
    await send(unknown, {"type": "shout"})
    assert (await closed(unknown))[0] == 4400

    duplicate = await acked(server, staff)
    await send(duplicate, {"id": "a", "type": "subscribe", "payload": {"query": EVENTS}})
    await asyncio.sleep(0.3)
    await send(duplicate, {"id": "a", "type": "subscribe", "payload": {"query": EVENTS}})
    assert (await closed(duplicate))[0] == 4409


async def test_transport_ws_message_order(server, staff):
    ws = await acked(server, staff)
    await send(ws, {"type": "ping"})
    assert (await recv(ws))["type"] == "pong"
    await send(ws, {"type": "pong"})  # unsolicited pongs are ignored

    # A query over the socket: one `next`, then `complete`.
    await send(ws, {"id": "q", "type": "subscribe", "payload": {"query": "{ me { name } }"}})
    assert (await recv(ws)) == {"id": "q", "type": "next", "payload": {"data": {"me": {"name": "Pia Probe"}}}}
    assert (await recv(ws)) == {"id": "q", "type": "complete"}
    # A document that does not validate: one `error` with the id, nothing else.
    await send(ws, {"id": "v", "type": "subscribe", "payload": {"query": "subscription { nope }"}})
    error = await recv(ws)
    assert error["type"] == "error" and error["id"] == "v" and "nope" in error["payload"][0]["message"]

    # Two subscriptions (the limit), a third refused; ending one frees its place.
    for op in ("s1", "s2"):
        await send(ws, {"id": op, "type": "subscribe", "payload": {"query": EVENTS}})
    await send(ws, {"id": "s3", "type": "subscribe", "payload": {"query": EVENTS}})
    refused = await recv(ws)
    assert refused["type"] == "error" and refused["id"] == "s3"
    assert refused["payload"][0]["message"] == "Subscription limit reached"
    await asyncio.sleep(0.3)
    await customer_event(server, staff)
    got = sorted([(await recv(ws))["id"], (await recv(ws))["id"]])
    assert got == ["s1", "s2"]
    await send(ws, {"id": "s1", "type": "complete"})
    await send(ws, {"id": "s3", "type": "subscribe", "payload": {"query": EVENTS}})
    await asyncio.sleep(0.3)
    await customer_event(server, staff)
    ids = sorted([(await recv(ws))["id"], (await recv(ws))["id"]])
    assert ids == ["s2", "s3"]  # s1 ended: nothing more for it
    await ws.close()


async def test_expired_and_malformed_cursors_answer_the_same_on_both_ways_in(server, staff, db_url):
    """The first subscription of a cohort takes the full way (strawberry); a later one with the same
    document, variables and scope joins without GraphQL — but only when it has a cursor to check or
    replay does it not: the answers must not depend on which way was taken."""
    ws = await acked(server, staff)
    await send(ws, {"id": "first", "type": "subscribe", "payload": {"query": EVENTS}})
    await asyncio.sleep(0.3)
    assert (await health(server))["cohorts"] == 1
    for op, after in (("bad", "abc"), ("negative", "-1")):
        await send(ws, {"id": op, "type": "subscribe", "payload": {"query": EVENTS, "variables": {"after": after}}})
        message = await recv(ws)
        assert message["id"] == op and message["type"] == "next", message
        assert message["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert (await recv(ws)) == {"id": op, "type": "complete"}
    await ws.close()

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(db_url)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE event_log_state SET purged_through = 100"))
    await engine.dispose()
    ws = await acked(server, staff)
    await send(ws, {"id": "old", "type": "subscribe", "payload": {"query": EVENTS, "variables": {"after": "5"}}})
    message = await recv(ws)
    assert message["payload"]["errors"][0]["extensions"]["code"] == "CURSOR_EXPIRED"
    assert (await recv(ws)) == {"id": "old", "type": "complete"}
    await ws.close()


async def test_members_joining_without_graphql_get_the_same_frames(server, staff):
    """Three subscriptions of one cohort, the first through strawberry, the others joining at once:
    byte-identical payloads, each in its own frame."""
    sockets = [await acked(server, staff) for _ in range(3)]
    for i, ws in enumerate(sockets):
        await send(ws, {"id": f"m{i}", "type": "subscribe", "payload": {"query": EVENTS, "variables": {}}})
        await asyncio.sleep(0.2)
    state = await health(server)
    assert state["cohorts"] == 1 and state["subscribers"] == 3
    before = state["renders"]
    await customer_event(server, staff)
    frames = [await next_of(ws, f"m{i}") for i, ws in enumerate(sockets)]
    assert len({json.dumps(f["payload"], sort_keys=True) for f in frames}) == 1
    assert frames[0]["payload"]["data"]["events"]["type"] == "CUSTOMER_UPDATED"
    assert (await health(server))["renders"] - before == 1
    for ws in sockets:
        await ws.close()


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_one_task_per_connection_at_most(server, staff, protocol):
    """No task per subscription, and none for the legacy protocol's keep-alive: forty live
    subscriptions on twenty sockets add about twenty tasks (each socket's own), not forty or sixty."""
    base = (await health(server))["tasks"]
    sockets = [await acked(server, staff, protocol) for _ in range(20)]
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    for i, ws in enumerate(sockets):
        for op in ("a", "b"):
            await send(ws, {"id": op, "type": kind, "payload": {"query": EVENTS, "variables": {"x": i}}})
    await asyncio.sleep(1.0)
    state = await health(server)
    assert state["subscribers"] == 40
    assert state["tasks"] - base <= 20 + 3, state
    for ws in sockets:
        await ws.close()


async def test_legacy_graphql_ws(server, staff):
    bad = await connect(server, "graphql-ws")
    await send(bad, {"type": "connection_init", "payload": {"authorization": "Bearer nope"}})
    assert (await recv(bad))["type"] == "connection_error"
    assert (await closed(bad))[0] == 4401

    ws = await acked(server, staff, "graphql-ws")
    assert (await recv(ws))["type"] == "ka"  # keep-alive right after the ack
    await send(ws, {"id": "l1", "type": "start", "payload": {"query": EVENTS}})
    await asyncio.sleep(0.3)
    await customer_event(server, staff)
    data = await next_of(ws, "l1")
    assert data["type"] == "data" and data["payload"]["data"]["events"]["type"] == "CUSTOMER_UPDATED"
    await send(ws, {"id": "l1", "type": "stop"})
    while (message := await recv(ws))["type"] == "ka":
        pass
    assert message == {"type": "complete", "id": "l1"}
    await send(ws, {"type": "connection_terminate"})
    assert (await closed(ws))[0] == 1000
