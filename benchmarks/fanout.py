"""Subscription fan-out: N subscribers over real WebSockets, M events committed through real mutations.

Starts `main.py serve` in a subprocess (or two, sharing a PostgreSQL bus) on a scratch database, seeds
demo data, connects N graphql-transport-ws subscribers (benchmarks/ws_raw.py, compression off, spread over
--client-processes worker processes: benchmarks/fanout_clients.py) with a mix of selection sets,
filters and permission scopes, then commits M events
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
import math
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository's modules first
sys.path.insert(1, str(Path(__file__).resolve().parent))  # and its sibling modules (the client workers import them)

from fanout_clients import Clients, Spec
from fanout_writer import CREATE_CUSTOMER, CREATE_ORDER, LOGIN, OPEN_TICKET, Mutation, Writer

from db.models import Event
from db.session import normalise_url
from schema.ids import parse_global_id
from services.realtime import streams
from services.realtime.hub import LoggedEvent
from tests.support.database import database_url, drop_database, run_sql_autocommit
from tests.support.server import ServerProcess, run_command

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
FILTERED_BOARD = (
    "subscription($f: TicketFilter) { ticketBoard(filter: $f) { cursor type "
    "ticket { number status priority assignee { name } sla { state resolutionDueAt } } } }"
)
ESCALATIONS = "subscription { complaintEscalations { cursor type ticket { number status } escalation { status } } }"
SLA_ALERTS = "subscription { slaAlerts { cursor type state dueAt clock ticket { number } order { number } } }"


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
        "ticketBoard(HIGH) service staff",
        "service",
        "ticketBoard",
        FILTERED_BOARD,
        {"f": {"priority": ["HIGH"]}},
        streams.board(streams.BoardFilter(priorities=frozenset({"HIGH"}))),
    ),
    Kind("complaintEscalations service staff", "service", "complaintEscalations", ESCALATIONS, {}, streams.escalations),
    Kind("slaAlerts      board API key", "board", "slaAlerts", SLA_ALERTS, {}, streams.sla_alerts),
    Kind(
        "events(types)  marketing staff",
        "marketing",
        "events",
        EVENTS,
        {"types": EVENT_TYPES},
        streams.of_types(frozenset(EVENT_TYPES)),
    ),
]


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


# ----------------------------------------------------------------------------- the run


def kib(n: float) -> str:
    return f"{n / 1024:,.1f} KiB"


def mib(n: float) -> str:
    return f"{n / 1048576:,.1f} MiB"


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
        # Likewise the board key's rate limit (600 requests a minute, a connection_init and a subscribe
        # each) would refuse most of the subscribers connecting at once; people are never limited.
        "TANDEM_RATE_LIMIT_BOARD": str(10 * args.subscribers + 1000),
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
    clients: Clients | None = None
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

            # --- connect, from several client processes
            specs = [
                Spec(
                    i,
                    servers[i % len(servers)].ws,
                    tokens[MIX[i % len(MIX)].credential],
                    MIX[i % len(MIX)].query,
                    MIX[i % len(MIX)].variables,
                    MIX[i % len(MIX)].field,
                )
                for i in range(args.subscribers)
            ]
            kinds = {spec.index: MIX[spec.index % len(MIX)] for spec in specs}
            on_server = {spec.index: spec.index % len(servers) for spec in specs}
            clients = Clients(specs, args.client_processes, args.connect_concurrency)
            async with asyncio.timeout(args.connect_timeout):
                connect_s, failures = await clients.connect()
            if failures:
                raise RuntimeError(f"{len(failures)} subscribers could not connect, first: {failures[0]}")

            # --- every subscription is registered once it has received a warm-up event
            t_warm = time.perf_counter()
            step = 0
            deadline = time.monotonic() + args.connect_timeout
            # The streams the warm-up mutations feed; the others (escalations, SLA alerts) are live once the
            # hubs count every subscriber.
            warmable = {i for i, kind in kinds.items() if kind.field in ("ticketBoard", "orderHandoffs", "events")}
            while True:
                warm, closed_early = await clients.status()
                counted = sum([int((await s.health()).get("subscribers", 0)) for s in servers])
                if closed_early:
                    raise RuntimeError(f"{closed_early} subscribers were closed by the server while warming up")
                if warmable <= warm and counted >= args.subscribers:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{len(warmable - warm)} subscribers got no warm-up event in {args.connect_timeout:.0f} s"
                    )
                await asyncio.gather(writer.run(None, *writer.plan(None, 0)), writer.run(None, *writer.plan(None, 3)))
                step += 1
                await asyncio.sleep(0.5)
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
            client_cpu0 = await clients.mark()
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
            expected_by_kind: dict[Kind, set[int]] = {k: {e.id for e in logged if k.match(e)} for k in MIX}
            expected = {i: expected_by_kind[kind] for i, kind in kinds.items()}
            # Enough to know whether every delivery arrived: count what each worker holds until it adds up.
            want_total = sum(len(v) for v in expected.values())
            drained = False
            results: list = []
            lags: list[float] = []
            client_cpu = 0.0
            deadline = time.monotonic() + args.drain_timeout
            # Poll cheap counts while deliveries may still arrive: collecting the results pauses every
            # worker (it pickles each subscriber's receipts), which would delay the last events.
            while time.monotonic() < deadline:
                received_count, closed_count = await clients.count()
                if received_count >= want_total or closed_count:
                    break
                await asyncio.sleep(0.25)
            while True:
                results, lags, client_cpu1 = await clients.results()
                got_total = sum(
                    len(expected[r.index] & r.received.keys()) if r.close_code is None else len(expected[r.index])
                    for r in results
                )
                if got_total >= want_total:
                    drained = True
                    break
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            drain_s = time.perf_counter() - wall0 - commit_s
            client_cpu = client_cpu1 - client_cpu0
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
            for sub in results:
                want = expected[sub.index]
                got = {c for c in sub.received if baseline < c <= last_id}
                expected_total += len(want)
                received_total += len(got & want)
                unexpected += len(got - want)
                lost_by_kind[kinds[sub.index].label] += len(want - got)
                duplicates += sub.duplicates
                for c in got & want:
                    t = sub.received[c]
                    lat_occurred.append(t - occurred[c])
                    if c in committed_at:
                        lat_commit.append(t - committed_at[c])
                        if on_server[sub.index] > 0:
                            cross_commit.append(t - committed_at[c])
                    last_delivery[c] = max(last_delivery.get(c, 0.0), t)
            all_reached = [last_delivery[c] - committed_at[c] for c in last_delivery if c in committed_at]
            first_sent = min((m.sent for m in writer.done), default=t0)
            fanout_s = max(last_delivery.values(), default=first_sent) - first_sent
            lost = expected_total - received_total
            closed = Counter(sub.close_code for sub in results if sub.close_code is not None)
            errors = sum(sub.error_payloads for sub in results)

            # --- report
            n = len(results)
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
            slowest = sorted(
                (c for c in last_delivery if c in committed_at), key=lambda c: committed_at[c] - last_delivery[c]
            )
            print(
                "slowest events               "
                + ", ".join(
                    f"{(last_delivery[c] - committed_at[c]) * 1000:.0f} ms at +{committed_at[c] - first_sent:.1f} s "
                    f"({sum(1 for sub in results if c in sub.received)} subscribers)"
                    for c in slowest[:3]
                )
                + "   (commit->last delivery, when the commit was, how many it reached)"
            )
            if len(servers) > 1:
                print(f"  via server 1 (bus)         {ms(cross_commit)}   (mutations go to server 0)")
            for i in range(len(servers)):
                share = sum(1 for server in on_server.values() if server == i)
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
                f"client {client_cpu:.1f} s in {len(clients.pids)} processes, over {wall:.1f} s wall"
            )
            print(
                f"client loop lag              p50 {pct(lags, 50) * 1000:.1f} ms   p99 {pct(lags, 99) * 1000:.1f} ms   "
                f"max {(lags[-1] if lags else 0) * 1000:.1f} ms   (the client processes' own share of the latency)"
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
            for i, s in enumerate(servers):
                logged_errors = [
                    line for line in s.log_tail(10**8).splitlines() if " ERROR " in line or "Error:" in line
                ]
                print(f"server {i} log                 {len(logged_errors)} error line(s)")
                for line in logged_errors[:5]:
                    print(f"  {line[:240]}")
            if writer.failures:
                print("first mutation failures:", *writer.failures[:3], sep="\n  ")
            for sub in results:
                if sub.first_error:
                    print(f"first error payload ({kinds[sub.index].label}): {str(sub.first_error)[:300]}")
                    break
            ok = lost == 0 and duplicates == 0 and drained and not writer.failures and n == args.subscribers
    except BaseException:
        for s in servers:
            tail = s.log_tail()
            if tail:
                print(f"--- server {s.index} log (tail) ---\n{tail}", file=sys.stderr)
        raise
    finally:
        if clients is not None:
            await clients.close()
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
    p.add_argument("--connect-concurrency", type=int, default=200, help="WebSocket handshakes in flight at once")
    p.add_argument("--client-processes", type=int, default=4, help="processes the subscribers are spread over")
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
        server_url = normalise_url(args.database_url)
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
