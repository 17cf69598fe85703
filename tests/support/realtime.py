"""Real-time tests: Tandem servers in subprocesses on a test database, and real WebSocket GraphQL clients."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import websockets

from services.auth import TokenService
from tests.support.server import ServerProcess

UPDATE_CUSTOMER = (
    "mutation($c: ID!, $r: String) { updateCustomer(input: {customerId: $c, region: $r}) "
    "{ customer { version } errors { message } } }"
)
SECRET = "realtime-test-secret-key-0123456789abcdef"
TOKENS = TokenService(SECRET, timedelta(hours=12))  # servers run on the real clock: issue with it too


def token_for(user) -> str:
    return TOKENS.issue(user, datetime.now(UTC))


class Server(ServerProcess):
    """`main.py serve` in a subprocess on a test database, on the real clock (see TOKENS)."""

    def __init__(self, db_url: str, broadcast_url: str = "memory://", port: int | None = None, **env: str):
        super().__init__(
            {
                **{k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")},
                "DATABASE_URL": db_url,
                "BROADCAST_URL": broadcast_url,
                "TANDEM_SECRET_KEY": SECRET,
                "TANDEM_ENV": "development",
                "TANDEM_LOG_LEVEL": "warning",
                **env,
            },
            port,
        )

    async def mutate(self, token: str, query: str, variables: dict | None = None) -> dict:
        async with httpx.AsyncClient(timeout=30) as client:
            r = await client.post(
                f"{self.http}/graphql",
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {token}"},
            )
        body = r.json()
        assert not body.get("errors"), body
        return body["data"]


class Subscriber:
    """A graphql-transport-ws client holding one subscription."""

    _ids = itertools.count(1)

    def __init__(
        self,
        url: str,
        token: str | None,
        query: str,
        variables: dict | None = None,
        protocol: str = "graphql-transport-ws",
    ):
        self.url, self.token, self.query, self.variables, self.protocol = url, token, query, variables or {}, protocol
        self.id = str(next(self._ids))
        self.ws: Any = None
        self.close_code: int | None = None

    async def connect(self) -> Subscriber:
        # No client keepalive pings: these tests are about delivery, and on a loaded 2-core CI machine a
        # server busy with 50 writers can answer a ping later than websockets' 20 s, which closed the
        # socket with 1011 mid-test (a flake, not a lost event). Dead servers show up as timeouts anyway.
        # max_queue=None: websockets stops reading the socket while 16 messages wait for the test to take
        # them, and then does not see (nor answer) the server's keep-alive ping either; with a fast server
        # and a busy test loop that wait passed uvicorn's 20 s ping timeout (1011) in the 50-writer test.
        self.ws = await websockets.connect(
            self.url,
            subprotocols=[self.protocol],
            max_size=None,
            max_queue=None,
            compression=None,
            ping_interval=None,
        )
        payload = {"authorization": f"Bearer {self.token}"} if self.token else {}
        await self.ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        try:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
        except websockets.ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd else None
            return self
        if message["type"] == "connection_error":  # legacy graphql-ws says why, then closes
            self.error = message.get("payload")
            self.close_code = await wait_closed(self)
            return self
        assert message["type"] in ("connection_ack", "ka"), message
        start = "subscribe" if self.protocol == "graphql-transport-ws" else "start"
        await self.ws.send(
            json.dumps({"id": self.id, "type": start, "payload": {"query": self.query, "variables": self.variables}})
        )
        return self

    async def next(self, timeout: float = 15) -> dict:
        """The next result's data; fails on field errors, an error message or a close."""
        payload = await self.next_payload(timeout)
        assert not payload.get("errors"), payload
        return payload["data"]

    async def next_payload(self, timeout: float = 15) -> dict:
        """The next result (data and errors)."""
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
            message = json.loads(raw)
            if message["type"] in ("next", "data"):
                return message["payload"]
            if message["type"] in ("ping",):
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            if message["type"] in ("ka", "pong"):
                continue
            raise AssertionError(f"unexpected message {message}")

    async def collect(self, count: int, timeout: float = 30) -> list[dict]:
        out = []
        async with asyncio.timeout(timeout):
            while len(out) < count:
                out.append(await self.next(timeout))
        return out

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()


async def wait_closed(sub: Subscriber, timeout: float = 10) -> int | None:
    try:
        async with asyncio.timeout(timeout):
            while True:
                await sub.ws.recv()
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def health(server: Server) -> dict:
    """The server's /healthz: subscribers, open WebSocket connections, log position, render counters."""
    async with httpx.AsyncClient() as client:
        return (await client.get(f"{server.http}/healthz", timeout=10)).json()


async def wait_for_health(server: Server, key: str, value: Any, timeout: float = 10) -> dict:
    """Poll /healthz until `key` equals `value`; fails with the last answer after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        current = await health(server)
        if current.get(key) == value:
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"/healthz {key} is {current.get(key)!r}, expected {value!r}: {current}")
        await asyncio.sleep(0.05)


async def closed_at(sub: Subscriber, timeout: float = 10) -> tuple[int | None, float]:
    """Wait for the server to close the socket: (close code received, time.monotonic() of the close)."""
    code = await wait_closed(sub, timeout)
    return code, time.monotonic()


def tcp_connected(port_a: int, port_b: int) -> bool:
    """Whether this machine has a TCP socket (in any state) between local ports `port_a` and `port_b`
    (Linux /proc/net/tcp*); a connection the server dropped with a reset has none left on either side."""
    wanted = {(port_a, port_b), (port_b, port_a)}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as fh:
            for line in fh.readlines()[1:]:
                local, remote = line.split()[1:3]
                if (int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16)) in wanted:
                    return True
    return False
