"""Events cross server processes over the bus, and nothing is lost when a server or the bus dies."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from db.models import Event
from tests.support.realtime import UPDATE_CUSTOMER, Server, Subscriber, token_for
from tests.support.server import free_port

pytestmark = pytest.mark.timeout(240)

EVENTS = "subscription($after: String) { events(types: [CUSTOMER_UPDATED], after: $after) { cursor type } }"
CREATE = "mutation($n: String!) { createCustomer(input: {name: $n}) { customer { id } errors { message } } }"


def pg_bus_url(db_url: str) -> str:
    return "postgres" + db_url[db_url.index("://") :]


async def customer_updated_ids(db_url: str) -> list[int]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(Event.id).where(Event.type == "CUSTOMER_UPDATED").order_by(Event.id))
            return [r[0] for r in rows]
    finally:
        await engine.dispose()


@pytest.fixture
async def writer(users):
    return await users.create("MARKETING", "STAFF")


async def make_customers(server: Server, token: str, n: int) -> list[str]:
    return [
        (await server.mutate(token, CREATE, {"n": f"Customer {i}"}))["createCustomer"]["customer"]["id"]
        for i in range(n)
    ]


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL not set (.ci/run sets it when Redis answers)")
    return url


async def two_servers_deliver_both_ways(db_url: str, broadcast_url: str, token: str) -> None:
    a = await Server(db_url, broadcast_url).start()
    b = await Server(db_url, broadcast_url).start()
    try:
        on_a = await Subscriber(a.ws, token, EVENTS).connect()
        on_b = await Subscriber(b.ws, token, EVENTS).connect()
        await asyncio.sleep(0.5)
        (customer,) = await make_customers(a, token, 1)
        await a.mutate(token, UPDATE_CUSTOMER, {"c": customer, "r": "North"})  # written on A
        await b.mutate(token, UPDATE_CUSTOMER, {"c": customer, "r": "South"})  # written on B
        got_a = [e["events"]["cursor"] for e in await on_a.collect(2)]
        got_b = [e["events"]["cursor"] for e in await on_b.collect(2)]
        assert got_a == got_b and len(set(got_a)) == 2
        await on_a.close()
        await on_b.close()
    finally:
        a.stop()
        b.stop()


async def test_two_processes_over_the_postgres_bus(db_url, writer):
    await two_servers_deliver_both_ways(db_url, pg_bus_url(db_url), token_for(writer.user))


async def test_two_processes_over_the_redis_bus(db_url, writer, redis_url):
    await two_servers_deliver_both_ways(db_url, redis_url, token_for(writer.user))


async def test_fifty_concurrent_writers_every_subscriber_gets_all_in_log_order(db_url, users):
    server = await Server(db_url, pg_bus_url(db_url)).start()
    try:
        marketing = token_for((await users.create("MARKETING", "STAFF")).user)
        service = token_for((await users.create("SERVICE", "STAFF")).user)
        board = await users.api_key("board")
        customers = await make_customers(server, marketing, 50)
        subscribers = [await Subscriber(server.ws, t, EVENTS).connect() for t in (marketing, service, board)]
        await asyncio.sleep(0.5)

        async def write(customer: str) -> None:
            for i in range(20):
                await server.mutate(marketing, UPDATE_CUSTOMER, {"c": customer, "r": f"R{i}"})

        collectors = [asyncio.create_task(s.collect(1000, timeout=150)) for s in subscribers]
        await asyncio.gather(*(write(c) for c in customers))
        expected = await customer_updated_ids(db_url)
        assert len(expected) == 1000
        for collector in collectors:
            cursors = [int(e["events"]["cursor"]) for e in await collector]
            assert cursors == expected  # all 1,000, each once, in log order
        for s in subscribers:
            await s.close()
    finally:
        server.stop()


async def resume_until_complete(server: Server, token: str, seen: list[int], total: int) -> list[int]:
    """Reconnect with `after` = the last cursor held and collect until `total` distinct events."""
    while len(set(seen)) < total:
        sub = await Subscriber(server.ws, token, EVENTS, {"after": str(seen[-1]) if seen else None}).connect()
        try:
            while len(set(seen)) < total:
                seen.append(int((await sub.next(timeout=20))["events"]["cursor"]))
        finally:
            await sub.close()
    return seen


async def test_sigkilled_server_client_resumes_with_after_and_misses_nothing(db_url, writer):
    token = token_for(writer.user)
    bus = pg_bus_url(db_url)
    port = free_port()
    a = await Server(db_url, bus, port=port).start()
    b = await Server(db_url, bus).start()
    try:
        (customer,) = await make_customers(b, token, 1)
        sub = await Subscriber(a.ws, token, EVENTS).connect()
        await asyncio.sleep(0.5)
        seen: list[int] = []

        async def writes() -> None:
            for i in range(60):
                await b.mutate(token, UPDATE_CUSTOMER, {"c": customer, "r": f"R{i}"})
                await asyncio.sleep(0.02)

        writing = asyncio.create_task(writes())
        while len(seen) < 10:
            seen.append(int((await sub.next())["events"]["cursor"]))
        a.kill()  # mid-stream
        a = await Server(db_url, bus, port=port).start()
        await writing
        seen = await resume_until_complete(a, token, seen, 60)
        expected = await customer_updated_ids(db_url)
        assert sorted(set(seen)) == expected and len(expected) == 60
    finally:
        a.stop()
        b.stop()


async def nothing_lost_across_a_cut(db_url: str, token: str, bus: str, cut: Callable[[], Awaitable[None]]) -> None:
    """40 updates through server b, `cut()` after the 11th: a subscriber on server a gets every one, in order."""
    a = await Server(db_url, bus).start()
    b = await Server(db_url, bus).start()
    try:
        (customer,) = await make_customers(b, token, 1)
        sub = await Subscriber(a.ws, token, EVENTS).connect()
        await asyncio.sleep(0.5)
        collecting = asyncio.create_task(sub.collect(40, timeout=60))
        for i in range(40):
            await b.mutate(token, UPDATE_CUSTOMER, {"c": customer, "r": f"R{i}"})
            if i == 10:
                await cut()
            await asyncio.sleep(0.02)
        cursors = [int(e["events"]["cursor"]) for e in await collecting]
        assert cursors == await customer_updated_ids(db_url)
        await sub.close()
    finally:
        a.stop()
        b.stop()


async def test_cut_postgres_bus_connection_loses_nothing(db_url, writer):
    engine = create_async_engine(db_url, isolation_level="AUTOCOMMIT")

    async def cut() -> None:  # every LISTEN connection of this database's bus
        async with engine.connect() as conn:
            killed = (
                await conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND query ILIKE 'LISTEN%'"
                    )
                )
            ).scalar()
        assert killed >= 1

    try:
        await nothing_lost_across_a_cut(db_url, token_for(writer.user), pg_bus_url(db_url), cut)
    finally:
        await engine.dispose()


async def test_redis_restart_loses_nothing(db_url, writer):
    redis_server = shutil.which("redis-server")
    if not redis_server:
        pytest.skip("redis-server is not installed")
    token = token_for(writer.user)
    port = free_port()

    def start_redis() -> subprocess.Popen:
        return subprocess.Popen(
            [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    redis = start_redis()

    async def cut() -> None:
        nonlocal redis
        redis.kill()
        redis.wait(5)
        await asyncio.sleep(0.5)
        redis = start_redis()

    await asyncio.sleep(0.5)
    try:
        await nothing_lost_across_a_cut(db_url, token, f"redis://127.0.0.1:{port}/0", cut)
    finally:
        redis.kill()
        redis.wait(5)
