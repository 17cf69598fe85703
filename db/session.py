"""Engine and session factory. One `Database` per process, created from a URL."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def normalise_url(url: str) -> str:
    """Accept the URL spellings operators use (postgres://, postgresql://) and pick asyncpg."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


CONNECT_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = 10
# A connection idle in the pool for longer is pinged before it is handed out (see `check_on_checkout`).
IDLE_PING_SECONDS = 10.0


def check_on_checkout(engine: AsyncEngine) -> None:
    """Hand out only live connections, without a round trip per checkout.

    SQLAlchemy's `pool_pre_ping` costs asyncpg three round trips (BEGIN, a ping, ROLLBACK) on every
    checkout: for a mutation that checks out twice, more statements than the mutation's own. Instead:
    a connection the server closed (a restart, an administrator's terminate) is seen closed by asyncpg
    as soon as the event loop read the end of its socket, which costs nothing to ask; only a connection
    that has been idle for IDLE_PING_SECONDS, which a silent network drop may have killed unnoticed, is
    pinged. Either failure is a DisconnectionError: the pool discards the connection and tries another
    (a new one when need be), exactly as pre-ping does."""

    @event.listens_for(engine.sync_engine, "checkin")
    def returned(dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if dbapi_connection._connection.is_closed():
            raise DisconnectionError("the server closed this connection")
        returned_at = record.info.get("returned_at")
        if returned_at is not None and time.monotonic() - returned_at > IDLE_PING_SECONDS:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as exc:
                raise DisconnectionError("the idle connection no longer answers") from exc


@dataclass
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    statement_timeout_ms: int | None = None
    # Single-statement reads (schema/compiled): AUTOCOMMIT, no BEGIN/ROLLBACK. A connection that dies
    # in use fails that one statement, the pool drops it, and the caller answers from `engine` instead.
    reads_engine: AsyncEngine | None = None

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        pool_size: int = 10,
        reads_pool_size: int | None = None,
        echo: bool = False,
        statement_timeout_ms: int | None = None,
    ) -> Database:
        """`statement_timeout_ms`: PostgreSQL cancels any statement of this engine's connections that
        runs longer (sqlstate 57014; the GraphQL layer answers TIMEOUT). None: the server's setting.
        `reads_pool_size`: connections of the reads engine (settings.py `reads_pool_size`); None: as
        many as the main pool may open."""
        # A database host that silently drops packets would otherwise hold a request for asyncpg's
        # 60 s connect timeout and the pool's 30 s checkout wait before it could be answered 503.
        connect_args: dict[str, Any] = {"timeout": CONNECT_TIMEOUT_SECONDS}
        if statement_timeout_ms:
            connect_args["server_settings"] = {"statement_timeout": str(int(statement_timeout_ms))}
        options: dict[str, Any] = {
            "pool_size": pool_size,
            "max_overflow": pool_size,
            "pool_timeout": POOL_TIMEOUT_SECONDS,
            "echo": echo,
            "connect_args": connect_args,
        }
        engine = create_async_engine(normalise_url(url), **options)
        # No overflow: an overflow connection is closed when it comes back to a full pool, and under load
        # that is a new backend (a fork, a TLS attempt) per request.
        reads = reads_pool_size if reads_pool_size is not None else 2 * pool_size
        reads_options = {**options, "pool_size": reads, "max_overflow": 0}
        reads_engine = create_async_engine(normalise_url(url), isolation_level="AUTOCOMMIT", **reads_options)
        check_on_checkout(engine)
        check_on_checkout(reads_engine)
        # expire_on_commit=False: objects returned by a mutation stay readable after its commit.
        sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        return cls(engine, sessions, statement_timeout_ms, reads_engine)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.reads_engine is not None:
            await self.reads_engine.dispose()
