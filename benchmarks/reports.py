"""Latency of the reports (issue 12) over real HTTP on about 100,000 tickets, and their statements.

Seeds a scratch database with `main.py seed-demo --customers 5000 --bulk` (12 months, about 100,000
tickets, ~30 s), ANALYZEs it, creates a reporting API key with `main.py create-api-key`, starts
`main.py serve` in a subprocess, then for each report runs --requests requests (--concurrency at a time)
and prints p50/p99 latency, the floor beside it (the report's service run in-process, alternating with
the requests in rounds of 5) and the statements one request of it sends. The statements are counted
in-process: the report's service is run once on the same database with every statement of its engine
recorded (tests/support/database.py `statements`); each HTTP request adds the API key's check to that.

    .venv/bin/python benchmarks/reports.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
                                           [--customers 5000] [--requests 50] [--concurrency 1]

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
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository's modules first

from db.repositories.tickets import TicketFilters
from db.session import Database
from services import reports as service
from services.rules.reports import AnalysisDimension, TimeBucket
from tests.support.database import database_url, drop_database, run_sql_autocommit, statements
from tests.support.server import ServerProcess, run_command

ZONE = ZoneInfo("Asia/Shanghai")  # settings.py's default TANDEM_TIME_ZONE, which the server runs with
SERIES = """query($p: PeriodInput!, $b: TimeBucket!, $d: Department!) { kpiSeries(period: $p, bucket: $b,
  department: $d) { period kpis { key value numerator denominator } } }"""
ANALYSIS = """query($p: PeriodInput!, $by: AnalysisDimension!) { problemAnalysis(period: $p, by: $by) {
  total previousTotal rows { key label count share previousCount breachedCount medianResolutionHours } } }"""
SATISFACTION = "query($p: PeriodInput!) { satisfaction(period: $p) { count meanScore satisfiedShare distribution } }"

Work = Callable[[Any], Awaitable[object]]  # a report's service call on a session


def periods() -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """(the last 12 whole local months, the last 90 whole local days), up to today's local midnight."""
    today = datetime.now(ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    year_ago = month.replace(year=month.year - 1)
    return (year_ago, month), (today - timedelta(days=90), today)


def reports(now: datetime) -> list[tuple[str, str, dict[str, Any], Work]]:
    """(name, query, variables, the same report through its service) of every measured report."""
    (y0, y1), (d0, d1) = periods()
    year = {"from": y0.isoformat(), "to": y1.isoformat()}
    days = {"from": d0.isoformat(), "to": d1.isoformat()}
    out: list[tuple[str, str, dict[str, Any], Work]] = []

    def series(start: datetime, end: datetime, bucket: TimeBucket, department: str) -> Work:
        return lambda s: service.kpi_series(
            s, department=department, start=start, end=end, bucket=bucket, zone=ZONE, user_id=None, now=now
        )

    for days_or_months, start, end, bucket in (
        ("12 months", y0, y1, TimeBucket.MONTH),
        ("90 days", d0, d1, TimeBucket.DAY),
    ):
        period = year if bucket is TimeBucket.MONTH else days
        out.extend(
            (
                f"kpiSeries {days_or_months} {department}",
                SERIES,
                {"p": period, "b": bucket.value, "d": department},
                series(start, end, bucket, department),
            )
            for department in ("SERVICE", "MARKETING")
        )
    for dimension in AnalysisDimension:

        def analysis(s: Any, d: AnalysisDimension = dimension) -> Awaitable[object]:
            return service.problem_analysis(s, dimension=d, filters=TicketFilters(), start=y0, end=y1, now=now)

        out.append((f"problemAnalysis {dimension.value}", ANALYSIS, {"p": year, "by": dimension.value}, analysis))
    out.append(
        (
            "satisfaction 12 months",
            SATISFACTION,
            {"p": year},
            lambda s: service.satisfaction(s, start=y0, end=y1, customer_id=None),
        )
    )
    return out


async def load(
    url: str, key: str, query: str, variables: dict[str, Any], requests: int, concurrency: int
) -> list[float]:
    latencies: list[float] = []
    remaining = iter(range(requests))
    async with httpx.AsyncClient(base_url=url, timeout=120, headers={"Authorization": f"Bearer {key}"}) as client:

        async def worker() -> None:
            for _ in remaining:
                t0 = time.perf_counter()
                r = await client.post("/graphql", json={"query": query, "variables": variables})
                latencies.append(time.perf_counter() - t0)
                assert r.status_code == 200 and "errors" not in r.json(), r.text[:300]

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


async def floor(db: Database, work: Work, requests: int) -> list[float]:
    """The same report's service run in this process, one call at a time: its statements' time in the
    database (and SQLAlchemy's), without HTTP, GraphQL or the key's check — what no server can go below."""
    latencies: list[float] = []
    async with db.sessions() as session:
        for _ in range(requests):
            t0 = time.perf_counter()
            await work(session)
            latencies.append(time.perf_counter() - t0)
            await session.rollback()
    return latencies


async def count_statements(db: Database, work: Work) -> int:
    async with db.sessions() as session:
        await work(session)  # warm: the engine's first connection
        with statements(db.engine) as sql:
            await work(session)
    return len(sql)


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    p.add_argument("--customers", type=int, default=5000)
    p.add_argument("--requests", type=int, default=50)
    p.add_argument("--concurrency", type=int, default=1)  # the latency of a request, not of a queue
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
    db_url = database_url(server_url, name)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "TANDEM_ENV": "production",
        "TANDEM_LOG_LEVEL": "warning",
        "TANDEM_SECRET_KEY": "benchmark-secret-key-0123456789abcdef",
        "TANDEM_TIME_ZONE": ZONE.key,
        "TANDEM_RATE_LIMIT_REPORTING": "1000000",  # the key's own limit (120 a minute) is not what is measured
    }
    server = ServerProcess(env)
    db = Database.connect(db_url, pool_size=2)
    try:
        t0 = time.perf_counter()
        run_command("seed-demo", "--customers", str(args.customers), "--bulk", env=env, timeout=None, check=True)
        print(f"seeded {args.customers} customers in {time.perf_counter() - t0:.0f} s", flush=True)
        made = run_command("create-api-key", "--name", "reports benchmark", "--scope", "reporting", env=env, check=True)
        key = made.stdout.strip().splitlines()[-1]
        # The bulk seed writes set-wise and this server's autovacuum may be off or not have run yet: without
        # statistics the planner takes every table for a few rows (a nested loop over the event log took
        # seconds). A database in use has them; ANALYZE gives them here.
        await run_sql_autocommit(db_url, "ANALYZE")
        async with db.sessions() as session:
            tickets = (await session.execute(text("SELECT count(*) FROM tickets"))).scalar_one()
        await server.start()
        now = datetime.now(UTC)
        print(
            f"{tickets} tickets; 1 server process, {args.concurrency} concurrent clients, {args.requests} requests "
            f"per report, {os.cpu_count()} CPU cores",
            flush=True,
        )
        print(
            "p50/p99 over HTTP; 'floor': the report's service in-process on the same database, in rounds of 5 "
            "alternating with the HTTP requests (the machine's noise falls on both)",
            flush=True,
        )
        for label, query, variables, work in reports(now):
            await load(server.http, key, query, variables, max(args.concurrency, 4), args.concurrency)  # warm-up
            latencies: list[float] = []
            floors: list[float] = []
            for _ in range(0, args.requests, 5):
                latencies += await load(server.http, key, query, variables, 5, args.concurrency)
                floors += await floor(db, work, 5)
            q, f = statistics.quantiles(sorted(latencies), n=100), statistics.median(floors)
            n = await count_statements(db, work)
            print(
                f"{label:<32} p50 {q[49] * 1000:7.1f} ms   p99 {q[98] * 1000:7.1f} ms   floor p50 {f * 1000:7.1f} ms "
                f"(x{q[49] / f:4.2f})   {n:3d} statements (+ the key's check)",
                flush=True,
            )
    finally:
        await db.dispose()
        server.stop(timeout=10)
        await drop_database(server_url, name)
        if embedded:
            embedded.stop()


if __name__ == "__main__":
    asyncio.run(main())
