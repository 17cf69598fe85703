"""Retention of the durable event log: events older than the retention period are deleted, and the
watermark `event_log_state.purged_through` (the highest id deleted) rises with them.

A subscription cursor below the watermark is refused (services/realtime/hub.py `CursorExpired`): events
after it may be gone, so the client must refetch its data and resubscribe. Cursors at or above it never
miss anything: every deleted event has an id ≤ the watermark. The purge runs from the SLA watcher's
leader loop (services/sla_watcher.py), at most once an hour.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.repositories import events as repo
from services.clock import Clock

DEFAULT_RETENTION_DAYS = 30
BATCH_SIZE = 5000  # rows per transaction: a first purge of a large log does not hold one huge transaction


async def purge(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    *,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Delete the events that occurred more than `retention_days` ago; returns how many were deleted.
    Each batch and its watermark commit together, so a reader never sees events gone below it."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    now = clock.now()
    before = now - timedelta(days=retention_days)
    total = 0
    while True:
        async with sessions() as session, session.begin():
            deleted = await repo.purge_events(session, before, now, batch_size)
        total += deleted
        if deleted < batch_size:
            return total


async def oldest_allowed_cursor(session: AsyncSession) -> int:
    """The smallest cursor a subscription may resume from (= the watermark; 0 when nothing was purged)."""
    return await repo.purged_through(session)
