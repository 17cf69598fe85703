"""Request bodies and WebSocket messages over `max_body_bytes` are refused while being read, against
a real uvicorn server (`main.py serve` in a subprocess)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import httpx
import psutil
import pytest
import websockets

from db.session import Database
from schema.context import AppServices
from services.clock import SystemClock
from tests.support.accounts import UserFactory
from tests.support.database import clone_database, database_url, drop_database
from tests.support.realtime import TOKENS, Server

pytestmark = pytest.mark.timeout(120)

DEFAULT_LIMIT = 1024 * 1024
SMALL_LIMIT = 4096
BIG = 20 * 1024 * 1024


@pytest.fixture(scope="module")
async def module_db(pg_server_url, template_db):
    """One database for this module's servers (db_url is per test; the servers are per module)."""
    name = await clone_database(pg_server_url, template_db)
    yield database_url(pg_server_url, name)
    await drop_database(pg_server_url, name)


@pytest.fixture(scope="module")
async def token(module_db):
    db = Database.connect(module_db, pool_size=1)
    try:
        account = await UserFactory(AppServices(db=db, clock=SystemClock(), tokens=TOKENS)).create()
    finally:
        await db.dispose()
    return account.token


@pytest.fixture(scope="module")
async def server(module_db):
    s = await Server(module_db).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
async def small_server(module_db):
    s = await Server(module_db, TANDEM_MAX_BODY_BYTES=str(SMALL_LIMIT)).start()
    yield s
    s.stop()


def padded_request(size: int) -> bytes:
    """A valid GraphQL request of exactly `size` bytes (the padding is an unused variable)."""
    head, tail = b'{"query":"{ __typename }","variables":{"pad":"', b'"}}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


async def chunks(total: int, size: int = 64 * 1024, payload: bytes | None = None):
    """A body without Content-Length (httpx sends a generator chunked)."""
    if payload is not None:
        for i in range(0, len(payload), size):
            yield payload[i : i + size]
        return
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b"x" * n


def assert_refused(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/json"
    assert response.headers.get("x-request-id")
    assert response.json() == {
        "errors": [{"message": f"request body larger than {limit} bytes", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]
    }


async def test_declared_oversize_body_is_refused_at_once(server):
    async with httpx.AsyncClient(timeout=10) as client:
        started = time.monotonic()
        response = await client.post(
            f"{server.http}/graphql", content=b"x" * BIG, headers={"content-type": "application/json"}
        )
        assert time.monotonic() - started < 1.0
    assert_refused(response, DEFAULT_LIMIT)


def test_declared_oversize_body_is_refused_before_it_is_sent(server):
    # Only the headers go out: the answer comes without the server waiting for a single body byte.
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: tandem\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % BIG
        )
        head = sock.recv(65536)
    assert head.startswith(b"HTTP/1.1 413 "), head[:200]
    assert b"connection: close" in head.lower()


async def test_chunked_oversize_bodies_are_refused_without_buffering(server):
    process = psutil.Process(server.proc.pid)
    baseline = process.memory_info().rss
    peak, done = [baseline], threading.Event()

    def sample() -> None:  # the peak while the bodies arrive, not what is left after
        while not done.is_set():
            peak.append(process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    responses = []
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            for _ in range(2):  # five at once, twice
                responses += await asyncio.gather(
                    *(
                        client.post(
                            f"{server.http}/graphql", content=chunks(BIG), headers={"content-type": "application/json"}
                        )
                        for _ in range(5)
                    )
                )
    finally:
        done.set()
        sampler.join()
    assert max(peak) - baseline < 50 * 1024 * 1024, f"RSS grew by {(max(peak) - baseline) >> 20} MiB"
    for response in responses:
        assert "content-length" not in response.request.headers  # really chunked
        assert_refused(response, DEFAULT_LIMIT)


async def test_body_at_the_limit_is_served(server):
    body = padded_request(DEFAULT_LIMIT)
    async with httpx.AsyncClient(timeout=10) as client:
        for content in (body, chunks(len(body), payload=body)):
            response = await client.post(
                f"{server.http}/graphql", content=content, headers={"content-type": "application/json"}
            )
            assert response.status_code == 200, response.text[:300]
            assert response.json() == {"data": {"__typename": "Query"}}


async def test_configured_limit_is_honoured(small_server):
    async with httpx.AsyncClient(timeout=10) as client:
        for size, status in ((SMALL_LIMIT, 200), (SMALL_LIMIT + 1, 413)):
            body = padded_request(size)
            for content in (body, chunks(len(body), size=1000, payload=body)):
                response = await client.post(
                    f"{small_server.http}/graphql", content=content, headers={"content-type": "application/json"}
                )
                if status == 413:
                    assert_refused(response, SMALL_LIMIT)
                else:
                    assert response.status_code == 200, response.text[:300]


async def websocket_message_limit(server: Server, token: str, limit: int) -> None:
    async with websockets.connect(
        server.ws, subprotocols=["graphql-transport-ws"], max_size=None, compression=None
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        # A message just within the limit works...
        head = json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }", "variables": {"pad": ""}}}
        )
        ok = head[:-4] + "x" * (limit - len(head)) + head[-4:]  # padding inside the empty string
        assert len(ok.encode()) == limit
        await ws.send(ok)
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert reply["type"] == "next" and reply["payload"] == {"data": {"__typename": "Query"}}, reply
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "complete"
        # ...one byte more closes the socket with 1009 (message too big).
        await ws.send(ok.replace('"1"', '"22"', 1))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_websocket_message_over_the_limit_closes_1009(server, token):
    await websocket_message_limit(server, token, DEFAULT_LIMIT)


async def test_websocket_limit_follows_the_configured_limit(small_server, token):
    await websocket_message_limit(small_server, token, SMALL_LIMIT)
