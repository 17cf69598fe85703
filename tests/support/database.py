"""The test databases directly: creating and dropping them, one-off SQL, rows and row counts, and the SQL
statements a request sends."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from db.models import Activity, Contact, Customer, Event, IdempotencyRecord

# What a customer mutation writes: a refused or failed one must leave every count as it was.
CUSTOMER_WRITES = {"activity": Activity, "events": Event, "customers": Customer, "idempotency": IdempotencyRecord}
CUSTOMER_AND_CONTACT_WRITES = {**CUSTOMER_WRITES, "contacts": Contact}


def database_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def run_sql(url: str, *statements: str, **engine_args) -> None:
    """Run statements on a fresh engine of their own (e.g. on a server the test starts and stops)."""
    engine = create_async_engine(url, **engine_args)
    try:
        async with engine.connect() as conn:
            for sql in statements:
                await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def run_sql_autocommit(url: str, *statements: str) -> None:
    """Each statement committed on its own (and CREATE / DROP DATABASE, which cannot run in a transaction)."""
    await run_sql(url, *statements, isolation_level="AUTOCOMMIT")


async def clone_database(server_url: str, template: str) -> str:
    """The name of a new database copied from `template` (a migrated one: much faster than migrating)."""
    name = f"tandem_t_{uuid.uuid4().hex[:12]}"
    await copy_database(server_url, template, name)
    return name


async def copy_database(server_url: str, template: str, name: str) -> None:
    """Create the database `name` as a copy of `template` (which nothing may be connected to)."""
    await run_sql_autocommit(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')


async def drop_database(server_url: str, name: str) -> None:
    await run_sql_autocommit(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def rows(services, sql: str, **params) -> list[tuple]:
    async with services.db.sessions() as s:
        return [tuple(r) for r in (await s.execute(text(sql), params)).all()]


async def scalar(services, sql: str, **params) -> Any:
    async with services.db.sessions() as s:
        return (await s.execute(text(sql), params)).scalar()


async def all_rows(services, tables: Iterable[str], ignore: Collection[str] = ()) -> dict[str, list[dict]]:
    """Every row of every table (without the `ignore` columns), in a stable order: a snapshot to
    compare before and after a request that must not have changed anything."""
    out = {}
    async with services.db.sessions() as s:
        for table in tables:
            result = await s.execute(text(f"SELECT * FROM {table}"))
            found = [{k: v for k, v in row._mapping.items() if k not in ignore} for row in result.all()]
            out[table] = sorted(found, key=repr)
    return out


async def row_counts(services, models: Mapping[str, Any]) -> dict[str, int]:
    """How many rows each model's table holds, under the names given."""
    async with services.db.sessions() as session:
        return {name: await session.scalar(select(func.count()).select_from(model)) for name, model in models.items()}


@contextmanager
def statements(*engines) -> Iterator[list[str]]:
    """Collect every SQL statement sent through `engines` (AsyncEngines; None is skipped) while the
    block runs. Pass `db.engine, db.reads_engine` to see both ways a read can take."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    listened = [engine.sync_engine for engine in engines if engine is not None]
    for engine in listened:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in listened:
            event.remove(engine, "before_cursor_execute", record)
