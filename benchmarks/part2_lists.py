"""Part 2's lists over real HTTP, compiled read path against the reference executor.

Two `main.py serve` processes over one scratch database seeded with the demo (200 customers), one with
TANDEM_READ_EXECUTOR=compiled, one with TANDEM_READ_EXECUTOR=reference. For each list (actionItems,
actionItems with the overdue filter, auditLog, marketIntel, marketIntel with a search, meetings,
surveys with their counts, the caller's notifications with the unread count) both
servers are first checked to give the same answer, then each round runs the bounded load on one and
then the other (alternating, since the machine is shared and noisy). Prints each round's figures and,
per list, the medians over the rounds and the compiled/reference throughput ratio.

    .venv/bin/python benchmarks/part2_lists.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
                                               [--requests 400] [--concurrency 16] [--rounds 3]

Without --database-url (or TEST_DATABASE_URL) an embedded PostgreSQL is started in a temp folder.
Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository's modules first

from benchmarks.api_reads import LOGIN, load
from tests.support.database import database_url, drop_database, run_sql_autocommit
from tests.support.server import ServerProcess, run_command

SUPERVISOR = 'mutation { login(input: {email: "supervisor@tandem.example", password: "tandem-demo"}) { token } }'
ACTION_ITEMS = """{ actionItems(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { node {
  id number title status source dueAt overdue createdAt version owner { id name } createdBy { name }
  verifiedBy { name } customer { id name } feedback { score } ticket { number } } } } }"""
OVERDUE = ACTION_ITEMS.replace(
    "actionItems(first: 50)", "actionItems(first: 50, filter: {overdue: true, status: [OPEN, IN_PROGRESS]})"
)
AUDIT = """{ auditLog(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { node {
  id at action entityType entityId summary actor { id name role } } } } }"""
MARKET_INTEL = """{ marketIntel(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { node {
  id kind title body tags createdAt updatedAt version customer { id name } author { id name } } } } }"""
SEARCH = MARKET_INTEL.replace("marketIntel(first: 50)", 'marketIntel(first: 50, search: "energy", kind: [])')
MEETINGS = """{ meetings(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { node {
  id kind title heldAt minutes decisions version recordedBy { name } attendees { id name }
  actionItems { id number status overdue owner { name } } } } } }"""
SURVEYS = """{ surveys(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { node {
  id title status opensAt closesAt version targetCount responseCount responseRate averageScore scoreDistribution
  createdBy { name } actionItems { id number status } } } } }"""
NOTIFICATIONS = """{ notifications(first: 50) { totalCount unreadCount pageInfo { hasNextPage endCursor } edges { node {
  id kind title createdAt readAt } } } }"""

# (label, query, who asks: the audit log is read by supervisors and admins)
CASES = [
    ("actionItems(first: 50)", ACTION_ITEMS, "marketing"),
    ("actionItems overdue filter", OVERDUE, "marketing"),
    ("auditLog(first: 50)", AUDIT, "supervisor"),
    ("marketIntel(first: 50)", MARKET_INTEL, "marketing"),
    ("marketIntel search", SEARCH, "marketing"),
    ("meetings(first: 50)", MEETINGS, "marketing"),
    ("surveys(first: 50)", SURVEYS, "marketing"),
    ("notifications(first: 50)", NOTIFICATIONS, "marketing"),
]
MODES = ("compiled", "reference")


def _same_answer(servers: dict[str, ServerProcess], query: str, token: str) -> int:
    """Both servers' answers, compared (sorted keys); returns the number of edges (nothing proven at 0)."""
    bodies = []
    for mode in MODES:
        r = httpx.post(
            f"{servers[mode].http}/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        bodies.append(r.json())
    a, b = (orjson.dumps(body, option=orjson.OPT_SORT_KEYS) for body in bodies)
    assert a == b, f"the executors disagree:\ncompiled:  {a[:500]!r}\nreference: {b[:500]!r}"
    assert "errors" not in bodies[0], bodies[0]
    (connection,) = bodies[0]["data"].values()
    return len(connection["edges"])


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    p.add_argument("--requests", type=int, default=400)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()

    embedded = None
    if args.database_url:
        server_url = args.database_url
    else:
        from db.embedded import EmbeddedPostgres

        embedded = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="tandem-bench-")))
        server_url = embedded.start()
    name = f"tandem_bench_{uuid.uuid4().hex[:8]}"
    await run_sql_autocommit(server_url, f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": database_url(server_url, name),
        "TANDEM_ENV": "production",
        "TANDEM_LOG_LEVEL": "warning",
        "TANDEM_SECRET_KEY": "benchmark-secret-key-0123456789abcdef",
    }
    servers: dict[str, ServerProcess] = {}
    try:
        run_command("seed-demo", "--customers", "200", env=env, timeout=None, check=True)
        for mode in MODES:
            servers[mode] = ServerProcess({**env, "TANDEM_READ_EXECUTOR": mode})
            await servers[mode].start()
        http = servers["compiled"].http
        tokens = {
            who: httpx.post(f"{http}/graphql", json={"query": login}).json()["data"]["login"]["token"]
            for who, login in (("marketing", LOGIN), ("supervisor", SUPERVISOR))
        }
        print(
            f"2 server processes (compiled, reference), {args.concurrency} concurrent clients, "
            f"{args.requests} requests per round, {args.rounds} rounds, {os.cpu_count()} CPU cores"
        )
        results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        for label, query, who in CASES:
            edges = _same_answer(servers, query, tokens[who])
            print(f"{label}: {edges} edges, the same answer from both")
            for mode in MODES:
                await load(servers[mode].port, tokens[who], query, 100, args.concurrency)  # warm-up: plans, pool
            for r in range(args.rounds):
                for mode in MODES:
                    elapsed, latencies = await load(
                        servers[mode].port, tokens[who], query, args.requests, args.concurrency
                    )
                    q = statistics.quantiles(latencies, n=100)
                    figures = (len(latencies) / elapsed, q[49] * 1000, q[98] * 1000)
                    results.setdefault((label, mode), []).append(figures)
                    print(
                        f"  round {r} {mode:<9} {figures[0]:7.0f} req/s   p50 {figures[1]:6.1f} ms   "
                        f"p99 {figures[2]:6.1f} ms"
                    )
        print("\nmedians over rounds:")
        for label, _, _ in CASES:
            medians = {}
            for mode in MODES:
                runs = results[(label, mode)]
                medians[mode] = tuple(statistics.median(run[i] for run in runs) for i in range(3))
                rps, p50, p99 = medians[mode]
                print(f"{label:<28} {mode:<9} {rps:7.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
            ratio = medians["compiled"][0] / medians["reference"][0]
            print(f"{label:<28} compiled/reference throughput x{ratio:.2f}")
    finally:
        for server in servers.values():
            server.stop(timeout=10)
        await drop_database(server_url, name)
        if embedded:
            embedded.stop()


if __name__ == "__main__":
    asyncio.run(main())
