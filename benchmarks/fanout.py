"""Subscription fan-out: N subscribers over real WebSockets, M events committed through real mutations.

Starts `main.py serve` in a subprocess (or two, sharing a PostgreSQL bus) on a scratch database, seeds
demo data, connects N graphql-transport-ws subscribers (`websockets`, compression off, all in this
process on one event loop) with a mix of selection sets and permission scopes, then commits M events
through GraphQL mutations over HTTP at a steady rate and prints:

- deliveries expected vs received, events lost (must be 0) and duplicates. What each subscriber
  should get is computed from the server's own event log (rows after the baseline, run through the
  same stream predicates as the hub: services/realtime/streams.py);
- latency to the client, p50 / p99 / max, two ways:
    commit->client: receive time minus the moment the mutation's HTTP response arrived here (the
      commit happened before the response was written, so this is a slight underestimate and can be
      negative when an event beats its own response);
    occurredAt->client: receive time minus the event's server-side `occurredAt` (the unit of work's
      start, same machine and clock), so it includes the mutation's own work and commit: an upper
      bound;
  and the time until an event had reached all its subscribers;
- the server's RSS (psutil, the server process and its children) before the subscribers connect,
  after, and per subscriber; CPU seconds of the server(s) and of this client during the event phase;
  the shared-rendering counters (schema/fanout.py) that /healthz reports, when it does.

    .venv/bin/python benchmarks/fanout.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
                                          [--subscribers 1000] [--events 200] [--rate 20] [--servers 1]

Without --database-url (or TEST_DATABASE_URL) an embedded PostgreSQL is started in a temp folder.
Only loopback addresses are used; every wait is bounded; the scratch database and the servers are
removed at the end. Exit status 1 when an event was lost or duplicated, or the run could not finish.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import websockets
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository's modules first

from db.models import Event
from schema.ids import parse_global_id, to_global_id
from services.realtime import streams
from services.realtime.hub import LoggedEvent
from tests.support.database import database_url, drop_database, run_sql_autocommit
from tests.support.server import ServerProcess, run_command

try:
    import orjson

    loads = orjson.loads
except ImportError:  # pragma: no cover
    loads = json.loads

SECRET = "benchmark-secret-key-0123456789abcdef"

# ----------------------------------------------------------------------------- subscriptions

TICKET_BOARD = (
    "subscription { ticketBoard { cursor type occurredAt "
    "ticket { number status priority customer { name } assignee { name } } } }"
)
HANDOFFS_BOARD = "subscription { orderHandoffs { cursor type occurredAt order { number status customer { name } } } }"
HANDOFFS_STAFF = (
    "subscription { orderHandoffs { cursor type occurredAt actor { name } "
    "order { number status returnReason customer { name contacts { name phone } } } } }"
)
EVENTS = (
    "subscription($types: [EventType!]) { events(types: $types) { cursor type occurredAt "
    "... on TicketEvent { ticket { number priority } } ... on OrderHandoffEvent { order { number status } } } }"
)
EVENT_TYPES = ["TICKET_UPDATED", "ORDER_HANDED_OFF", "ORDER_RETURNED"]


@dataclass(frozen=True, eq=False)
class Kind:
    """One selection set under one credential: each is one shared rendering per event (schema/fanout.py)."""

    label: str
    credential: str  # "board" (API key), "marketing" or "service" (staff login tokens)
    field: str
    query: str
    variables: dict
    match: Any  # the hub's predicate for this stream


MIX = [
    Kind(
        "ticketBoard    board API key", "board", "ticketBoard", TICKET_BOARD, {}, streams.board(streams.BoardFilter())
    ),
    Kind(
        "ticketBoard    marketing staff",
        "marketing",
        "ticketBoard",
        TICKET_BOARD,
        {},
        streams.board(streams.BoardFilter()),
    ),
    Kind("orderHandoffs  board API key", "board", "orderHandoffs", HANDOFFS_BOARD, {}, streams.handoffs),
    Kind("orderHandoffs  service staff", "service", "orderHandoffs", HANDOFFS_STAFF, {}, streams.handoffs),
    Kind(
        "events(types)  marketing staff",
        "marketing",
        "events",
        EVENTS,
        {"types": EVENT_TYPES},
        streams.of_types(frozenset(EVENT_TYPES)),
    ),
]

# ----------------------------------------------------------------------------- mutations

CREATE_CUSTOMER = (
    'mutation($n: String!) { createCustomer(input: {name: $n, contacts: [{name: "Dana Board", '
    'phone: "+49 30 1234567"}]}) { customer { id } errors { message } } }'
)
CREATE_ORDER = (
    'mutation($c: ID!) { createOrder(input: {customerId: $c, items: [{productModel: "X1", quantity: 1}], '
    'deliveryDate: "2026-12-01", contractValue: "100.00"}) { order { id } errors { message } } }'
)
OPEN_TICKET = (
    "mutation($c: ID!, $s: String!) { openTicket(input: {customerId: $c, kind: COMPLAINT, priority: HIGH, "
    'subject: $s, description: "benchmark ticket"}) { ticket { id } errors { message } } }'
)
PRIORITY = (
    "mutation($t: ID!, $p: TicketPriority!) { changeTicketPriority(input: {ticketId: $t, priority: $p}) "
    "{ ticket { version } errors { message } } }"
)
COMMENT = (
    "mutation($t: ID!, $b: String!) { addTicketComment(input: {ticketId: $t, body: $b, visibility: INTERNAL}) "
    "{ ticket { version } errors { message } } }"
)
HAND_OFF = "mutation($o: ID!) { handOffOrder(input: {orderId: $o}) { order { status } errors { message } } }"
RETURN = (
    'mutation($o: ID!) { returnOrder(input: {orderId: $o, reason: "benchmark: quantity mismatch"}) '
    "{ order { status } errors { message } } }"
)
LOGIN = 'mutation($e: String!) { login(input: {email: $e, password: "tandem-demo"}) { token } }'


def raw_uuid(global_id: str) -> uuid.UUID:
    parsed = parse_global_id(global_id)
    assert parsed is not None, global_id
    return uuid.UUID(parsed[1])


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, math.ceil(q / 100 * len(values)) - 1))]


def ms(values: list[float]) -> str:
    s = sorted(values)
    return (
        f"p50 {pct(s, 50) * 1000:8.1f} ms   p99 {pct(s, 99) * 1000:8.1f} ms   max {s[-1] * 1000:8.1f} ms   "
        f"min {s[0] * 1000:7.1f} ms"
        if s
        else "no data"
    )


# ----------------------------------------------------------------------------- servers


class Server(ServerProcess):
    """`main.py serve` in a subprocess (tests/support/server.py), with its memory, CPU and /healthz."""

    def __init__(self, env: dict[str, str], index: int):
        super().__init__(env, name=f"server {index}")
        self.index = index

    def processes(self) -> list[psutil.Process]:
        if self.proc is None or self.proc.poll() is not None:
            return []
        with contextlib.suppress(psutil.Error):
            p = psutil.Process(self.proc.pid)
            return [p, *p.children(recursive=True)]
        return []

    def rss(self) -> int:
        total = 0
        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def cpu(self) -> float:
        total = 0.0
        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    async def health(self) -> dict:
        """/healthz: the hub's subscriber count and the render-cache counters, where the server reports them."""
        with contextlib.suppress(Exception):
            async with httpx.AsyncClient(timeout=10) as client:
                return (await client.get(f"{self.http}/healthz")).json()
        return {}


# ----------------------------------------------------------------------------- subscribers


@dataclass(eq=False)
class Subscriber:
    index: int
    server: Server
    kind: Kind
    credential: str
    received: dict[int, float] = field(default_factory=dict)  # cursor -> time.time() at receipt
    duplicates: int = 0
    error_payloads: int = 0
    first_error: Any = None
    close_code: int | None = None
    ws: Any = None
    task: asyncio.Task | None = None

    async def connect(self) -> None:
        self.ws = await websockets.connect(
            self.server.ws,
            subprotocols=["graphql-transport-ws"],
            compression=None,
            max_size=None,
            open_timeout=30,
            close_timeout=5,
        )
        await self.ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {self.credential}"}})
        )
        message = loads(await asyncio.wait_for(self.ws.recv(), 30))
        if message.get("type") != "connection_ack":
            raise RuntimeError(f"subscriber {self.index}: no connection_ack: {message}")
        await self.ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": self.kind.query, "variables": self.kind.variables},
                }
            )
        )
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        name = self.kind.field
        try:
            async for raw in self.ws:
                now = time.time()
                message = loads(raw)
                kind = message.get("type")
                if kind == "next":
                    payload = message["payload"]
                    if payload.get("errors"):
                        self.error_payloads += 1
                        self.first_error = self.first_error or payload["errors"]
                    event = (payload.get("data") or {}).get(name)
                    if event:
                        cursor = int(event["cursor"])
                        if cursor in self.received:
                            self.duplicates += 1
                        else:
                            self.received[cursor] = now
                elif kind == "ping":
                    await self.ws.send('{"type":"pong"}')
                elif kind in ("error", "complete"):
                    self.error_payloads += 1
                    self.first_error = self.first_error or message
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        if self.task:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task


# ----------------------------------------------------------------------------- the event source


@dataclass
class Mutation:
    seq: int | None  # None for warm-up mutations
    entity: uuid.UUID
    sent: float = 0.0
    answered: float = 0.0
    ok: bool = False


class Writer:
    """Commits events through GraphQL mutations over HTTP on server 0.

    Each entity has at most one mutation in flight (a lock per entity), so a logged event is matched
    to its mutation by (entity id, occurredAt within the mutation's send..answer interval).
    """

    def __init__(
        self, client: httpx.AsyncClient, tokens: dict[str, str], tickets: list[uuid.UUID], orders: list[uuid.UUID]
    ):
        self.client, self.tokens = client, tokens
        self.tickets = [(t, "ticket") for t in tickets]
        self.orders = orders
        self.priority = dict.fromkeys(tickets, "HIGH")
        self.order_state = dict.fromkeys(orders, "DRAFT")
        self.locks: dict[uuid.UUID, asyncio.Lock] = {e: asyncio.Lock() for e in [*tickets, *orders]}
        self.done: list[Mutation] = []
        self.failures: list[str] = []
        self._ticket_turn = 0
        self._order_turn = 0

    async def _post(self, token: str, query: str, variables: dict) -> dict:
        r = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.tokens[token]}"},
        )
        body = r.json()
        if body.get("errors"):
            raise RuntimeError(body["errors"])
        payload = next(iter(body["data"].values()))
        if payload.get("errors"):
            raise RuntimeError(payload["errors"])
        return payload

    def plan(self, seq: int | None, step: int) -> tuple[str, uuid.UUID]:
        """Step 0, 2: priority change; 1: comment; 3: order handoff or return (a handoffs-stream event)."""
        if step % 4 == 3:
            entity = self.orders[self._order_turn % len(self.orders)]
            self._order_turn += 1
            return "order", entity
        entity = self.tickets[self._ticket_turn % len(self.tickets)][0]
        self._ticket_turn += 1
        return ("comment" if step % 4 == 1 else "priority"), entity

    async def run(self, seq: int | None, what: str, entity: uuid.UUID) -> Mutation:
        m = Mutation(seq, entity)
        async with self.locks[entity]:
            m.sent = time.time()
            try:
                if what == "priority":
                    new = "NORMAL" if self.priority[entity] == "HIGH" else "HIGH"
                    await self._post("service", PRIORITY, {"t": gid("Ticket", entity), "p": new})
                    self.priority[entity] = new
                elif what == "comment":
                    await self._post("marketing", COMMENT, {"t": gid("Ticket", entity), "b": f"benchmark note {seq}"})
                elif self.order_state[entity] == "HANDED_OFF":
                    await self._post("service", RETURN, {"o": gid("Order", entity)})
                    self.order_state[entity] = "RETURNED"
                else:
                    await self._post("marketing", HAND_OFF, {"o": gid("Order", entity)})
                    self.order_state[entity] = "HANDED_OFF"
                m.ok = True
            except Exception as exc:  # noqa: BLE001 - counted and shown; the run goes on
                self.failures.append(f"{what} {entity}: {type(exc).__name__}: {str(exc)[:200]}")
            m.answered = time.time()
        if seq is not None:
            self.done.append(m)
        return m


def gid(type_name: str, value: uuid.UUID) -> str:
    return to_global_id(type_name, value)


# ----------------------------------------------------------------------------- the run


class LoopLag:
    """How late a 5 ms sleep wakes up on this process's loop: the client's own share of the latency."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.005)
            self.samples.append(time.perf_counter() - t0 - 0.005)

    def start(self) -> None:
        self.samples.clear()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def kib(n: float) -> str:
    return f"{n / 1024:,.1f} KiB"


def mib(n: float) -> str:
    return f"{n / 1048576:,.1f} MiB"


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < needed:
            print(
                f"warning: open-file limit {target} (hard limit) is below the {needed} this run needs", file=sys.stderr
            )


async def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return predicate()


async def run(args: argparse.Namespace, db_url: str) -> bool:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")},
        "DATABASE_URL": db_url,
        "TANDEM_ENV": "production",
        "TANDEM_LOG_LEVEL": "warning",
        "TANDEM_SECRET_KEY": SECRET,
        "BROADCAST_URL": "memory://",
        # The subscribers share a handful of credentials (one board key, a few staff): the per-credential
        # socket caps (4429), meant for one person's tabs, would refuse all but the first few.
        "TANDEM_WS_CONNECTIONS_PER_KEY": str(args.subscribers),
        "TANDEM_WS_CONNECTIONS_PER_USER": str(args.subscribers),
    }
    if args.servers > 1:
        # broadcaster's postgres backend (LISTEN/NOTIFY) on the scratch database, with a libpq-style URL.
        env["BROADCAST_URL"] = (
            "postgres"
            + make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)[len("postgresql") :]
        )

    def cli(*argv: str) -> str:
        return run_command(*argv, env=env, timeout=None, check=True).stdout

    await asyncio.to_thread(cli, "seed-demo", "--customers", str(args.customers))
    key = (
        (await asyncio.to_thread(cli, "create-api-key", "--name", "fanout wall board", "--scope", "board"))
        .strip()
        .splitlines()[-1]
    )

    engine = create_async_engine(db_url, pool_size=2)
    servers = [Server(env, i) for i in range(args.servers)]
    subscribers: list[Subscriber] = []
    lag = LoopLag()
    ok = True
    try:
        await asyncio.gather(*(s.start() for s in servers))
        http = httpx.AsyncClient(
            base_url=servers[0].http, timeout=30, limits=httpx.Limits(max_connections=64, max_keepalive_connections=64)
        )
        async with http:
            tokens = {"board": key}
            for who, email in (("marketing", "marketing@tandem.example"), ("service", "service@tandem.example")):
                r = await http.post("/graphql", json={"query": LOGIN, "variables": {"e": email}})
                tokens[who] = r.json()["data"]["login"]["token"]  # signed by the server, on the real clock
            writer = Writer(http, tokens, [], [])
            customer = (await writer._post("marketing", CREATE_CUSTOMER, {"n": "Fanout Bench Foods"}))["customer"]["id"]
            tickets = [
                raw_uuid(
                    (await writer._post("marketing", OPEN_TICKET, {"c": customer, "s": f"Board item {i}"}))["ticket"][
                        "id"
                    ]
                )
                for i in range(args.tickets)
            ]
            orders = [
                raw_uuid((await writer._post("marketing", CREATE_ORDER, {"c": customer}))["order"]["id"])
                for _ in range(args.orders)
            ]
            writer = Writer(http, tokens, tickets, orders)
            for s in servers:  # warm the HTTP path of every server before the baseline
                async with httpx.AsyncClient(base_url=s.http, timeout=30) as c:
                    for _ in range(20):
                        await c.post(
                            "/graphql",
                            json={"query": "{ me { name } }"},
                            headers={"Authorization": f"Bearer {tokens['marketing']}"},
                        )
            await asyncio.sleep(1.0)
            rss_before = [s.rss() for s in servers]

            # --- connect
            raise_fd_limit(args.subscribers + 256)
            subscribers = [
                Subscriber(i, servers[i % len(servers)], MIX[i % len(MIX)], tokens[MIX[i % len(MIX)].credential])
                for i in range(args.subscribers)
            ]
            gate = asyncio.Semaphore(args.connect_concurrency)

            async def connect(sub: Subscriber) -> None:
                async with gate:
                    await sub.connect()

            t_connect = time.perf_counter()
            async with asyncio.timeout(args.connect_timeout):
                await asyncio.gather(*(connect(s) for s in subscribers))
            connect_s = time.perf_counter() - t_connect

            # --- every subscription is registered once it has received a warm-up event
            t_warm = time.perf_counter()
            step = 0
            deadline = time.monotonic() + args.connect_timeout
            while not all(s.received for s in subscribers):
                if time.monotonic() > deadline:
                    missing = sum(1 for s in subscribers if not s.received)
                    raise RuntimeError(f"{missing} subscribers got no warm-up event in {args.connect_timeout:.0f} s")
                await asyncio.gather(writer.run(None, *writer.plan(None, 0)), writer.run(None, *writer.plan(None, 3)))
                step += 1
                await wait_until(lambda: all(s.received for s in subscribers), 1.0, 0.05)
            warm_s = time.perf_counter() - t_warm
            await asyncio.sleep(1.0)
            async with engine.connect() as conn:
                baseline = int((await conn.execute(select(func.coalesce(func.max(Event.id), 0)))).scalar_one())
            rss_connected = [s.rss() for s in servers]
            health0 = [await s.health() for s in servers]

            # --- commit M events at a steady rate
            print(
                f"{len(servers)} server process(es), {args.subscribers} subscribers"
                f"{' (split between them)' if len(servers) > 1 else ''}, {args.events} mutations at {args.rate:g}/s, "
                f"{os.cpu_count()} CPU cores; connected in {connect_s:.1f} s, all subscriptions live after "
                f"{warm_s:.1f} s ({step} warm-up round(s))",
                flush=True,
            )
            cpu0 = [s.cpu() for s in servers]
            client_cpu0 = time.process_time()
            lag.start()
            t0 = time.time()
            wall0 = time.perf_counter()
            tasks = []
            for k in range(args.events):
                delay = t0 + k / args.rate - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(writer.run(k, *writer.plan(k, k))))
            async with asyncio.timeout(args.drain_timeout):
                await asyncio.gather(*tasks)
            commit_s = time.perf_counter() - wall0

            # --- what every subscriber should get, from the server's own log
            async with engine.connect() as conn:
                table = Event.__table__
                rows = (await conn.execute(select(table).where(table.c.id > baseline).order_by(table.c.id))).all()
            logged = [LoggedEvent.of(r) for r in rows]
            last_id = logged[-1].id if logged else baseline
            expected: dict[int, set[int]] = {}
            by_kind: dict[Kind, set[int]] = {k: {e.id for e in logged if k.match(e)} for k in MIX}
            for sub in subscribers:
                expected[sub.index] = by_kind[sub.kind]

            def complete() -> bool:
                return all(
                    sub.close_code is not None or expected[sub.index] <= sub.received.keys() for sub in subscribers
                )

            drained = await wait_until(complete, args.drain_timeout, 0.1)
            drain_s = time.perf_counter() - wall0 - commit_s
            await lag.stop()
            client_cpu = time.process_time() - client_cpu0
            server_cpu = [s.cpu() - c for s, c in zip(servers, cpu0, strict=True)]
            wall = time.perf_counter() - wall0
            await asyncio.sleep(0.5)
            rss_after = [s.rss() for s in servers]
            health1 = [await s.health() for s in servers]

            # --- match events to the mutations that committed them
            mutations_by_entity: dict[uuid.UUID, list[Mutation]] = {}
            for m in writer.done:
                mutations_by_entity.setdefault(m.entity, []).append(m)
            committed_at: dict[int, float] = {}
            occurred: dict[int, float] = {}
            for e in logged:
                occurred[e.id] = e.occurred_at.timestamp()
                for m in mutations_by_entity.get(uuid.UUID(str(e.entity_id)), ()):
                    if m.sent - 0.001 <= occurred[e.id] <= m.answered + 0.001:
                        committed_at[e.id] = m.answered
                        break

            expected_total = received_total = duplicates = unexpected = 0
            lost_by_kind: Counter = Counter()
            lat_commit: list[float] = []
            lat_occurred: list[float] = []
            cross_commit: list[float] = []
            last_delivery: dict[int, float] = {}
            for sub in subscribers:
                want = expected[sub.index]
                got = {c for c in sub.received if baseline < c <= last_id}
                expected_total += len(want)
                received_total += len(got & want)
                unexpected += len(got - want)
                lost_by_kind[sub.kind.label] += len(want - got)
                duplicates += sub.duplicates
                for c in got & want:
                    t = sub.received[c]
                    lat_occurred.append(t - occurred[c])
                    if c in committed_at:
                        lat_commit.append(t - committed_at[c])
                        if sub.server.index > 0:
                            cross_commit.append(t - committed_at[c])
                    last_delivery[c] = max(last_delivery.get(c, 0.0), t)
            all_reached = [last_delivery[c] - committed_at[c] for c in last_delivery if c in committed_at]
            first_sent = min((m.sent for m in writer.done), default=t0)
            fanout_s = max(last_delivery.values(), default=first_sent) - first_sent
            lost = expected_total - received_total
            closed = Counter(sub.close_code for sub in subscribers if sub.close_code is not None)
            errors = sum(sub.error_payloads for sub in subscribers)

            # --- report
            n = len(subscribers)
            print(
                "subscription mix (round-robin): " + "; ".join(f"{k.label.split()[0]} as {k.credential}" for k in MIX)
            )
            print(
                f"events committed             {len(logged)} logged by {len(writer.done)} mutations in "
                f"{commit_s:.1f} s ({len(writer.done) / commit_s:.1f}/s), {len(writer.failures)} mutation(s) failed"
            )
            print(f"mutation HTTP round trip     {ms([m.answered - m.sent for m in writer.done])}")
            print(
                f"deliveries                   expected {expected_total}, received {received_total}, "
                f"drained {'within' if drained else 'NOT within'} {drain_s:.1f} s after the last commit"
            )
            print(
                f"events lost                  {lost}"
                + (f"   by stream: {dict(+lost_by_kind)}" if lost else "")
                + ("" if drained else f"   (not received within --drain-timeout {args.drain_timeout:g} s)")
            )
            print(
                f"duplicates                   {duplicates}   unexpected {unexpected}   error payloads {errors}   "
                f"closed by server {dict(closed) if closed else 0}"
            )
            print(f"commit->client               {ms(lat_commit)}   (commit = HTTP response arrival)")
            print(f"occurredAt->client           {ms(lat_occurred)}   (server clock at transaction start)")
            print(f"commit->all its subscribers  {ms(all_reached)}   (per event: last delivery)")
            if len(servers) > 1:
                print(f"  via server 1 (bus)         {ms(cross_commit)}   (mutations go to server 0)")
            for i, s in enumerate(servers):
                share = sum(1 for sub in subscribers if sub.server is s)
                print(
                    f"server {i} RSS                 before {mib(rss_before[i])}, {share} subscribers connected "
                    f"{mib(rss_connected[i])}, after events {mib(rss_after[i])}; per subscriber "
                    f"{kib((rss_connected[i] - rss_before[i]) / max(share, 1))}"
                )
            print(
                f"fan-out throughput           {received_total / max(fanout_s, 1e-9):,.0f} deliveries/s "
                f"(first mutation sent -> last delivery {fanout_s:.1f} s); server CPU "
                f"{sum(server_cpu) / max(received_total, 1) * 1e6:,.0f} us per delivery (mutations included)"
            )
            print(
                f"CPU during event phase       server {' + '.join(f'{c:.1f}' for c in server_cpu)} s, "
                f"this client {client_cpu:.1f} s, over {wall:.1f} s wall"
            )
            lags = sorted(lag.samples)
            print(
                f"client loop lag              p50 {pct(lags, 50) * 1000:.1f} ms   p99 {pct(lags, 99) * 1000:.1f} ms   "
                f"max {(lags[-1] if lags else 0) * 1000:.1f} ms   (this process's own share of the latency)"
            )
            for i, (h0, h1) in enumerate(zip(health0, health1, strict=True)):
                if "renders" in h0 and "renders" in h1:
                    renders = h1["renders"] - h0["renders"]
                    shared = h1.get("sharedRenders", 0) - h0.get("sharedRenders", 0)
                    print(
                        f"server {i} render cache        {renders} renders + {shared} shared results during the event "
                        f"phase ({shared / max(renders + shared, 1):.1%} shared); hub reported "
                        f"{h0.get('subscribers')} subscribers (/healthz)"
                    )
                else:
                    print(f"server {i} render cache        not reported by /healthz")
            if writer.failures:
                print("first mutation failures:", *writer.failures[:3], sep="\n  ")
            for sub in subscribers:
                if sub.first_error:
                    print(f"first error payload ({sub.kind.label}): {str(sub.first_error)[:300]}")
                    break
            ok = lost == 0 and duplicates == 0 and drained and not writer.failures and n == args.subscribers
    except BaseException:
        for s in servers:
            tail = s.log_tail()
            if tail:
                print(f"--- server {s.index} log (tail) ---\n{tail}", file=sys.stderr)
        raise
    finally:
        await lag.stop()
        with contextlib.suppress(BaseException):
            async with asyncio.timeout(30):
                await asyncio.gather(*(sub.close() for sub in subscribers), return_exceptions=True)
        for s in servers:
            s.stop()
        await engine.dispose()
    return ok


async def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="PostgreSQL server URL to create the scratch database on (default: $TEST_DATABASE_URL, "
        "else an embedded PostgreSQL in a temp folder)",
    )
    p.add_argument("--subscribers", type=int, default=1000, help="WebSocket subscribers (N)")
    p.add_argument("--events", type=int, default=200, help="mutations committed, one event each (M)")
    p.add_argument("--rate", type=float, default=20.0, help="mutations per second")
    p.add_argument(
        "--servers",
        type=int,
        default=1,
        choices=[1, 2],
        help="server processes; 2 share BROADCAST_URL=postgres://<scratch db>, subscribers split "
        "between them, mutations go to the first",
    )
    p.add_argument("--tickets", type=int, default=24, help="tickets the mutations rotate over")
    p.add_argument("--orders", type=int, default=4, help="orders the handoff/return mutations rotate over")
    p.add_argument("--customers", type=int, default=20, help="seed-demo customers")
    p.add_argument("--connect-concurrency", type=int, default=50, help="WebSocket handshakes in flight at once")
    p.add_argument(
        "--connect-timeout", type=float, default=120.0, help="seconds allowed for connecting and for the warm-up"
    )
    p.add_argument(
        "--drain-timeout",
        type=float,
        default=60.0,
        help="seconds allowed after the last commit for the deliveries to arrive",
    )
    args = p.parse_args()
    if args.subscribers < 1 or args.events < 1 or args.rate <= 0:
        p.error("--subscribers and --events must be at least 1 and --rate positive")

    embedded = None
    if args.database_url:
        server_url = args.database_url
    else:
        from db.embedded import EmbeddedPostgres

        embedded_dir = Path(tempfile.mkdtemp(prefix="tandem-bench-"))
        embedded = EmbeddedPostgres(embedded_dir)
        server_url = embedded.start()
    name = f"tandem_bench_{uuid.uuid4().hex[:8]}"
    await run_sql_autocommit(server_url, f'CREATE DATABASE "{name}"')
    db_url = database_url(server_url, name)
    try:
        ok = await run(args, db_url)
    finally:
        await drop_database(server_url, name)
        if embedded:
            embedded.stop()
            shutil.rmtree(embedded_dir, ignore_errors=True)
    if not ok:
        print("FAILED: events lost or duplicated, deliveries not drained, or mutations failed", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
