"""The durable event log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import driver
from db.models import Activity, Event, EventLogState

# Every transaction that appends events takes this transaction-scoped advisory lock first. Ids are
# drawn from a sequence at INSERT, not at COMMIT: without the lock a slow transaction could commit
# id 41 after a fast one committed id 42, and a reader that already moved past 42 would never see
# 41. Holding the lock from the insert to the commit makes ids commit in order. Events are appended
# at the very end of a unit of work, so the lock is held only for the commit itself.
EVENT_APPEND_LOCK = 0x7A6E_0001


@dataclass
class NewEvent:
    type: str
    entity_type: str
    entity_id: uuid.UUID
    payload: dict[str, Any] = field(default_factory=dict)
    actor_id: uuid.UUID | None = None
    occurred_at: datetime | None = None


# The audit rows and the events of a unit of work in one statement, at its end: the activity rows,
# then the append lock, then the events, their ids drawn in the given order (in the INSERT's
# projection, which runs above the sort and after the lock's one row was produced).
# The columns each statement writes, with their types in the JSON record set; stated once here, the
# SQL and the rows are both made from them.
_ACTIVITY_COLUMNS = {
    "at": "timestamptz",
    "actor_id": "uuid",
    "action": "text",
    "entity_type": "text",
    "entity_id": "uuid",
    "summary": "text",
    "changes": "jsonb",
    "customer_id": "uuid",
    "order_id": "uuid",
    "internal": "boolean",
}
_EVENT_COLUMNS = {
    "type": "text",
    "entity_type": "text",
    "entity_id": "uuid",
    "payload": "jsonb",
    "actor_id": "uuid",
    "occurred_at": "timestamptz",
}


def _insert(
    table: str,
    columns: dict[str, str],
    param: str,
    alias: str,
    source: str = "",
    defaults: dict[str, str] | None = None,
) -> str:
    """INSERT INTO `table` the rows of the JSON array `param` (a placeholder), in the order of their `n`;
    `defaults`: the value of a column left null (the column's own default, which an explicit NULL would skip)."""
    names = ", ".join(columns)
    values = ", ".join(
        f"coalesce({alias}.{name}, {(defaults or {})[name]})" if name in (defaults or {}) else f"{alias}.{name}"
        for name in columns
    )
    record = ", ".join(f"{name} {type_}" for name, type_ in columns.items())
    return (
        f"INSERT INTO {table} ({names}) SELECT {values} FROM {source}"
        f"jsonb_to_recordset(CAST({param} AS jsonb)) AS {alias}(n integer, {record}) ORDER BY {alias}.n"
    )


def _events(events: str, lock: str) -> tuple[str, str]:
    """The WITH item taking the append lock (parameter `lock`) and the INSERT of the events (`events`)."""
    held = f"held AS MATERIALIZED (SELECT pg_advisory_xact_lock({lock}))"
    insert = _insert("events", _EVENT_COLUMNS, events, "e", "held, ", {"occurred_at": "now()"})
    return held, f"{insert} RETURNING events.id, events.occurred_at"


# Sent to asyncpg as they are (db/driver.py): this statement runs in every unit of work.
# A data-modifying WITH runs once and to completion whether or not the main statement reads it.
_ACTIVITY_ONLY = _insert("activity", _ACTIVITY_COLUMNS, "$1", "a")  # $1 activities
_BOTH = "WITH written AS ({}), {} {}".format(_ACTIVITY_ONLY, *_events("$3", "$2"))  # $1 activities, $2 lock, $3 events
_EVENTS_ONLY = "WITH {} {}".format(*_events("$2", "$1"))  # $1 lock, $2 events


def _rows(items: Sequence[Any], columns: dict[str, str]) -> str:
    return _json([{"n": n, **{c: getattr(item, c) for c in columns}} for n, item in enumerate(items)])


def _json(rows: list[dict[str, Any]]) -> str:
    return orjson.dumps(rows, default=str).decode()  # default: asyncpg's own UUID type


async def append(session: AsyncSession, events: Sequence[NewEvent], activities: Sequence[Activity] = ()) -> list[Event]:
    """Write `activities` (audit rows) and append `events` to the log, each in order, the events
    under EVENT_APPEND_LOCK (held until the commit). Pending ORM changes are flushed first, so the
    rows they create exist for the audit rows' references."""
    if not events and not activities:
        return []
    if session.new or session.dirty or session.deleted:
        await session.flush()
    statements = await driver.of_session(session)
    written = _rows(activities, _ACTIVITY_COLUMNS) if activities else None
    if not events:
        await statements.fetch(_ACTIVITY_ONLY, written)
        return []
    appended = _rows(events, _EVENT_COLUMNS)
    if written is None:
        stored = await statements.fetch(_EVENTS_ONLY, EVENT_APPEND_LOCK, appended)
    else:
        stored = await statements.fetch(_BOTH, written, EVENT_APPEND_LOCK, appended)
    return [
        Event(
            id=event_id,
            type=e.type,
            entity_type=e.entity_type,
            entity_id=e.entity_id,
            payload=e.payload,
            actor_id=e.actor_id,
            occurred_at=occurred_at,
        )
        for e, (event_id, occurred_at) in zip(events, stored, strict=True)
    ]


async def latest_id(session: AsyncSession) -> int:
    return int((await session.execute(select(func.coalesce(func.max(Event.id), 0)))).scalar_one())


async def for_entity(session: AsyncSession, entity_type: str, entity_id: uuid.UUID) -> list[Event]:
    stmt = select(Event).where(Event.entity_type == entity_type, Event.entity_id == entity_id).order_by(Event.id)
    return list((await session.scalars(stmt)).all())


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event as read from the log, detached from any database session (the real-time hub's unit)."""

    id: int
    type: str
    entity_type: str
    entity_id: Any
    payload: dict[str, Any]
    actor_id: Any
    occurred_at: datetime

    @classmethod
    def of(cls, row: Any) -> LoggedEvent:
        """From any row with the event columns as attributes (an ORM Event, a Core row)."""
        return cls(row.id, row.type, row.entity_type, row.entity_id, row.payload or {}, row.actor_id, row.occurred_at)


_LOGGED = "SELECT id, type, entity_type, entity_id, payload, actor_id, occurred_at FROM events WHERE id > $1"
_AFTER = f"{_LOGGED} ORDER BY id LIMIT $2"
_AFTER_UP_TO = f"{_LOGGED} AND id <= $3 ORDER BY id LIMIT $2"


async def after(session: AsyncSession, event_id: int, limit: int, *, up_to: int | None = None) -> list[LoggedEvent]:
    """Events with id > `event_id` (and ≤ `up_to`), oldest first (read without the ORM: the hub reads
    every event once; the columns in LoggedEvent's order)."""
    statements = await driver.of_session(session)
    if up_to is None:
        found = await statements.fetch(_AFTER, event_id, limit)
    else:
        found = await statements.fetch(_AFTER_UP_TO, event_id, limit, up_to)
    return [LoggedEvent(*row) for row in found]


# -- retention: events beyond it are purged; the watermark says up to which id they may be gone --


async def purged_through(session: AsyncSession) -> int:
    value = await session.scalar(select(EventLogState.purged_through).where(EventLogState.id == 1))
    return int(value or 0)


async def purge_events(session: AsyncSession, before: datetime, now: datetime, limit: int) -> int:
    """Delete up to `limit` events that occurred before `before` (oldest ids first) and raise the
    watermark to the highest id deleted, in the caller's transaction. Returns how many were deleted."""
    batch = select(Event.id).where(Event.occurred_at < before).order_by(Event.id).limit(limit)
    stmt = delete(Event).where(Event.id.in_(batch)).returning(Event.id).execution_options(synchronize_session=False)
    deleted = list((await session.scalars(stmt)).all())
    if deleted:
        await session.execute(
            update(EventLogState)
            .where(EventLogState.id == 1)
            .values(purged_through=func.greatest(EventLogState.purged_through, max(deleted)), purged_at=now)
        )
    return len(deleted)
