"""Read throughput and latency of the GraphQL API over real HTTP.

Starts `main.py serve` in a subprocess on a scratch database, seeds demo data, then runs a bounded
number of concurrent requests of the web app's customer list (50 customers with owner and contacts)
and of `me`, and prints requests/s and latency percentiles.

    .venv/bin/python benchmarks/api_reads.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
                                             [--requests 2000] [--concurrency 20]

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
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository's modules first

from tests.support.database import database_url, drop_database, run_sql_autocommit
from tests.support.server import ServerProcess, run_command

LIST_QUERY = """{ customers(first: 50) { totalCount edges { node { code name lifecycleStage owner { name }
  contacts { name phone email isPrimary } } } pageInfo { endCursor hasNextPage } } }"""
ME_QUERY = "{ me { name department role } }"
LOGIN = 'mutation { login(input: {email: "marketing@tandem.example", password: "tandem-demo"}) { token } }'


async def load(port: int, token: str, query: str, requests: int, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as client:

        async def worker() -> None:
            while not queue.empty():
                queue.get_nowait()
                t0 = time.perf_counter()
                r = await client.post("/graphql", json={"query": query})
                latencies.append(time.perf_counter() - t0)
                assert r.status_code == 200 and "errors" not in r.json(), r.text[:300]

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start, latencies


def report(name: str, elapsed: float, latencies: list[float]) -> None:
    q = statistics.quantiles(latencies, n=100)
    print(
        f"{name:<28} {len(latencies) / elapsed:8.0f} req/s   p50 {q[49] * 1000:6.1f} ms   "
        f"p99 {q[98] * 1000:6.1f} ms   max {max(latencies) * 1000:6.1f} ms"
    )


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=20)
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
    }
    server = ServerProcess(env)
    try:
        run_command("seed-demo", "--customers", "200", env=env, timeout=None, check=True)
        await server.start()
        port = server.port
        login = httpx.post(f"{server.http}/graphql", json={"query": LOGIN}).json()
        token = login["data"]["login"]["token"]
        print(
            f"1 server process, {args.concurrency} concurrent clients, {args.requests} requests, "
            f"{os.cpu_count()} CPU cores"
        )
        await load(port, token, ME_QUERY, 100, args.concurrency)  # warm-up: caches, pool
        report("me", *await load(port, token, ME_QUERY, args.requests, args.concurrency))
        report("customers(first: 50)+rel.", *await load(port, token, LIST_QUERY, args.requests // 4, args.concurrency))
    finally:
        server.stop(timeout=10)
        await drop_database(server_url, name)
        if embedded:
            embedded.stop()


if __name__ == "__main__":
    asyncio.run(main())
