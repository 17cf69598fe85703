"""db/driver.py: statements sent straight to asyncpg behave as the ORM's own — inside the session's
transaction, seen by statement listeners, and failing with the exceptions SQLAlchemy raises (which the
outage, timeout and conflict handling rely on)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text

from db import driver
from db.models import Customer
from db.repositories import customers as customers_repo
from db.session import Database
from schema.limits import statement_cancelled
from services import outage
from tests.support.database import statements


async def test_a_statement_runs_in_the_sessions_transaction_begun_as_the_orm_would(services):
    row_id = uuid.uuid4()
    insert = "INSERT INTO customers (id, name, lifecycle_stage, version) VALUES ($1, 'Raw Ltd', 'LEAD', 1)"
    async with services.db.sessions() as session, session.begin():
        statements_ = await driver.of_session(session)  # the first statement: BEGIN is sent first
        await statements_.fetch(insert, row_id)
        # The ORM sees it: the same connection and transaction.
        assert await session.scalar(select(Customer.name).where(Customer.id == row_id)) == "Raw Ltd"
        await session.rollback()
    async with services.db.sessions() as session:
        assert await session.get(Customer, row_id) is None  # rolled back with the transaction


async def test_a_later_transaction_of_the_same_session_gets_its_own_statements(services):
    async with services.db.sessions() as session:
        async with session.begin():
            first = await driver.of_session(session)
            first_xid = await first.fetchval("SELECT txid_current()")
            assert await driver.of_session(session) is first  # remembered within the transaction
        async with session.begin():
            second = await driver.of_session(session)
            assert second is not first
            assert await second.fetchval("SELECT txid_current()") != first_xid


async def test_statement_listeners_are_told(services):
    async with services.db.sessions() as session, session.begin():
        with statements(services.db.engine) as seen:
            await (await driver.of_session(session)).fetchval("SELECT $1::int + 1", 41)
    assert seen == ["SELECT $1::int + 1"]


async def test_a_constraint_violation_is_sqlalchemys_integrity_error_and_only_that_statement_fails(services):
    async with services.db.sessions() as session, session.begin():
        code = (await customers_repo.add(session, Customer(name="First Ltd"))).code
        raw = await driver.of_session(session)
        with pytest.raises(sa_exc.IntegrityError) as raised:
            await raw.fetch(
                "INSERT INTO customers (id, code, name, lifecycle_stage, version) VALUES ($1, $2, 'Twin', 'LEAD', 1)",
                uuid.uuid4(),
                code,
            )
        assert raised.value.orig.sqlstate == "23505"  # type: ignore[union-attr]
        assert not raised.value.connection_invalidated


async def test_a_cancelled_statement_is_a_timeout(db_url):
    db = Database.connect(db_url, pool_size=1, statement_timeout_ms=50)
    try:
        async with db.sessions() as session, session.begin():
            with pytest.raises(sa_exc.DBAPIError) as raised:
                await (await driver.of_session(session)).fetchval("SELECT pg_sleep(2)")
        assert statement_cancelled(raised.value)
        assert not outage.is_database_unavailable(raised.value)
    finally:
        await db.dispose()


async def test_a_lost_connection_is_an_outage_and_the_pool_lets_it_go(db_url, services):
    db = Database.connect(db_url, pool_size=1)
    try:
        async with db.sessions() as session, session.begin():
            raw = await driver.of_session(session)
            pid = await raw.fetchval("SELECT pg_backend_pid()")
            async with services.db.engine.connect() as other:
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await asyncio.sleep(0.2)
            with pytest.raises(sa_exc.DBAPIError) as raised:
                await raw.fetchval("SELECT 1")
            assert raised.value.connection_invalidated
            assert outage.is_database_unavailable(raised.value)
            await session.rollback()
        # The next request gets a live connection: the dead one was not put back.
        async with driver.checked_out(db.engine) as fresh:
            assert await fresh.fetchval("SELECT pg_backend_pid()") != pid
    finally:
        await db.dispose()


async def test_a_statement_on_an_autocommit_engine_commits_on_its_own(services):
    reads = services.db.reads_engine
    assert reads is not None
    async with driver.checked_out(reads) as raw:
        # No transaction block was opened: each statement is its own transaction.
        assert await raw.fetchval("SELECT txid_current()") != await raw.fetchval("SELECT txid_current()")


async def test_a_statement_cancelled_mid_flight_ends_its_session_with_the_cancellation(db_url):
    """The hub is stopped by cancelling it while it reads the log: the cancellation must come out of the
    session's block as it is (a failed ROLLBACK replacing it kept the hub looping), and the pool must
    give out a live connection afterwards."""
    db = Database.connect(db_url, pool_size=1)
    try:
        started = asyncio.Event()

        async def reader() -> None:
            async with db.sessions() as session:
                raw = await driver.of_session(session)
                started.set()
                await raw.fetchval("SELECT pg_sleep(5)")

        task = asyncio.create_task(reader())
        await started.wait()
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with db.sessions() as session:
            assert await (await driver.of_session(session)).fetchval("SELECT 1") == 1
    finally:
        await db.dispose()
