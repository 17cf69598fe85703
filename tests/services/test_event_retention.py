"""Retention of the event log: old events are deleted, the watermark rises with them, and the SLA
watcher's leader runs the purge (at most hourly)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from db.models import Event, EventLogState
from db.repositories import events as events_repo
from db.repositories.events import NewEvent
from services import event_retention
from services.sla_watcher import SlaWatcher


async def log_events(services, *moments: datetime) -> list[int]:
    """Append one event per moment (occurred then), through the log's own append; returns their ids."""
    async with services.db.sessions() as s, s.begin():
        rows = await events_repo.append(
            s,
            [
                NewEvent(type="CUSTOMER_UPDATED", entity_type="Customer", entity_id=uuid.uuid4(), occurred_at=m)
                for m in moments
            ],
        )
        return [r.id for r in rows]


async def remaining(services) -> list[int]:
    async with services.db.sessions() as s:
        return list((await s.scalars(select(Event.id).order_by(Event.id))).all())


async def state(services) -> tuple[int, datetime | None]:
    async with services.db.sessions() as s:
        row = (await s.scalars(select(EventLogState))).one()
        assert await event_retention.oldest_allowed_cursor(s) == row.purged_through
        return row.purged_through, row.purged_at


async def test_nothing_purged_yet_allows_every_cursor(services):
    assert await state(services) == (0, None)


async def test_purge_deletes_old_events_only_and_raises_the_watermark(services, clock):
    now = clock.now()
    old = await log_events(services, *(now - timedelta(days=d) for d in (45, 40, 31, 30, 31)))
    recent = await log_events(services, now - timedelta(days=29), now - timedelta(days=1), now)
    # Ids in the log are not in time order everywhere (old[4] is older than old[3]): the purge goes by time.
    assert await event_retention.purge(services.db.sessions, clock, 30, batch_size=2) == 4  # three batches
    assert await remaining(services) == [old[3], *recent]  # exactly 30 days old is still kept
    assert await state(services) == (old[4], now)  # the highest id deleted
    assert await event_retention.purge(services.db.sessions, clock, 30) == 0
    assert await state(services) == (old[4], now)  # unchanged when nothing was deleted
    clock.advance(days=1, hours=1)
    assert await event_retention.purge(services.db.sessions, clock) == 2  # default: 30 days
    assert await remaining(services) == recent[1:]
    assert (await state(services))[0] == recent[0]


async def test_the_watermark_never_goes_down(services, clock):
    now = clock.now()
    first, second = await log_events(services, now - timedelta(days=5), now - timedelta(days=50))
    assert await event_retention.purge(services.db.sessions, clock, 30) == 1
    assert (await state(services))[0] == second
    assert await event_retention.purge(services.db.sessions, clock, 1) == 1  # a lower id deleted later
    assert (await state(services))[0] == second
    assert await remaining(services) == []
    assert first < second


async def test_the_retention_must_be_at_least_a_day(services, clock):
    with pytest.raises(ValueError):
        await event_retention.purge(services.db.sessions, clock, 0)


async def test_the_watchers_leader_purges_at_most_once_an_hour(services, clock):
    now = clock.now()
    old = await log_events(services, now - timedelta(days=40))
    watcher = SlaWatcher(services.db.sessions, clock, interval=0.02, retention_days=30)
    follower = SlaWatcher(services.db.sessions, clock, interval=0.02, retention_days=1)
    try:
        await watcher.start()
        async with asyncio.timeout(5):
            while await remaining(services) == old:  # noqa: ASYNC110 - polls the database the watcher purges
                await asyncio.sleep(0.02)
        assert watcher.is_leader
        await follower.start()  # a follower never purges (its 1-day retention would delete the next event)
        later = await log_events(services, now - timedelta(days=35))
        await asyncio.sleep(0.3)  # many ticks, within the same hour
        assert await remaining(services) == later
        clock.advance(hours=1)
        async with asyncio.timeout(5):
            while await remaining(services):  # noqa: ASYNC110 - polls the database the watcher purges
                await asyncio.sleep(0.02)
        assert (await state(services))[0] == later[0]
        assert not follower.is_leader
    finally:
        await follower.stop()
        await watcher.stop()
