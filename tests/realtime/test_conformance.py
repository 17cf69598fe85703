"""Conformance with real third-party clients: the board stream through the `graphql-ws` npm client (the
reference implementation of graphql-transport-ws, in Node) and through Python's `gql` over both
protocols (graphql-transport-ws and the legacy graphql-ws). Each reads a board's snapshot cursor,
subscribes with `after`, receives what happened in between and what happens next, in log order,
exactly once; a reconnect with the last cursor continues without gap or duplicate.

The Node client is installed from tests/realtime/graphql_ws_client/package-lock.json with `npm ci`
into a cache folder (TANDEM_NODE_CACHE, default ~/.cache/tandem) keyed by the lock's hash, so the
registry is asked once per lock. Without node and npm (a machine with only Python) that test is
skipped; `.ci/run` sets TANDEM_REQUIRE_NODE=1, which turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from tests.support.realtime import Server, token_for

pytestmark = pytest.mark.timeout(300)

BOARD = (
    "subscription($after: String) { ticketBoard(after: $after) "
    "{ cursor type ticket { number status priority customer { name } } } }"
)
CREATE_CUSTOMER = 'mutation { createCustomer(input: {name: "Conformance Dairy"}) { customer { id } } }'
OPEN_TICKET = (
    "mutation($c: ID!) { openTicket(input: {customerId: $c, kind: COMPLAINT, priority: HIGH, "
    'subject: "Seal leaks", description: "Line 2"}) { ticket { id } errors { message } } }'
)
ACK = "mutation($t: ID!) { acknowledgeTicket(input: {ticketId: $t}) { ticket { status } errors { message } } }"
PRIORITY = (
    "mutation($t: ID!, $p: TicketPriority!) { changeTicketPriority(input: {ticketId: $t, priority: $p}) "
    "{ ticket { priority } errors { message } } }"
)
CLIENT_DIR = Path(__file__).parent / "graphql_ws_client"


@pytest.fixture
async def server(db_url):
    s = await Server(db_url).start()
    yield s
    s.stop()


@pytest.fixture
async def people(users):
    return {
        "marketing": token_for((await users.create("MARKETING", "STAFF", name="Mona Market")).user),
        "service": token_for((await users.create("SERVICE", "STAFF", name="Simon Service")).user),
        "board": await users.api_key("board"),
    }


class Changes:
    """Board changes made through the API, with what a board must see for each."""

    def __init__(self, server: Server, people: dict[str, str]):
        self.server, self.people = server, people
        self.ticket: str | None = None
        self.expected: list[tuple[str, str, str]] = []  # (type, status, priority) after each, in commit order

    @property
    def types(self) -> list[str]:
        return [t for t, _, _ in self.expected]

    async def open(self) -> None:
        marketing = self.people["marketing"]
        customer = (await self.server.mutate(marketing, CREATE_CUSTOMER))["createCustomer"]["customer"]["id"]
        opened = await self.server.mutate(marketing, OPEN_TICKET, {"c": customer})
        self.ticket = opened["openTicket"]["ticket"]["id"]
        self.expected.append(("TICKET_OPENED", "OPEN", "HIGH"))

    async def acknowledge(self) -> None:
        answer = await self.server.mutate(self.people["service"], ACK, {"t": self.ticket})
        assert answer["acknowledgeTicket"]["errors"] == []
        self.expected.append(("TICKET_UPDATED", answer["acknowledgeTicket"]["ticket"]["status"], "HIGH"))

    async def priority(self, priority: str) -> None:
        answer = await self.server.mutate(self.people["service"], PRIORITY, {"t": self.ticket, "p": priority})
        assert answer["changeTicketPriority"]["errors"] == []
        self.expected.append(("TICKET_UPDATED", self.expected[-1][1], priority))


def seen(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


def shows(event: dict, expected: tuple[str, str, str]) -> None:
    """An event carries its ticket as it is when the event is rendered: the last change's event shows
    the state that change left (earlier ones may already show later changes when replayed)."""
    assert (event["type"], event["ticket"]["status"], event["ticket"]["priority"]) == expected, event


def assert_log_order(events: list[dict], after: str) -> None:
    cursors = [int(e["cursor"]) for e in events]
    assert cursors == sorted(set(cursors)) and cursors[0] > int(after), cursors


# --- Python: gql ----------------------------------------------------------------


async def gql_board(server: Server, key: str, protocol: str, after: str, count: int) -> list[dict]:
    transport = WebsocketsTransport(
        url=server.ws, init_payload={"authorization": f"Bearer {key}"}, subprotocols=[protocol]
    )
    events: list[dict] = []
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        assert transport.subprotocol == protocol  # the server speaks the protocol the client asked for
        async for result in session.subscribe(GraphQLRequest(BOARD, variable_values={"after": after})):
            events.append(result["ticketBoard"])
            if len(events) == count:
                break
    return events


@pytest.mark.parametrize(
    "protocol", [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL]
)
async def test_gql_receives_the_board_stream_and_resumes(server, people, protocol):
    board = people["board"]
    snapshot = await server.mutate(board, "{ eventCursor }")
    changes = Changes(server, people)
    await changes.open()
    await changes.acknowledge()  # both before the subscription: replayed after the snapshot's cursor

    async def live_changes() -> None:
        await asyncio.sleep(1.0)
        await changes.priority("URGENT")

    writer = asyncio.create_task(live_changes())
    first = await asyncio.wait_for(gql_board(server, board, protocol, snapshot["eventCursor"], 3), 60)
    await writer
    assert seen(first) == changes.types
    shows(first[-1], changes.expected[-1])
    assert first[0]["ticket"]["customer"]["name"] == "Conformance Dairy"
    assert_log_order(first, snapshot["eventCursor"])

    await changes.priority("NORMAL")  # while no board listens
    resumed = await asyncio.wait_for(gql_board(server, board, protocol, first[-1]["cursor"], 1), 60)
    assert seen(resumed) == changes.types[3:]
    shows(resumed[-1], changes.expected[-1])
    assert_log_order(resumed, first[-1]["cursor"])


# --- Node: the graphql-ws npm client --------------------------------------------


def node_client() -> Path:
    """The client's folder with its node_modules, installed once per lock file."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if os.environ.get("TANDEM_REQUIRE_NODE") == "1":
            pytest.fail("TANDEM_REQUIRE_NODE=1 but node or npm is not installed")
        pytest.skip("node and npm are not installed: the graphql-ws npm client cannot run")
    lock = (CLIENT_DIR / "package-lock.json").read_bytes()
    digest = hashlib.sha256(lock + (CLIENT_DIR / "package.json").read_bytes()).hexdigest()[:16]
    cache = Path(os.environ.get("TANDEM_NODE_CACHE") or Path.home() / ".cache" / "tandem")
    target = cache / f"graphql-ws-client-{digest}"
    if not (target / "node_modules" / "graphql-ws").is_dir():
        staging = cache / f".staging-{digest}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(CLIENT_DIR / name, staging / name)
        done = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=staging,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, f"npm ci failed: {done.stderr[-2000:]}"
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    shutil.copy(CLIENT_DIR / "subscribe.mjs", target / "subscribe.mjs")  # the script may change without the lock
    return target


async def node_board(client: Path, server: Server, key: str, after: str, count: int) -> list[dict]:
    """Runs the npm client until it has `count` events; returns every line it printed."""
    process = await asyncio.create_subprocess_exec(
        "node",
        str(client / "subscribe.mjs"),
        server.ws,
        key,
        BOARD,
        json.dumps({"after": after}),
        str(count),
        cwd=client,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, stderr.decode()[-2000:]
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


async def test_graphql_ws_npm_client_receives_the_board_stream_and_resumes(server, people):
    client = await asyncio.to_thread(node_client)
    board = people["board"]
    snapshot = await server.mutate(board, "{ eventCursor }")
    changes = Changes(server, people)
    await changes.open()

    async def live_changes() -> None:
        await asyncio.sleep(1.5)
        await changes.acknowledge()
        await changes.priority("URGENT")

    writer = asyncio.create_task(live_changes())
    lines = await node_board(client, server, board, snapshot["eventCursor"], 3)
    await writer
    assert lines[0] == {"connected": True}, lines
    nexts = [line["next"] for line in lines if "next" in line]
    assert all("errors" not in n for n in nexts), nexts
    first = [n["data"]["ticketBoard"] for n in nexts]
    assert seen(first) == changes.types and {"done": True} in lines
    shows(first[-1], changes.expected[-1])
    assert not any("error" in line for line in lines), lines
    assert_log_order(first, snapshot["eventCursor"])

    await changes.priority("LOW")
    lines = await node_board(client, server, board, first[-1]["cursor"], 1)
    resumed = [line["next"]["data"]["ticketBoard"] for line in lines if "next" in line]
    assert seen(resumed) == changes.types[3:]
    shows(resumed[-1], changes.expected[-1])
    assert_log_order(resumed, first[-1]["cursor"])
