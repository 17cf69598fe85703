"""Rate limits per API key across two real server processes on one database (services/rate_limits.py):
the sum of a key's requests on both is limited, over HTTP and WebSocket alike; a board key's
subscribe over the limit gets an `error` message with RATE_LIMITED, a connection_init over it a 4429
close; people are never limited. In-process cases (the window, the retry time): tests/web/test_rate_limits.py."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.support.realtime import Server, Subscriber, token_for

pytestmark = pytest.mark.timeout(180)

READ = "{ customers(first: 1) { totalCount } }"
EVENTS = "subscription { events(types: [CUSTOMER_UPDATED]) { cursor type } }"
# A window far longer than the test: its requests all fall in the window of the key's first one.
LIMITS = {
    "TANDEM_RATE_LIMIT_REPORTING": "5",
    "TANDEM_RATE_LIMIT_BOARD": "4",
    "TANDEM_RATE_LIMIT_WINDOW_SECONDS": "3600",
}


async def post(client: httpx.AsyncClient, server: Server, token: str) -> httpx.Response:
    return await client.post(
        f"{server.http}/graphql", json={"query": READ}, headers={"Authorization": f"Bearer {token}"}
    )


def retry_after_of(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["message"].startswith("too many requests for this API key (5 per 3600 s); try again in ")
    assert int(response.headers["retry-after"]) == error["extensions"]["retryAfter"]
    return error["extensions"]["retryAfter"]


async def test_a_reporting_key_is_limited_on_two_servers_together(db_url, users):
    servers = [await Server(db_url, **LIMITS).start() for _ in range(2)]
    try:
        key = await users.api_key("reporting")
        person = token_for((await users.create("SERVICE", "STAFF")).user)
        async with httpx.AsyncClient(timeout=30) as client:
            # Alternating: 3 on the first server and 2 on the second are the key's 5 (each server's
            # first request authenticates in full, the later ones take the compiled short way).
            statuses = [(await post(client, servers[i % 2], key)).status_code for i in range(5)]
            assert statuses == [200] * 5
            refused = [await post(client, server, key) for server in servers for _ in range(2)]
            retries = [retry_after_of(r) for r in refused]
            assert all(3500 < s <= 3600 for s in retries), retries
            # In parallel on both, a fresh key gets exactly its 5, whichever server answers.
            other = await users.api_key("reporting")
            answers = await asyncio.gather(*(post(client, servers[i % 2], other) for i in range(12)))
            assert sorted(r.status_code for r in answers) == [200] * 5 + [429] * 7
            # People are never limited.
            for i in range(12):
                response = await post(client, servers[i % 2], person)
                assert response.status_code == 200 and not response.json().get("errors"), response.text
    finally:
        for server in servers:
            server.stop()


async def subscribe(sub: Subscriber, operation_id: str) -> dict:
    """Send a subscribe on `sub`'s socket and return the first message answering it."""
    await sub.ws.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": {"query": EVENTS}}))
    return json.loads(await asyncio.wait_for(sub.ws.recv(), 10))


async def test_a_board_keys_subscribe_over_the_limit_is_refused_with_rate_limited(db_url, users):
    servers = [await Server(db_url, **LIMITS).start() for _ in range(2)]
    subscribers: list[Subscriber] = []
    try:
        board = await users.api_key("board")
        # Each socket: its connection_init and its first subscribe count, 2 on each server = the key's 4.
        for server in servers:
            sub = await Subscriber(server.ws, board, EVENTS).connect()
            assert sub.close_code is None
            subscribers.append(sub)
        await asyncio.sleep(0.5)  # the subscriptions are live (nothing is sent back for them yet)
        answer = await subscribe(subscribers[1], "over")
        assert answer["type"] == "error" and answer["id"] == "over", answer
        [error] = answer["payload"]
        assert error["extensions"]["code"] == "RATE_LIMITED" and 3500 < error["extensions"]["retryAfter"] <= 3600
        assert error["message"].startswith("too many requests for this API key (4 per 3600 s); try again in ")
        # The socket stays open and its live subscription with it; a new socket is refused at once.
        again = await Subscriber(servers[0].ws, board, EVENTS).connect()
        assert again.close_code == 4429
        legacy = await Subscriber(servers[1].ws, board, EVENTS, protocol="graphql-ws").connect()
        assert legacy.close_code == 4429 and legacy.error["message"].startswith("RATE_LIMITED: too many requests")
        assert (await subscribe(subscribers[0], "also over"))["type"] == "error"
    finally:
        for sub in subscribers:
            await sub.close()
        for server in servers:
            server.stop()
