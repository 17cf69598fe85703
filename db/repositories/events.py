"""The durable event log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

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
    """INSERT INTO `table` the rows of the JSON array `:param`, in the order of their `n`; `defaults`:
    the value of a column left null (the column's own default, which an explicit NULL would skip)."""
    names = ", ".join(columns)
    values = ", ".join(
        f"coalesce({alias}.{name}, {(defaults or {})[name]})" if name in (defaults or {}) else f"{alias}.{name}"
        for name in columns
    )
    record = ", ".join(f"{name} {type_}" for name, type_ in columns.items())
    return (
        f"INSERT INTO {table} ({names}) SELECT {values} FROM {source}"
        f"jsonb_to_recordset(CAST(:{param} AS jsonb)) AS {alias}(n integer, {record}) ORDER BY {alias}.n"
    )


_ACTIVITY = _insert("activity", _ACTIVITY_COLUMNS, "activities", "a")
_EVENTS = _insert("events", _EVENT_COLUMNS, "events", "e", "held, ", {"occurred_at": "now()"})
_EVENTS += " RETURNING events.id, events.occurred_at"
_HELD = "held AS MATERIALIZED (SELECT pg_advisory_xact_lock(:lock))"
# A data-modifying WITH runs once and to completion whether or not the main statement reads it.
_BOTH = text(f"WITH written AS ({_ACTIVITY}), {_HELD} {_EVENTS}")
_EVENTS_ONLY = text(f"WITH {_HELD} {_EVENTS}")
_ACTIVITY_ONLY = text(_ACTIVITY)


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
    await session.flush()
    params: dict[str, Any] = {}
    if activities:
        params["activities"] = _rows(activities, _ACTIVITY_COLUMNS)
    if not events:
        await session.execute(_ACTIVITY_ONLY, params)
        return []
    params["lock"] = EVENT_APPEND_LOCK
    params["events"] = _rows(events, _EVENT_COLUMNS)
    result = await session.execute(_BOTH if activities else _EVENTS_ONLY, params)
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
        for e, (event_id, occurred_at) in zip(events, result.all(), strict=True)
    ]


async def latest_id(session: AsyncSession) -> int:
    return int((await session.execute(select(func.coalesce(func.max(Event.id), 0)))).scalar_one())


async def for_entity(session: AsyncSession, entity_type: str, entity_id: uuid.UUID) -> list[Event]:
    stmt = select(Event).where(Event.entity_type == entity_type, Event.entity_id == entity_id).order_by(Event.id)
    return list((await session.scalars(stmt)).all())


async def after(session: AsyncSession, event_id: int, limit: int, *, up_to: int | None = None) -> list[Event]:
    """Events with id > `event_id` (and ≤ `up_to`), oldest first."""
    stmt = select(Event).where(Event.id > event_id)
    if up_to is not None:
        stmt = stmt.where(Event.id <= up_to)
    return list((await session.scalars(stmt.order_by(Event.id).limit(limit))).all())


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
