"""While PostgreSQL is down: 503 + Retry-After (HTTP) and 1013 (WebSocket), never a bare 500; and
the same server answers again once PostgreSQL is back. Plus the predicate behind it, on the real
exceptions of asyncpg and SQLAlchemy."""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from db.embedded import EmbeddedPostgres
from db.migrate import upgrade
from db.session import Database
from schema.context import AppServices
from services.clock import SystemClock
from services.outage import is_database_unavailable
from tests.support.accounts import PASSWORD, UserFactory
from tests.support.database import run_sql
from tests.support.realtime import TOKENS, Server, Subscriber
from tests.support.server import free_port

ME = "{ me { name } }"
LOGIN = "mutation($i: AuthInput!) { login(input: $i) { token errors { code message } } }"
EVENTS = "subscription { events { cursor } }"
RETRY_AFTER = "7"  # not the default, so the setting is seen to be used


async def post(server: Server, query: str, variables: dict | None = None, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=20) as client:
        return await client.post(
            f"{server.http}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )


async def readyz(server: Server) -> int:
    async with httpx.AsyncClient(timeout=20) as client:
        return (await client.get(f"{server.http}/readyz")).status_code


def assert_unavailable(response: httpx.Response, path: list[str] | None) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:500])
    assert response.headers["retry-after"] == RETRY_AFTER
    assert response.headers["content-type"].startswith("application/json")
    request_id = response.headers["x-request-id"]
    (error,) = response.json()["errors"]
    assert error["message"] == "the database is unreachable; try again shortly"
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "requestId": request_id}
    assert error.get("path") == path


@pytest.mark.timeout(120)
async def test_database_outage_answers_503_and_recovers_without_a_restart():
    # mkdtemp, not tmp_path: as root the server runs as a system user that must traverse to it.
    data_dir = Path(tempfile.mkdtemp(prefix="tandem-outage-"))
    pg = EmbeddedPostgres(data_dir)
    server: Server | None = None
    try:
        url = await asyncio.to_thread(pg.start)
        await asyncio.to_thread(upgrade, url)
        db = Database.connect(url, pool_size=1)
        try:
            account = await UserFactory(AppServices(db=db, clock=SystemClock(), tokens=TOKENS)).create(
                "SERVICE", email="outage@example.com"
            )
        finally:
            await db.dispose()
        server = await Server(url, TANDEM_RETRY_AFTER_SECONDS=RETRY_AFTER).start()
        login = {"i": {"email": "outage@example.com", "password": PASSWORD}}
        assert (await post(server, ME, token=account.token)).status_code == 200  # the pool holds connections

        await asyncio.to_thread(pg.stop)

        assert_unavailable(await post(server, ME, token=account.token), None)  # credential lookup
        assert_unavailable(await post(server, LOGIN, login), ["login"])  # inside a resolver
        for protocol in ("graphql-transport-ws", "graphql-ws"):
            refused = await Subscriber(server.ws, account.token, EVENTS, protocol=protocol).connect()
            assert refused.close_code == 1013, protocol  # "try again later"
        assert await readyz(server) == 503
        assert "Internal server error" not in server.log_tail(20000)

        assert await asyncio.to_thread(pg.start) == url  # same data folder, same socket: same URL

        # The very first request after the restart already works (pool_pre_ping drops dead connections).
        me = await post(server, ME, token=account.token)
        assert me.status_code == 200 and me.json() == {"data": {"me": {"name": account.user.name}}}, me.text
        signed_in = await post(server, LOGIN, login)
        assert signed_in.status_code == 200 and signed_in.json()["data"]["login"]["token"], signed_in.text
        subscriber = await Subscriber(server.ws, account.token, EVENTS).connect()
        assert subscriber.close_code is None  # acknowledged and subscribed
        await subscriber.close()
        assert await readyz(server) == 200
    finally:
        if server is not None:
            server.stop()
        await asyncio.to_thread(pg.stop)
        shutil.rmtree(data_dir, ignore_errors=True)


# ----------------------------------------------------------------------------- the predicate


async def raised(coro) -> BaseException:
    try:
        await coro
    except BaseException as exc:  # noqa: BLE001 - the exception is the result
        return exc
    raise AssertionError("nothing was raised")


async def test_connection_failures_are_recognised(pg_server_url):
    refused = await raised(run_sql(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/postgres", "SELECT 1"))
    assert isinstance(refused, ConnectionRefusedError) and is_database_unavailable(refused)

    no_socket = await raised(run_sql("postgresql+asyncpg://postgres@/postgres?host=/nonexistent-tandem", "SELECT 1"))
    assert isinstance(no_socket, FileNotFoundError) and is_database_unavailable(no_socket)

    with socket.socket() as silent:  # accepts, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        timed_out = await raised(
            run_sql(
                f"postgresql+asyncpg://postgres@127.0.0.1:{silent.getsockname()[1]}/postgres",
                "SELECT 1",
                connect_args={"timeout": 0.3},
            )
        )
    assert isinstance(timed_out, TimeoutError) and is_database_unavailable(timed_out)

    engine = create_async_engine(pg_server_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:

        async def second_connection():
            async with engine.connect():
                pass

        async with engine.connect() as busy:
            await busy.execute(text("SELECT 1"))
            exhausted = await raised(second_connection())
    finally:
        await engine.dispose()
    assert isinstance(exhausted, sa_exc.TimeoutError) and is_database_unavailable(exhausted)

    # Raised from a connection error (`raise ... from`), as SQLAlchemy and asyncpg chain theirs.
    try:
        raise RuntimeError("wrapped") from refused
    except RuntimeError as wrapped:
        assert is_database_unavailable(wrapped)


async def test_other_failures_are_not_taken_for_an_outage(pg_server_url):
    statement_timeout = await raised(run_sql(pg_server_url, "SET statement_timeout = 50", "SELECT pg_sleep(2)"))
    assert isinstance(statement_timeout, sa_exc.DBAPIError) and not is_database_unavailable(statement_timeout)

    duplicate = await raised(
        run_sql(
            pg_server_url,
            "CREATE TEMP TABLE t (id int PRIMARY KEY)",
            "INSERT INTO t VALUES (1)",
            "INSERT INTO t VALUES (1)",
        )
    )
    assert isinstance(duplicate, sa_exc.IntegrityError) and not is_database_unavailable(duplicate)

    syntax = await raised(run_sql(pg_server_url, "SELEC 1"))
    assert not is_database_unavailable(syntax)

    # The same exception classes from anywhere but the driver's connect are failures of their own.
    missing_file = await raised(asyncio.to_thread(Path("/nonexistent-tandem/file").read_text))
    assert isinstance(missing_file, FileNotFoundError) and not is_database_unavailable(missing_file)
    slow = await raised(asyncio.wait_for(asyncio.sleep(1), 0.01))
    assert isinstance(slow, TimeoutError) and not is_database_unavailable(slow)
    assert not is_database_unavailable(ValueError("bug")) and not is_database_unavailable(None)

    # An error raised while handling an outage (implicit context, no `from`) is a bug of its own.
    refused = await raised(run_sql(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/postgres", "SELECT 1"))
    try:
        try:
            raise refused
        except ConnectionRefusedError:
            {}["missing"]
    except KeyError as bug:
        assert bug.__context__ is refused and not is_database_unavailable(bug)
