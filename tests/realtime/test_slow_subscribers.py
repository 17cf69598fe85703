"""A subscriber that stops reading is cut off; the server's memory stays bounded; others go on."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import httpx
import pytest
import websockets

from tests.support.realtime import Server, Subscriber, health, tcp_connected, token_for, wait_for_health

pytestmark = pytest.mark.timeout(180)

# The ticket's long description makes every message big, so a client that does not read fills the
# socket buffers after a few dozen events.
WIDE = "subscription { ticketBoard { cursor type ticket { number description } } }"
CREATE = "mutation($n: String!) { createCustomer(input: {name: $n}) { customer { id } errors { message } } }"
OPEN = (
    "mutation($c: ID!, $d: String!) { openTicket(input: {customerId: $c, kind: INQUIRY, priority: LOW, "
    'subject: "Manual", description: $d}) { ticket { id } errors { message } } }'
)
COMMENT = (
    "mutation($t: ID!, $b: String!) { addTicketComment(input: {ticketId: $t, body: $b, visibility: INTERNAL}) "
    "{ ticket { version } errors { message } } }"
)


async def stalled_client(url: str, token: str) -> websockets.ClientConnection:
    """Subscribes, then never reads: a tiny receive buffer and a one-message queue push back at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    host, port = url.removeprefix("ws://").split("/")[0].split(":")
    sock.connect((host, int(port)))
    ws = await websockets.connect(url, sock=sock, subprotocols=["graphql-transport-ws"], compression=None, max_queue=1)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "slow", "type": "subscribe", "payload": {"query": WIDE}}))
    return ws


async def subscribers_on(server: Server) -> int:
    async with httpx.AsyncClient() as client:
        return (await client.get(f"{server.http}/healthz")).json()["subscribers"]


async def test_a_stalled_subscriber_is_cut_off_and_the_others_keep_receiving(db_url, users):
    # A grace longer than the test: the stalled client reads again before it would be disconnected.
    server = await Server(db_url, TANDEM_SUBSCRIBER_QUEUE="20", TANDEM_SLOW_SUBSCRIBER_GRACE="120").start()
    try:
        token = token_for((await users.create("MARKETING", "STAFF")).user)
        customer = (await server.mutate(token, CREATE, {"n": "Acme"}))["createCustomer"]["customer"]["id"]
        ticket = (await server.mutate(token, OPEN, {"c": customer, "d": "x" * 20_000}))["openTicket"]["ticket"]["id"]
        slow = await stalled_client(server.ws, token)
        fast = await Subscriber(server.ws, token, WIDE).connect()
        await asyncio.sleep(0.5)
        assert await subscribers_on(server) == 2
        total = 300  # ~6 MB of messages: far more than the socket buffers of the stalled client hold
        collecting = asyncio.create_task(fast.collect(total, timeout=120))
        for i in range(total):
            await server.mutate(token, COMMENT, {"t": ticket, "b": f"note {i}"})
        received = await collecting
        assert len({e["ticketBoard"]["cursor"] for e in received}) == total  # the reader missed nothing
        # The stalled one was dropped from the hub: its queue no longer grows.
        assert await subscribers_on(server) == 1
        # When it reads again it finds what had been sent, then the close code telling it to resume.
        code = None
        try:
            async with asyncio.timeout(30):
                while True:
                    await slow.recv()
        except websockets.ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        assert code == 4413
        await fast.close()
    finally:
        server.stop()


async def test_a_stalled_subscriber_is_disconnected_after_the_grace_and_the_others_keep_receiving(db_url, users):
    """It never reads again: its 4413 cannot go out, so after the grace its TCP connection is dropped
    (the server keeps neither the socket nor its send queue), while the reader misses nothing."""
    grace = 1.0
    server = await Server(db_url, TANDEM_SUBSCRIBER_QUEUE="20", TANDEM_SLOW_SUBSCRIBER_GRACE=str(grace)).start()
    try:
        token = token_for((await users.create("MARKETING", "STAFF")).user)
        customer = (await server.mutate(token, CREATE, {"n": "Acme"}))["createCustomer"]["customer"]["id"]
        ticket = (await server.mutate(token, OPEN, {"c": customer, "d": "x" * 20_000}))["openTicket"]["ticket"]["id"]
        slow = await stalled_client(server.ws, token)
        slow_port = slow.local_address[1]
        fast = await Subscriber(server.ws, token, WIDE).connect()
        await asyncio.sleep(0.5)
        before = await health(server)
        assert (before["subscribers"], before["connections"]) == (2, 2)
        total = 200
        collecting = asyncio.create_task(fast.collect(total, timeout=120))

        async def write() -> None:
            for i in range(total):
                await server.mutate(token, COMMENT, {"t": ticket, "b": f"note {i}"})

        writing = asyncio.create_task(write())
        await wait_for_health(server, "subscribers", 1, timeout=60)  # cut off from the hub
        cut_off = time.monotonic()
        await wait_for_health(server, "connections", 1, timeout=grace + 5)  # and its socket is gone
        assert time.monotonic() - cut_off < grace + 1.5
        assert not tcp_connected(server.port, slow_port)  # no TCP connection left, on either side
        await writing
        received = await collecting
        assert len({e["ticketBoard"]["cursor"] for e in received}) == total
        # Reading later, the stalled client finds its connection reset: no close frame ever came.
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(30):
                while True:
                    await slow.recv()
        assert closed.value.rcvd is None
        await fast.close()
    finally:
        server.stop()
