"""What every repository does to single rows: read them by key (under a row lock when asked), add new
ones, mark one as changed, and read the rows that belong to a batch of parents."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from sqlalchemy import Insert, Select, bindparam, insert, inspect, select
from sqlalchemy import Table as SqlTable
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, make_transient_to_detached
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.sql.elements import ColumnElement

from db import driver
from db.base import Base
from db.plain_insert import PlainInsert

S = TypeVar("S", bound=Select[Any])


class Stamped(Protocol):
    """A row with an `updated_at` column (every versioned row)."""

    updated_at: datetime


@runtime_checkable
class Created(Stamped, Protocol):
    """A row stamped with the instant it was created at (and last changed at)."""

    created_at: datetime


M = TypeVar("M", bound=Base)


def for_update(stmt: S) -> S:
    """FOR UPDATE, and re-read: a row loaded earlier in this session may be older than the lock."""
    return stmt.with_for_update().execution_options(populate_existing=True)


def locked_if(stmt: S, lock: bool) -> S:
    """`stmt` FOR UPDATE (as `for_update` takes it) when `lock`, else as it is."""
    return for_update(stmt) if lock else stmt


def touch(row: Stamped, now: datetime) -> None:
    """Mark a versioned row as changed at `now`: its UPDATE (and version bump) happens even when only
    its child rows changed or the clock did not move."""
    row.updated_at = now
    flag_modified(row, "updated_at")


class Table(Generic[M]):
    """The reads and writes by `id` of one mapped class; a repository binds the ones it offers
    (`get = _orders.get`). `generated`: the columns the database fills in on INSERT (a number, a code),
    read back by `add` so that the caller can name the new row."""

    def __init__(self, model: type[M], *, generated: Sequence[str] = ()) -> None:
        self.model = model
        self.generated = list(generated)
        mapper = inspect(model)
        self._columns = mapper.columns
        # Built once: a statement object memoizes its cache key, so a look-up by id (several per
        # mutation) skips building the statement and its key again.
        self._by_id = select(model).where(self._columns["id"] == bindparam("row_id"))
        self._by_id_locked = for_update(self._by_id)
        # Attribute key -> column name, for the INSERT of `add`.
        self._column_of = {prop.key: prop.columns[0].name for prop in mapper.column_attrs}
        self._version = mapper.version_id_col.name if mapper.version_id_col is not None else None
        self._plain = not mapper.relationships  # a relationship's state would need the ORM's flush
        table = mapper.local_table
        assert isinstance(table, SqlTable), f"{model.__name__} maps one table"
        self._insert: Insert = insert(table).returning(*table.columns)
        self._plain_insert = PlainInsert.of(table)  # None: a column needs SQLAlchemy's type processing
        self._attribute_of = {name: key for key, name in self._column_of.items()}
        self._primary_key = {prop.key for prop in mapper.column_attrs if prop.columns[0].primary_key}
        self._exists = f"SELECT EXISTS (SELECT 1 FROM {table.name} WHERE {self._columns['id'].name} = $1)"

    async def get(self, session: AsyncSession, row_id: uuid.UUID, *, for_update: bool = False) -> M | None:
        stmt = self._by_id_locked if for_update else self._by_id
        return (await session.scalars(stmt, {"row_id": row_id})).one_or_none()

    async def exists(self, session: AsyncSession, row_id: uuid.UUID) -> bool:
        """Whether the row exists (one statement straight to the driver: a check most creates make)."""
        statements = await driver.of_session(session)
        return bool(await statements.fetchval(self._exists, row_id))

    async def by_ids(self, session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[M]:
        stmt = select(self.model).where(self._columns["id"].in_(list(ids)))
        return list((await session.scalars(stmt)).all())

    async def customer_of(self, session: AsyncSession, row_id: uuid.UUID) -> uuid.UUID | None:
        """The customer of the row (of a table with a customer_id), or None when there is no such row."""
        customer_id: uuid.UUID | None = await session.scalar(
            select(self._columns["customer_id"]).where(self._columns["id"] == row_id)
        )
        return customer_id

    async def add(self, session: AsyncSession, row: M, now: datetime | None = None) -> M:
        """Insert `row`. `now`: the instant a row with created_at and updated_at is created at (the unit
        of work's, not the database's clock)."""
        if now is not None:
            assert isinstance(row, Created), f"{self.model.__name__} has no created_at and updated_at"
            row.created_at = row.updated_at = now
        state = inspect(row)
        if session.new or session.dirty or session.deleted or not state.transient or not self._plain:
            # Other changes pending, a row already known to a session, or relationships mapped: the
            # ORM's flush writes it with the rest, as it always has.
            session.add(row)
            await session.flush()
            await refresh_unloaded(session, row, self.generated)
            return row
        # The common case, one new row and nothing else pending: one Core INSERT … RETURNING every
        # column, the object then attached as loaded. The ORM's flush would send the same statement
        # but costs several times the Python (a quarter of an `openTicket`), and it reads back only
        # server-made values, so every column is here at once either way.
        values = {
            self._column_of[key]: value
            for key, value in state.dict.items()
            # As the ORM does: None is written as NULL, except to a primary key (its default makes one).
            if key in self._column_of and not (value is None and key in self._primary_key)
        }
        if self._version is not None:
            values[self._version] = 1  # SQLAlchemy's version counter starts at 1
        if self._plain_insert is not None:
            stored = await self._plain_insert.run(session, values)
        else:
            connection = await session.connection()
            stored = dict((await connection.execute(self._insert, values)).one()._mapping)
        for name, value in stored.items():
            setattr(row, self._attribute_of[name], value)
        make_transient_to_detached(row)  # history reset: as though read from the database
        session.add(row)  # persistent: later changes are UPDATEs, checked against its version
        return row


async def refresh_unloaded(session: AsyncSession, row: Any, names: Sequence[str]) -> None:
    """Read back those of `names` the flush did not bring back already: a versioned model's INSERT or
    UPDATE returns its server-made values itself (db/base.py, eager_defaults), others need a SELECT."""
    unloaded = inspect(row).unloaded
    if missing := [name for name in names if name in unloaded]:
        await session.refresh(row, missing)


async def children_of(
    session: AsyncSession,
    model: type[M],
    parent: InstrumentedAttribute[uuid.UUID],
    parent_ids: Iterable[uuid.UUID],
    *order: InstrumentedAttribute[Any],
) -> list[M]:
    """The rows of `model` whose `parent` is one of `parent_ids`, in one statement, by parent and then
    by `order`."""
    stmt = select(model).where(parent.in_(list(parent_ids))).order_by(parent, *order)
    return list((await session.scalars(stmt)).all())


async def pairs_of(
    session: AsyncSession,
    key: InstrumentedAttribute[Any],
    keys: Iterable[Any],
    model: type[M],
    on: ColumnElement[bool],
    *order: InstrumentedAttribute[Any],
) -> list[Any]:
    """Rows (key, `model` row) for the given keys, `model` joined `on` them, in one statement (in `order`);
    keys without a joined row are absent."""
    stmt = select(key, model).join(model, on).where(key.in_(list(keys))).order_by(*order)
    return list((await session.execute(stmt)).all())
