"""Read throughput: Tandem against PostGraphile v5 and a raw asyncpg + orjson floor, side by side.

Creates a scratch database on the given PostgreSQL server, migrates it, seeds the demo and adds
tickets (copies of the demo's open ones, so every constraint holds) up to --tickets, then starts

  A  Tandem: `main.py serve`, one worker, production mode;
  B  PostGraphile v5 (npm `postgraphile@5` run by npm's `node@22`, installed by this script into
     ~/.cache/tandem-bench/postgraphile; Amber preset over the same tables);
  C  the floor: benchmarks/raw_floor.py (uvicorn, raw SQL, orjson; no GraphQL at all);

and runs the same two reads against each, alternating A B C per round (the machine is shared and
noisy: only figures from the same run are compared), with wrk (`apt-get install wrk`) at
--connections for --duration seconds each:

  board      tickets(first: 50) with customer, assignee and SLA, plus totalCount and pageInfo
  customers  customers(first: 50) with owner and contacts, plus totalCount and pageInfo

The seeded tickets are copies spread over hours, so Tandem's SLA watcher (services/sla_watcher.py)
first announces a backlog of ~1,100 AT_RISK/BREACHED clocks, one transaction each, for about two
minutes; the rounds start once it is through (no new announcement for --settle seconds), so they
measure the steady state (an announcement a minute) rather than the seeding.

It prints each run, then per read the median requests/s, p50 and p99 over the rounds, and the ratios
Tandem/PostGraphile and Tandem/floor.

    .venv/bin/python benchmarks/reads.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
        [--tickets 1500] [--rounds 3] [--duration 10] [--connections 32] [--no-postgraphile]

Only loopback addresses are used; every server is stopped and the database dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("TANDEM_BENCH_CACHE", Path.home() / ".cache" / "tandem-bench"))
POSTGRAPHILE_PACKAGE = {
    "name": "tandem-bench-postgraphile",
    "private": True,
    "type": "module",
    "dependencies": {"postgraphile": "^5.1.5", "node": "^22"},
}
POSTGRAPHILE_SERVER = """
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["public"] })],
  grafserv: { port: Number(process.env.PORT), host: "127.0.0.1" },
};
const serv = postgraphile(preset).createServ(grafserv);
const server = createServer();
server.on("error", (e) => { console.error(e); process.exit(1); });
serv.addTo(server).then(() => server.listen(Number(process.env.PORT), "127.0.0.1"),
                         (e) => { console.error(e); process.exit(1); });
"""

TANDEM_QUERIES = {
    "board": """{ tickets(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { node {
      id number kind priority status subject createdAt customer { id name } assignee { id name }
      sla { firstResponseDueAt resolutionDueAt state } } } } }""",
    "customers": """{ customers(first: 50) { totalCount edges { node { code name lifecycleStage owner { name }
      contacts { name phone email isPrimary } } } pageInfo { hasNextPage endCursor } } }""",
}
# The same reads in PostGraphile's generated schema (relations are named after their foreign keys;
# the SLA state is computed by Tandem and the floor, while PostGraphile serves the due times only;
# PostGraphile orders only by indexed columns, so its customers come by code where Tandem's and the
# floor's come by name, an in-memory sort of the customers table).
POSTGRAPHILE_QUERIES = {
    "board": """{ allTickets(first: 50, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) { totalCount
      pageInfo { hasNextPage endCursor } edges { node { id number kind priority status subject createdAt
      customerByCustomerId { id name } userByAssigneeId { id name } firstResponseDueAt resolutionDueAt } } } }""",
    "customers": """{ allCustomers(first: 50, orderBy: [CODE_ASC]) { totalCount edges { node { code name
      lifecycleStage userByOwnerId { name } contactsByCustomerId { nodes { name phone email isPrimary } } } }
      pageInfo { hasNextPage endCursor } } }""",
}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run_sql(url: str, *statements: str) -> list[list[tuple]]:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    results = []
    try:
        async with engine.connect() as conn:
            for sql in statements:
                result = await conn.execute(text(sql))
                results.append([tuple(row) for row in result] if result.returns_rows else [])
    finally:
        await engine.dispose()
    return results


async def wait_for_sla_backlog(url: str, quiet: float, timeout: float = 300) -> tuple[int, float]:
    """Wait until no SLA announcement was added for `quiet` seconds (or `timeout`); returns the
    number of announcements and the seconds waited."""
    start = time.monotonic()
    last, since = -1, start
    while time.monotonic() - start < timeout:
        [[(count,)]] = await run_sql(url, "SELECT count(*) FROM sla_announcements")
        if count != last:
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        await asyncio.sleep(1)
    return last, time.monotonic() - start


async def clean_up(processes: list[Process], server_url: Any, name: str) -> None:
    """Stop every server, then drop the scratch database `name` (connections and all)."""
    for process in processes:
        process.stop()
    with contextlib.suppress(Exception):
        await run_sql(
            server_url.render_as_string(hide_password=False), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        )


async def add_tickets(url: str, wanted: int) -> int:
    """Copies of the demo's open tickets (every column but id and number), each a few minutes older
    than the last, until there are `wanted`. Returns the final count."""
    open_tickets = "SELECT * FROM tickets WHERE status IN ('NEW', 'ACKNOWLEDGED', 'IN_PROGRESS')"
    [[(have,)], [(open_count,)], columns] = await run_sql(
        url,
        "SELECT count(*) FROM tickets",
        f"SELECT count(*) FROM ({open_tickets}) t",
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'tickets' "
        "AND column_name NOT IN ('id', 'number') ORDER BY ordinal_position",
    )
    missing = wanted - have
    if missing > 0 and open_count:
        names = [c for (c,) in columns]
        # Every timestamp moves back by the same interval, so each copy keeps its row's constraints.
        shifted = {c: f"{c} - make_interval(mins => g)" for c in names if c.endswith("_at")}
        select = ", ".join(shifted.get(c, c) for c in names)
        copies = -(-missing // open_count)
        await run_sql(
            url,
            f"INSERT INTO tickets (id, {', '.join(names)}) SELECT gen_random_uuid(), {select} "
            f"FROM ({open_tickets}) t CROSS JOIN generate_series(1, {copies}) g LIMIT {missing}",
            "ANALYZE",
        )
    [[(count,)]] = await run_sql(url, "SELECT count(*) FROM tickets")
    return int(count)


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    cwd: Path = ROOT
    proc: subprocess.Popen | None = None
    log: object = None

    def start(self) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.argv, cwd=self.cwd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    def tail(self) -> str:
        self.log.seek(0)  # type: ignore[attr-defined]
        return self.log.read().decode(errors="replace")[-3000:]  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@dataclass
class Target:
    name: str
    url: str
    bodies: dict[str, str]  # read -> JSON request body
    headers: dict[str, str] = field(default_factory=dict)


async def wait_until_answers(target: Target, process: Process, read: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=10) as client:
        while time.monotonic() < deadline:
            if process.proc and process.proc.poll() is not None:
                raise SystemExit(f"{process.name} exited:\n{process.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                response = await client.post(
                    target.url + ("" if target.name != "floor" else f"/{read}"),
                    content=target.bodies[read],
                    headers={"content-type": "application/json", **target.headers},
                )
                if response.status_code == 200:
                    body = response.json()
                    if body.get("errors"):
                        raise SystemExit(f"{target.name} answered {read} with errors: {body['errors']}")
                    return body
            await asyncio.sleep(0.5)
    raise SystemExit(f"{process.name} did not answer in {timeout} s:\n{process.tail()}")


def edges_of(body: dict) -> int:
    [connection] = body["data"].values()
    return len(connection["edges"])


def install_postgraphile() -> Path:
    folder = CACHE / "postgraphile"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps(POSTGRAPHILE_PACKAGE, indent=2))
    (folder / "server.mjs").write_text(POSTGRAPHILE_SERVER)
    if (
        not (folder / "node_modules" / "postgraphile").exists()
        or not (folder / "node_modules" / ".bin" / "node").exists()
    ):
        print(f"installing postgraphile@5 and node@22 from the npm registry into {folder} …", flush=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder, check=True)
    return folder


def wrk(url: str, body: str, headers: dict[str, str], connections: int, duration: int, threads: int) -> dict:
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115 - removed below
    lua_headers = "".join(f'wrk.headers["{k}"] = {json.dumps(v)}\n' for k, v in headers.items())
    script.write(
        f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
        f'wrk.headers["Content-Type"] = "application/json"\n{lua_headers}'
    )
    script.close()
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{duration}s",
                "--timeout",
                "30s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def percentile(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)  # type: ignore[union-attr]
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50": percentile("50"),
        "p99": percentile("99"),
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--tickets", type=int, default=1500)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unrecorded load per read and server first")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-postgraphile", action="store_true", help="compare with the floor only")
    parser.add_argument(
        "--settle", type=float, default=20, help="seconds without a new SLA announcement before the rounds (0: no wait)"
    )
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit(
            "--database-url (or TEST_DATABASE_URL) is required: a PostgreSQL server to create a scratch database on"
        )
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed as the load generator: apt-get install wrk")
    server_url = make_url(args.database_url).set(drivername="postgresql+asyncpg")
    name = f"tandem_bench_reads_{uuid.uuid4().hex[:8]}"
    db_url = server_url.set(database=name).render_as_string(hide_password=False)
    libpq_url = db_url.replace("postgresql+asyncpg://", "postgresql://")
    await run_sql(server_url.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"')
    processes: list[Process] = []
    try:
        # TANDEM_READ_EXECUTOR passes through: `compiled` (the default), or `reference` for strawberry alone.
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_") or k == "TANDEM_READ_EXECUTOR"}
        env = {
            **base_env,
            "DATABASE_URL": db_url,
            "TANDEM_ENV": "production",
            "TANDEM_LOG_LEVEL": "warning",
            "TANDEM_SECRET_KEY": "bench-reads-secret-0123456789abcdef0123456789",
        }
        print(f"seeding {name}: demo with {args.customers} customers, then tickets up to {args.tickets} …", flush=True)
        subprocess.run([sys.executable, "main.py", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run(
            [sys.executable, "main.py", "seed-demo", "--customers", str(args.customers)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        tickets = await add_tickets(db_url, args.tickets)
        [[(customers,)]] = await run_sql(db_url, "SELECT count(*) FROM customers")
        print(f"data: {tickets} tickets, {customers} customers", flush=True)

        tandem = Process("tandem", [sys.executable, "main.py", "serve", "--port", str(port := free_port())], env, port)
        floor = Process(
            "floor",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "benchmarks.raw_floor:app",
                "--port",
                str(fport := free_port()),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            {**base_env, "DATABASE_URL": libpq_url},
            fport,
        )
        processes += [tandem, floor]
        pg = None
        if not args.no_postgraphile:
            folder = install_postgraphile()
            pg = Process(
                "postgraphile",
                [str(folder / "node_modules" / ".bin" / "node"), "server.mjs"],
                {**base_env, "DATABASE_URL": libpq_url, "PORT": str(pport := free_port()), "NODE_ENV": "production"},
                pport,
                cwd=folder,
            )
            processes.append(pg)
        for p in processes:
            p.start()

        async with httpx.AsyncClient(timeout=30) as client:
            for _ in range(240):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.5)
            login = await client.post(
                f"http://127.0.0.1:{port}/graphql",
                json={
                    "query": (
                        'mutation { login(input: {email: "service@tandem.example", password: "tandem-demo"}) '
                        "{ token } }"
                    )
                },
            )
            token = login.json()["data"]["login"]["token"]
        if args.settle > 0:
            announced, waited = await wait_for_sla_backlog(db_url, args.settle)
            print(f"SLA watcher's backlog: {announced} announcements, settled after {waited:.0f} s", flush=True)

        def bodies(queries: dict[str, str]) -> dict[str, str]:
            return {read: json.dumps({"query": q}) for read, q in queries.items()}

        targets = [
            Target(
                "tandem",
                f"http://127.0.0.1:{port}/graphql",
                bodies(TANDEM_QUERIES),
                {"Authorization": f"Bearer {token}"},
            )
        ]
        if pg:
            targets.append(Target("postgraphile", f"http://127.0.0.1:{pg.port}/graphql", bodies(POSTGRAPHILE_QUERIES)))
        targets.append(Target("floor", f"http://127.0.0.1:{floor.port}", bodies(TANDEM_QUERIES)))
        by_name = {p.name: p for p in processes}
        for target in targets:
            for read in TANDEM_QUERIES:
                body = await wait_until_answers(target, by_name[target.name], read)
                assert edges_of(body) == 50, f"{target.name} {read}: {edges_of(body)} edges"

        # Unrecorded warm-up of every (read, server): PostGraphile's JIT, Tandem's caches and both pools.
        for read in TANDEM_QUERIES:
            for target in targets:
                url = target.url + (f"/{read}" if target.name == "floor" else "")
                await asyncio.to_thread(
                    wrk, url, target.bodies[read], target.headers, args.connections, args.warmup, args.threads
                )

        results: dict[tuple[str, str], list[dict]] = {}
        print(
            f"\n{args.rounds} rounds × {len(TANDEM_QUERIES)} reads × {len(targets)} servers, "
            f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, alternating",
            flush=True,
        )
        for round_no in range(1, args.rounds + 1):
            for read in TANDEM_QUERIES:
                for target in targets:
                    url = target.url + (f"/{read}" if target.name == "floor" else "")
                    r = await asyncio.to_thread(
                        wrk, url, target.bodies[read], target.headers, args.connections, args.duration, args.threads
                    )
                    results.setdefault((read, target.name), []).append(r)
                    print(
                        f"round {round_no}  {read:9}  {target.name:12}  {r['rps']:8.1f} req/s  "
                        f"p50 {r['p50']:7.1f} ms  p99 {r['p99']:7.1f} ms  non-2xx {r['non2xx']}"
                        f"{'  socket errors: ' + r['socket_errors'] if r['socket_errors'] else ''}",
                        flush=True,
                    )

        print("\nmedians over the rounds")
        print(f"{'read':10} {'server':13} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        medians: dict[tuple[str, str], float] = {}
        for (read, server), runs in results.items():
            medians[(read, server)] = statistics.median(r["rps"] for r in runs)
            print(
                f"{read:10} {server:13} {medians[(read, server)]:9.1f} "
                f"{statistics.median(r['p50'] for r in runs):8.1f} {statistics.median(r['p99'] for r in runs):8.1f}"
            )
        print()
        for read in TANDEM_QUERIES:
            line = f"{read:10} Tandem/floor {medians[(read, 'tandem')] / medians[(read, 'floor')]:.2f}"
            if pg:
                line += f"   Tandem/PostGraphile {medians[(read, 'tandem')] / medians[(read, 'postgraphile')]:.2f}"
            print(line)
    finally:
        await clean_up(processes, server_url, name)


if __name__ == "__main__":
    asyncio.run(main())
