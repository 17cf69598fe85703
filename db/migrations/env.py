"""Alembic environment: runs migrations over the app's async engine, one process at a time."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

import db.models  # noqa: F401 - registers every table on the metadata
from db.base import Base
from db.session import normalise_url

MIGRATION_LOCK = 0x7A6E_0000  # concurrent starts (several servers, CI) wait instead of racing

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    configured = config.get_main_option("sqlalchemy.url")
    if configured is None:
        raise RuntimeError("the Alembic configuration has no sqlalchemy.url (db/migrate.py sets it)")
    url = normalise_url(configured)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            await conn.commit()
            try:
                await conn.run_sync(_run)
                await conn.commit()
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                await conn.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    existing = config.attributes.get("connection")
    if existing is not None:
        _run(existing)
    else:
        asyncio.run(_run_async())
