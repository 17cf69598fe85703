"""The Python cost of one statement on each way Tandem can send it (why db/driver.py exists).

Creates a scratch database on the given PostgreSQL server, migrates it, adds one customer, then runs the
same look-up of that customer by id, --statements times per way and round, alternating the ways
(the machine is shared and noisy), inside one transaction each:

  orm     `session.get`-style ORM select of the row (db/repositories/rows.py `Table.get`)
  core    a Core `SELECT EXISTS` through `session.scalar`
  driver  the repository's `exists` (db/repositories/rows.py), that text straight to asyncpg on the
          session's connection (db/driver.py)

and prints the median CPU time (this process's, `time.process_time`) per statement and the ratios.

    .venv/bin/python benchmarks/statement_cost.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
        [--rounds 5] [--statements 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import bindparam, exists, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reads import run_sql  # noqa: E402
from db.models import Customer  # noqa: E402
from db.repositories import customers as customers_repo  # noqa: E402
from db.session import Database  # noqa: E402

_EXISTS = select(exists().where(Customer.id == bindparam("row_id")))


async def measure(db: Database, way: Callable[[AsyncSession, uuid.UUID], Awaitable[object]], row_id, n: int) -> float:
    async with db.sessions() as session, session.begin():
        for _ in range(50):  # warm: plans, caches
            await way(session, row_id)
        started = time.process_time()
        for _ in range(n):
            await way(session, row_id)
        return (time.process_time() - started) / n * 1e6


async def orm(session: AsyncSession, row_id: uuid.UUID) -> object:
    session.expunge_all()  # a fresh look-up each time, as in a new unit of work
    return await customers_repo.get(session, row_id)


async def core(session: AsyncSession, row_id: uuid.UUID) -> object:
    return await session.scalar(_EXISTS, {"row_id": row_id})


async def straight(session: AsyncSession, row_id: uuid.UUID) -> object:
    return await customers_repo.exists(session, row_id)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--statements", type=int, default=2000)
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("--database-url (or TEST_DATABASE_URL) is required: a PostgreSQL server")
    server_url = make_url(args.database_url).set(drivername="postgresql+asyncpg")
    name = f"tandem_bench_statements_{uuid.uuid4().hex[:8]}"
    db_url = server_url.set(database=name).render_as_string(hide_password=False)
    server = server_url.render_as_string(hide_password=False)
    await run_sql(server, f'CREATE DATABASE "{name}"')
    try:
        env = {**os.environ, "DATABASE_URL": db_url}
        subprocess.run([sys.executable, "main.py", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
        db = Database.connect(db_url, pool_size=2)
        try:
            async with db.sessions() as session, session.begin():
                row_id = (await customers_repo.add(session, Customer(name="Measured Ltd"))).id
            ways = {"orm": orm, "core": core, "driver": straight}
            results: dict[str, list[float]] = {label: [] for label in ways}
            for round_no in range(1, args.rounds + 1):
                for label, way in ways.items():
                    results[label].append(await measure(db, way, row_id, args.statements))
                print(f"round {round_no}  " + "  ".join(f"{k} {v[-1]:6.1f} µs" for k, v in results.items()), flush=True)
        finally:
            await db.dispose()
        medians = {label: statistics.median(values) for label, values in results.items()}
        print("\nmedian CPU per statement: " + ", ".join(f"{k} {v:.1f} µs" for k, v in medians.items()))
        ratios = {label: medians[label] / medians["driver"] for label in ("orm", "core")}
        print(f"orm/driver {ratios['orm']:.2f}, core/driver {ratios['core']:.2f}")
    finally:
        await run_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
