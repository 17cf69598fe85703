"""Test harness: a real PostgreSQL, a migrated template database, one fresh clone per test.

`TEST_DATABASE_URL` (a server URL, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) points
the suite at a running server; without it an embedded PostgreSQL is started for the run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from db.migrate import upgrade
from db.session import Database, normalise_url
from schema.context import AppServices
from services import auth
from services.auth import TokenService
from services.clock import ManualClock
from settings import Settings
from tests.support.accounts import TEST_SECRET, UNLIMITED_KEYS, UserFactory
from tests.support.database import clone_database, database_url, drop_database, run_sql_autocommit
from tests.support.demo import DemoCopies, fingerprint, install
from tests.support.graphql import GraphQLClient


@pytest.fixture(scope="session")
def pg_server_url() -> AsyncIterator[str]:
    """URL of a PostgreSQL server (its maintenance database) the tests may create databases on."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield normalise_url(configured)
        return
    from db.embedded import EmbeddedPostgres

    data_dir = Path(tempfile.mkdtemp(prefix="tandem-test-pg-"))
    server = EmbeddedPostgres(data_dir)
    try:
        yield normalise_url(server.start())
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def template_db(pg_server_url: str) -> AsyncIterator[str]:
    """A database migrated once per run; every test gets a copy of it."""
    name = f"tandem_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    await run_sql_autocommit(pg_server_url, f'CREATE DATABASE "{name}"')
    await asyncio.to_thread(upgrade, database_url(pg_server_url, name))
    yield name
    await drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
async def _pending_drops(pg_server_url: str) -> AsyncIterator[set]:
    """Test databases are dropped in the background while the next tests run (a DROP costs more
    than the CREATE of a clone); the run waits for the last ones at its end."""
    pending: set[asyncio.Task] = set()
    yield pending
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


@pytest.fixture(scope="session")
async def _demo_copies(pg_server_url: str, template_db: str) -> AsyncIterator[DemoCopies]:
    """The demo data seeded once per variant and cloned into each test that asks for it
    (tests/support/demo.py `seed_demo`); the copies are dropped at the end of the run."""
    copies = DemoCopies(pg_server_url, await fingerprint(database_url(pg_server_url, template_db)))
    install(copies)
    yield copies
    install(None)
    for name in list(copies.names()):
        await drop_database(pg_server_url, name)


@pytest.fixture
async def db_url(
    pg_server_url: str, template_db: str, _pending_drops: set, _demo_copies: DemoCopies
) -> AsyncIterator[str]:
    name = await clone_database(pg_server_url, template_db)
    _demo_copies.track(name)
    yield database_url(pg_server_url, name)
    for dropped in _demo_copies.untrack(name):
        task = asyncio.create_task(drop_database(pg_server_url, dropped))
        _pending_drops.add(task)
        task.add_done_callback(_pending_drops.discard)


@pytest.fixture(autouse=True)
def fast_password_hashing(request, monkeypatch):
    """The production Argon2 parameters cost ~0.1 s per hash; tests that are not about passwords use
    cheap ones (hashes still verify). Mark a test `real_password_hashing` to keep the real ones."""
    if request.node.get_closest_marker("real_password_hashing") is None:
        monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def no_error_logs(caplog):
    """Fails the test if anything was logged at ERROR (a refused input must not look like a bug)."""
    caplog.set_level(logging.INFO)
    yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


READ_EXECUTOR_IN_TESTS = "compare"


@pytest.fixture
async def services(request: pytest.FixtureRequest, db_url: str, clock: ManualClock) -> AsyncIterator[AppServices]:
    # A test that breaks a repository on purpose checks the reference executor's handling of it: the
    # compiled one never calls repositories, so comparing the two there would only report that.
    marker = request.node.get_closest_marker("read_executor")
    executor = marker.args[0] if marker else os.environ.get("TANDEM_READ_EXECUTOR", READ_EXECUTOR_IN_TESTS)
    settings = Settings.from_env(
        {
            "DATABASE_URL": db_url,
            "TANDEM_ENV": "development",
            "TANDEM_SECRET_KEY": TEST_SECRET,
            # Every query a test sends runs on both executors, which must agree (schema/compiled): a
            # difference is a COMPILED_MISMATCH error and an ERROR log, and fails the test.
            "TANDEM_READ_EXECUTOR": executor,
            **UNLIMITED_KEYS,
        }
    )
    db = Database.connect(db_url, pool_size=5, statement_timeout_ms=settings.statement_timeout_ms)
    yield AppServices(db=db, clock=clock, tokens=TokenService(TEST_SECRET, timedelta(hours=12)), settings=settings)
    await db.dispose()


@pytest.fixture
async def app(services: AppServices):
    from web.app import create_app

    return create_app(services.settings, services)


@pytest.fixture
async def http(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tandem.test") as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture
def users(services: AppServices) -> UserFactory:
    return UserFactory(services)
