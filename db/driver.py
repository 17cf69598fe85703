"""Fixed SQL sent straight to asyncpg, on a connection SQLAlchemy checked out and in its transaction.

Why: one look-up by id costs ~240 µs of Python through the ORM and ~140 µs through Core here (the
compiled-cache look-up, parameter and result processing, the greenlet switch), asyncpg's own call
~65 µs (benchmarks/statement_cost.py measures the three, alternating). The hot statements — a
compiled read, the credential check, the event append, a mutation's look-ups — are fixed text with
driver-level parameters, so they gain nothing from SQLAlchemy's layers but pay for them on every
request.

What stays SQLAlchemy's: the pool (checkout checks, db/session.py), the transaction (the BEGIN is
the adapter's, so a statement here runs inside the session's transaction exactly as one sent by the
ORM would), and the errors: a failure is raised as SQLAlchemy raises it (`sqlalchemy.exc.DBAPIError`
subclasses with `.orig.sqlstate`, `connection_invalidated` for a lost connection), so the outage,
timeout and conflict handling above cannot tell the two paths apart. Statement listeners
(`before_cursor_execute`, which the tests' statement counters use) are told about these statements
too.

Parameters and results are asyncpg's: `$1`-style placeholders, uuid/datetime/str as they are, JSON
and JSONB as text (the codecs SQLAlchemy registers on every connection).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

_CACHED = "tandem.driver"  # session.info key: (the transaction it belongs to, its Statements)


class Statements:
    """asyncpg calls on one checked-out connection, inside its SQLAlchemy transaction."""

    __slots__ = ("_adapted", "_connection", "_dialect", "_dispatch", "_driver")

    def __init__(self, connection: AsyncConnection, adapted: Any) -> None:
        self._connection = connection
        self._adapted = adapted  # SQLAlchemy's asyncpg adapter (AsyncAdapt_asyncpg_connection)
        self._driver = adapted._connection  # the asyncpg.Connection itself
        sync_engine = connection.sync_engine
        self._dialect = sync_engine.dialect
        self._dispatch = sync_engine.dispatch

    @classmethod
    async def of(cls, connection: AsyncConnection) -> Statements:
        raw = await connection.get_raw_connection()
        return cls(connection, raw.dbapi_connection)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._run("fetchval", sql, args)

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        return await self._run("fetchrow", sql, args)

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        rows: list[Any] = await self._run("fetch", sql, args)
        return rows

    async def _run(self, method: str, sql: str, args: Sequence[Any]) -> Any:
        if self._dispatch.before_cursor_execute:
            sync = self._connection.sync_connection
            self._dispatch.before_cursor_execute(sync, None, sql, args, None, False)
        adapted = self._adapted
        async with adapted._execute_mutex:  # the adapter's own guard against overlapping use
            try:
                if adapted._transaction is None:
                    await adapted._start_transaction()  # the BEGIN the ORM would have sent (no-op in AUTOCOMMIT)
                return await getattr(self._driver, method)(sql, *args)
            except Exception as error:
                raise await self._translated(error, sql, args) from error
            except BaseException:
                # Cancelled mid-statement: the connection's state is unknown. Close its socket and let
                # the adapter forget the transaction, so that the session's close does not try a ROLLBACK
                # on it (whose failure would replace the cancellation); the pool discards the connection
                # when it comes back (db/session.py `check_on_checkout`).
                self._driver.terminate()
                adapted._transaction = None
                raise

    async def _translated(self, error: Exception, sql: str, args: Sequence[Any]) -> Exception:
        """`error` as SQLAlchemy would raise it for the same statement."""
        dbapi = self._dialect.loaded_dbapi
        try:
            self._adapted._handle_exception(error)  # raises the DB-API form of an asyncpg error
        except Exception as dbapi_error:  # noqa: BLE001 - it is the value wanted: the error translated
            translated = dbapi_error
        else:  # pragma: no cover - _handle_exception always raises
            translated = error
        if not isinstance(translated, dbapi.Error):
            return translated  # not a DB-API error (an OSError, a bug): SQLAlchemy passes these on too
        lost = self._dialect.is_disconnect(translated, self._adapted, None)
        if lost:
            await self._connection.invalidate(translated)
        wrapped = sa_exc.DBAPIError.instance(
            sql, tuple(args), translated, dbapi.Error, connection_invalidated=lost, dialect=self._dialect
        )
        return wrapped


async def of_session(session: AsyncSession) -> Statements:
    """The statements of `session`'s current transaction (begun if need be, as the ORM would)."""
    transaction = session.get_transaction()
    cached = session.info.get(_CACHED)
    if cached is not None and transaction is not None and cached[0] is transaction:
        statements: Statements = cached[1]
        return statements
    statements = await Statements.of(await session.connection())
    session.info[_CACHED] = (session.get_transaction(), statements)
    return statements


@asynccontextmanager
async def checked_out(engine: AsyncEngine) -> AsyncIterator[Statements]:
    """A connection of `engine`'s pool for the block, back to the pool after it."""
    async with engine.connect() as connection:
        yield await Statements.of(connection)
