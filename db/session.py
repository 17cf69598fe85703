"""Engine and session factory. One `Database` per process, created from a URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def normalise_url(url: str) -> str:
    """Accept the URL spellings operators use (postgres://, postgresql://) and pick asyncpg."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


CONNECT_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = 10


@dataclass
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    statement_timeout_ms: int | None = None

    @classmethod
    def connect(
        cls, url: str, *, pool_size: int = 10, echo: bool = False, statement_timeout_ms: int | None = None
    ) -> Database:
        """`statement_timeout_ms`: PostgreSQL cancels any statement of this engine's connections that
        runs longer (sqlstate 57014; the GraphQL layer answers TIMEOUT). None: the server's setting."""
        # A database host that silently drops packets would otherwise hold a request for asyncpg's
        # 60 s connect timeout and the pool's 30 s checkout wait before it could be answered 503.
        connect_args: dict[str, Any] = {"timeout": CONNECT_TIMEOUT_SECONDS}
        if statement_timeout_ms:
            connect_args["server_settings"] = {"statement_timeout": str(int(statement_timeout_ms))}
        engine = create_async_engine(
            normalise_url(url),
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            pool_timeout=POOL_TIMEOUT_SECONDS,
            echo=echo,
            connect_args=connect_args,
        )
        # expire_on_commit=False: objects returned by a mutation stay readable after its commit.
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False, autoflush=False), statement_timeout_ms)

    async def dispose(self) -> None:
        await self.engine.dispose()
