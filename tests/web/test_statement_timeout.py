"""Every statement of the app engine runs under PostgreSQL's statement_timeout (db/session.py, from
settings.statement_timeout_ms); a statement it cancels is answered as a TIMEOUT error, never as a
hang or a masked 500. The slow statement is real: pg_sleep on the request's own connection."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from db.repositories import activity as activity_repo
from db.repositories import customers as customers_repo
from db.session import Database
from schema.context import AppServices
from services.auth import TokenService
from settings import Settings
from tests.support.accounts import TEST_SECRET, UserFactory
from tests.support.database import CUSTOMER_WRITES, row_counts
from tests.support.graphql import GraphQLClient
from web.app import build_services, create_app

TIMEOUT_MS = 300
CREATE = """mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id name } errors { code } } }"""


def settings_for(db_url: str, **env: str) -> Settings:
    return Settings.from_env({"DATABASE_URL": db_url, "TANDEM_SECRET_KEY": TEST_SECRET, **env})


@pytest.fixture
async def quick(db_url, clock):
    """The app with a 300 ms statement timeout, and a client of it."""
    # The reference executor: these tests slow down its repository calls (the compiled one makes none).
    settings = settings_for(db_url, TANDEM_STATEMENT_TIMEOUT_MS=str(TIMEOUT_MS), TANDEM_READ_EXECUTOR="reference")
    db = Database.connect(db_url, pool_size=2, statement_timeout_ms=settings.statement_timeout_ms)
    services = AppServices(db=db, clock=clock, tokens=TokenService(TEST_SECRET, timedelta(hours=12)), settings=settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, services)), base_url="http://tandem.test"
    ) as client:
        yield services, GraphQLClient(client), UserFactory(services)
    await db.dispose()


def sleep_first(monkeypatch, name: str, seconds: float = 5, module=customers_repo) -> None:
    """Make repository function `name` run a slow statement before its own."""
    original = getattr(module, name)

    async def slow(session, *args, **kwargs):
        await session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
        return await original(session, *args, **kwargs)

    monkeypatch.setattr(module, name, slow)


async def test_a_slow_read_is_stopped_and_said_so(quick, monkeypatch, no_error_logs):
    _services, gql, users = quick
    rep = await users.create()
    sleep_first(monkeypatch, "page")
    started = time.monotonic()
    body = await gql("{ customers { totalCount } }", token=rep.token)
    elapsed = time.monotonic() - started
    # The 5 s statement was cancelled (at 300 ms): it did not run to its end. Not a speed bound — a busy
    # machine may take seconds to answer — only less than the sleep it would have finished.
    assert elapsed < 5, elapsed
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "the request took longer than 300 ms and was stopped"
    assert error["extensions"] == {"code": "TIMEOUT", "timeoutMs": 300}
    assert error["path"] == ["customers"]
    # The connection went back to the pool in a usable state: the next request just works.
    monkeypatch.undo()
    assert (await gql.ok("{ customers { totalCount } }", token=rep.token))["customers"]["totalCount"] == 0


async def test_later_reads_of_the_same_snapshot_are_stopped_too(quick, monkeypatch, no_error_logs):
    """After a cancelled statement PostgreSQL refuses the rest of the transaction (25P02); those
    fields are part of the same timeout, not internal errors."""
    _services, gql, users = quick
    rep = await users.create()
    customer = (await gql.mutate("createCustomer", CREATE, {"i": {"name": "Acme"}}, rep.token))["customer"]["id"]
    sleep_first(monkeypatch, "customer_timeline", module=activity_repo)
    started = time.monotonic()
    # Two nullable fields, so that both errors are reported: `a` times out, `b` reads after it.
    body = await gql(
        """query($c: ID!) { a: node(id: $c) { ... on Customer { timeline { totalCount } } }
                                       b: node(id: $c) { ... on Customer { orders { totalCount } } } }""",
        {"c": customer},
        rep.token,
    )
    assert time.monotonic() - started < 5  # neither 5 s statement ran to its end
    assert body["data"] == {"a": None, "b": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["TIMEOUT", "TIMEOUT"]
    assert sorted(e["path"][0] for e in body["errors"]) == ["a", "b"]


async def test_a_slow_mutation_is_stopped_and_rolled_back(quick, monkeypatch, no_error_logs):
    services, gql, users = quick
    rep = await users.create()
    before = await row_counts(services, CUSTOMER_WRITES)
    sleep_first(monkeypatch, "add")
    body = await gql(CREATE, {"i": {"name": "Acme", "idempotencyKey": "form-1"}}, rep.token)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "TIMEOUT" and error["path"] == ["createCustomer"]
    assert await row_counts(services, CUSTOMER_WRITES) == before
    # The key was not taken: the retry creates the customer.
    monkeypatch.undo()
    created = await gql.mutate("createCustomer", CREATE, {"i": {"name": "Acme", "idempotencyKey": "form-1"}}, rep.token)
    assert created["customer"]["name"] == "Acme"


async def test_the_app_engine_runs_with_the_configured_timeout(db_url, services):
    async def timeout_of(db: Database) -> str:
        async with db.engine.connect() as conn:
            return (await conn.execute(text("SHOW statement_timeout"))).scalar()

    built = build_services(settings_for(db_url, TANDEM_STATEMENT_TIMEOUT_MS="1234"))
    default = build_services(settings_for(db_url))
    try:
        assert await timeout_of(built.db) == "1234ms"
        assert await timeout_of(default.db) == "10s"
        assert default.db.statement_timeout_ms == 10_000
    finally:
        await built.db.dispose()
        await default.db.dispose()
    assert await timeout_of(services.db) == "10s"  # the tests' app too
    # One-shot commands (migrations, seeding) connect without one.
    plain = Database.connect(db_url, pool_size=1)
    try:
        assert await timeout_of(plain) == "0"
    finally:
        await plain.dispose()


BOARD = "{ tickets(first: 5) { totalCount edges { node { number } } } eventCursor }"
# A nullable root: the other fields keep their values (the id names no ticket, but is looked up).
NODE = '{ node(id: "VGlja2V0OjhmODMyM2YxLTNkNzYtNDlkYS1hOTk3LWM5MWI4ZWE5OTIyOQ==") { id } __typename }'
READS = {BOARD: (None, ["tickets"]), NODE: ({"node": None, "__typename": "Query"}, ["node"])}


@pytest.mark.parametrize("query", list(READS), ids=["board", "node"])
@pytest.mark.parametrize("way", ["full", "short"])
async def test_a_compiled_read_that_times_out_is_answered_timeout_and_not_run_again(
    db_url, clock, way, query, no_error_logs
):
    """The compiled statement waits on a lock until statement_timeout cancels it: the answer is the
    reference's (a TIMEOUT at each root field that reads, null bubbling from the non-null `tickets`),
    and the same slow read is not run a second time on the reference executor."""
    from schema.compiled import executor

    settings = settings_for(db_url, TANDEM_STATEMENT_TIMEOUT_MS=str(TIMEOUT_MS), TANDEM_READ_EXECUTOR="compiled")
    db = Database.connect(db_url, pool_size=2, statement_timeout_ms=settings.statement_timeout_ms)
    services = AppServices(db=db, clock=clock, tokens=TokenService(TEST_SECRET, timedelta(hours=12)), settings=settings)
    locker = Database.connect(db_url, pool_size=1)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings, services)), base_url="http://tandem.test"
        ) as client:
            gql = GraphQLClient(client)
            token = (await UserFactory(services).create("SERVICE")).token
            if way == "short":
                await gql.ok(query, token=token)  # the credential is remembered: the next read is one statement
            async with locker.engine.connect() as conn, conn.begin():
                await conn.execute(text("LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE"))
                before = dict(executor.COUNTS)
                body = await gql(query, token=token)
                # Counted, not timed (a wall-clock bound failed on a loaded machine): the reference executor
                # did not run the slow read a second time.
                assert executor.COUNTS["reference"] == before["reference"], "the reference did not run it again"
                assert executor.COUNTS["compiled"] == before["compiled"] + 1
            data, path = READS[query]
            # As the reference answers it (checked by running these reads there under the same lock).
            assert body == {
                "data": data,
                "errors": [
                    {
                        "message": "the request took longer than 300 ms and was stopped",
                        "locations": [{"line": 1, "column": 3}],
                        "path": path,
                        "extensions": {"code": "TIMEOUT", "timeoutMs": TIMEOUT_MS},
                    }
                ],
            }
            # The lock is gone: the same read is answered again.
            assert "errors" not in await gql(query, token=token)
    finally:
        await locker.dispose()
        await db.dispose()
