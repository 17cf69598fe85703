"""Engine and session factory. One `Database` per process, created from a URL."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def normalise_url(url: str) -> str:
    """Accept the URL spellings operators use (postgres://, postgresql://) and pick asyncpg."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    return url


@dataclass
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def connect(cls, url: str, *, pool_size: int = 10, echo: bool = False) -> "Database":
        engine = create_async_engine(
            normalise_url(url),
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            echo=echo,
        )
        # expire_on_commit=False: objects returned by a mutation stay readable after its commit.
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False, autoflush=False))

    async def dispose(self) -> None:
        await self.engine.dispose()
