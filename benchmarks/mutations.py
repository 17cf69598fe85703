"""Mutation throughput: `openTicket` on this checkout against the same mutation on a baseline revision.

Creates a scratch database on the given PostgreSQL server, migrates it and seeds the demo, then starts

  A  Tandem from this checkout: `main.py serve`, one worker, production mode;
  B  Tandem at --baseline (default 60cc876, the code before the compiled read path and the mutation
     work of issue 9), exported with `git archive` into ~/.cache/tandem-bench/<revision>, run by the
     same interpreter over the same database;

and posts the same `openTicket` (a new ticket every time, payload with customer, assignee and SLA)
with wrk at --connections for --duration seconds, alternating A B per round (the machine is shared
and noisy: only figures from the same run are compared). Before the timed rounds it counts the
statements PostgreSQL receives for one mutation on each (tests/support/wire.py in front of a second
instance of each server: BEGIN, COMMIT and pings included; the fewest of 15 samples, as the servers'
background work shares the pools).

    .venv/bin/python benchmarks/mutations.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
        [--baseline 60cc876] [--rounds 3] [--duration 10] [--connections 16]

Only loopback addresses are used; every server is stopped and the database dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import uuid
from io import BytesIO
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reads import CACHE, Process, clean_up, free_port, run_sql, wrk  # noqa: E402
from tests.support.wire import WireProxy  # noqa: E402

OPEN_TICKET = """mutation($i: OpenTicketInput!) { openTicket(input: $i) {
  ticket { id number status priority subject createdAt customer { id name } assignee { id name }
           sla { firstResponseDueAt resolutionDueAt state } }
  errors { code message } } }"""
LOGIN = 'mutation { login(input: {email: "marketing@tandem.example", password: "tandem-demo"}) { token } }'


def export(revision: str) -> Path:
    """The tree of `revision`, unpacked once into the cache."""
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    folder = CACHE / f"tandem-{commit[:12]}"
    if not (folder / "main.py").exists():
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
    return folder


def server(name: str, folder: Path, env: dict[str, str], db_url: str) -> Process:
    port = free_port()
    # PYTHONPATH: the baseline's own modules, not this checkout's (installed in the venv as editable).
    env = {**env, "DATABASE_URL": db_url, "PYTHONPATH": str(folder)}
    return Process(name, [sys.executable, "main.py", "serve", "--port", str(port)], env, port, cwd=folder)


async def ready(process: Process) -> str:
    """Waits for /readyz; returns a login token of the demo's marketing person."""
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(240):
            if process.proc and process.proc.poll() is not None:
                raise SystemExit(f"{process.name} exited:\n{process.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{process.port}/readyz")).status_code == 200:
                    break
            await asyncio.sleep(0.5)
        response = await client.post(f"http://127.0.0.1:{process.port}/graphql", json={"query": LOGIN})
        return str(response.json()["data"]["login"]["token"])


async def open_ticket(port: int, token: str, body: str) -> dict:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"http://127.0.0.1:{port}/graphql",
            content=body,
            headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
        )
    payload = response.json()["data"]["openTicket"]
    if payload["errors"] or not payload["ticket"]["number"]:
        raise SystemExit(f"openTicket failed: {payload}")
    return dict(payload["ticket"])


async def statements_per_mutation(name: str, folder: Path, env: dict[str, str], db_url: str, body: str) -> list[str]:
    proxy = await WireProxy(db_url).start()
    process = server(name, folder, env, proxy.url)
    process.start()
    try:
        token = await ready(process)
        for _ in range(3):  # warm: plans, remembered credential, pools
            await open_ticket(process.port, token, body)
        # The server's own background work (SLA watcher, event-log catch-up) runs on the same pools
        # and adds to a sample now and then: the fewest of several samples is the mutation's own.
        samples = []
        for _ in range(15):
            with proxy.statements() as seen:
                await open_ticket(process.port, token, body)
            samples.append(list(seen))
            await asyncio.sleep(0.3)
        return min(samples, key=len)
    finally:
        process.stop()
        await proxy.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--baseline", default="60cc876")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("--database-url (or TEST_DATABASE_URL) is required: a PostgreSQL server")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed as the load generator: apt-get install wrk")
    baseline = export(args.baseline)
    server_url = make_url(args.database_url).set(drivername="postgresql+asyncpg")
    name = f"tandem_bench_mutations_{uuid.uuid4().hex[:8]}"
    db_url = server_url.set(database=name).render_as_string(hide_password=False)
    await run_sql(server_url.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"')
    processes: list[Process] = []
    try:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")},
            "DATABASE_URL": db_url,
            "TANDEM_ENV": "production",
            "TANDEM_LOG_LEVEL": "warning",
            "TANDEM_SECRET_KEY": "bench-mutations-secret-0123456789abcdef012345",
        }
        subprocess.run([sys.executable, "main.py", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([sys.executable, "main.py", "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        [[(customer,)]] = await run_sql(db_url, "SELECT id FROM customers ORDER BY code LIMIT 1")
        from schema.ids import to_global_id

        ticket = {
            "customerId": to_global_id("Customer", customer),
            "kind": "COMPLAINT",
            "priority": "HIGH",
            "subject": "Conveyor stops after an hour",
            "description": "Reported by the night shift; the motor is warm.",
        }
        body = json.dumps({"query": OPEN_TICKET, "variables": {"i": ticket}})
        builds = {"tandem": ROOT, "baseline": baseline}

        print(f"statements per openTicket as PostgreSQL receives them (baseline {args.baseline}):", flush=True)
        for label, folder in builds.items():
            seen = await statements_per_mutation(label, folder, env, db_url, body)
            print(f"  {label:9} {len(seen):3}   " + " | ".join(s.split()[0].rstrip(";") for s in seen), flush=True)

        servers = {label: server(label, folder, env, db_url) for label, folder in builds.items()}
        processes += servers.values()
        for process in processes:
            process.start()
        tokens = {label: await ready(process) for label, process in servers.items()}
        for label, process in servers.items():
            await open_ticket(process.port, tokens[label], body)

        def load(label: str, seconds: int) -> dict:
            process = servers[label]
            headers = {"Authorization": f"Bearer {tokens[label]}"}
            url = f"http://127.0.0.1:{process.port}/graphql"
            return wrk(url, body, headers, args.connections, seconds, args.threads)

        for label in servers:
            await asyncio.to_thread(load, label, args.warmup)
        print(
            f"\n{args.rounds} rounds × 2 servers, openTicket, wrk -t{args.threads} -c{args.connections} "
            f"-d{args.duration}s, alternating",
            flush=True,
        )
        results: dict[str, list[dict]] = {label: [] for label in servers}
        for round_no in range(1, args.rounds + 1):
            for label in servers:
                r = await asyncio.to_thread(load, label, args.duration)
                results[label].append(r)
                print(
                    f"round {round_no}  {label:9}  {r['rps']:8.1f} mutations/s  p50 {r['p50']:7.1f} ms  "
                    f"p99 {r['p99']:7.1f} ms  non-2xx {r['non2xx']}",
                    flush=True,
                )
            ratio = results["tandem"][-1]["rps"] / results["baseline"][-1]["rps"]
            print(f"round {round_no}  tandem/baseline {ratio:.2f}", flush=True)
        print("\nmedians over the rounds")
        for label, runs in results.items():
            print(
                f"{label:9} {statistics.median(r['rps'] for r in runs):8.1f} mutations/s  "
                f"p50 {statistics.median(r['p50'] for r in runs):7.1f} ms  "
                f"p99 {statistics.median(r['p99'] for r in runs):7.1f} ms"
            )
        ratios = [t["rps"] / b["rps"] for t, b in zip(results["tandem"], results["baseline"], strict=True)]
        listed = ", ".join(f"{r:.2f}" for r in ratios)
        print(f"tandem/baseline per round: {listed}; median {statistics.median(ratios):.2f}")
        [[(tickets,)]] = await run_sql(db_url, "SELECT count(*) FROM tickets")
        print(f"({tickets} tickets in the database at the end)")
    finally:
        await clean_up(processes, server_url, name)


if __name__ == "__main__":
    asyncio.run(main())
