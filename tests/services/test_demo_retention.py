"""The demo's 90 days of history and the event log's retention: after `seed-demo` the retention job
purges nothing (so an early cursor is not refused with CURSOR_EXPIRED), while the activity history,
timelines and business timestamps still go back 90 days."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from services import event_retention
from services.demo_events import event_horizon
from tests.support.demo import seed_demo


async def query(services, sql: str, **params) -> list:
    async with services.db.sessions() as s:
        return list((await s.execute(text(sql), params)).all())


async def oldest_allowed_cursor(services) -> int:
    async with services.db.sessions() as s:
        return await event_retention.oldest_allowed_cursor(s)


async def test_retention_job_purges_nothing_after_seed_demo(services, clock):
    await seed_demo(services, clock, customers=8)
    horizon = event_horizon(clock.now(), event_retention.DEFAULT_RETENTION_DAYS)
    assert horizon == clock.now() - timedelta(days=27)

    events_before = (await query(services, "SELECT count(*), min(id) FROM events"))[0]
    assert await event_retention.purge(services.db.sessions, clock) == 0
    assert (await query(services, "SELECT count(*), min(id) FROM events"))[0] == events_before
    assert await oldest_allowed_cursor(services) == 0  # `after: "1"` is a valid cursor
    # The margin: a first `serve` up to three days after seed-demo purges nothing either.
    clock.advance(days=2, hours=23)
    assert await event_retention.purge(services.db.sessions, clock) == 0

    # Every event is inside the window, and the history itself still spans the 90 days.
    occurred = (await query(services, "SELECT min(occurred_at), max(occurred_at) FROM events"))[0]
    assert occurred[0] >= horizon
    activity = (await query(services, "SELECT min(at) FROM activity"))[0][0]
    assert activity < horizon - timedelta(days=60)
    assert (await query(services, "SELECT min(created_at) FROM tickets"))[0][0] < horizon - timedelta(days=50)
    # Events after the horizon keep the true instant of their activity row; older ones carry the horizon.
    mismatched = await query(
        services,
        """
        SELECT e.id FROM events e WHERE e.occurred_at > :h AND NOT EXISTS (
          SELECT 1 FROM activity a WHERE a.entity_id = e.entity_id AND a.at = e.occurred_at)
          AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.id = e.entity_id AND n.created_at = e.occurred_at)""",
        h=horizon,
    )
    assert mismatched == []
    assert (await query(services, "SELECT count(*) FROM events WHERE occurred_at = :h", h=horizon))[0][0] > 0
    # Each part of the demo still reads chronologically in the log.
    for entity_type in ("Order", "Ticket", "Opportunity"):
        times = [
            r[0]
            for r in await query(
                services, "SELECT occurred_at FROM events WHERE entity_type = :t ORDER BY id", t=entity_type
            )
        ]
        assert times and times == sorted(times), entity_type


async def test_a_shorter_retention_is_honoured(services, clock):
    await seed_demo(services, clock, customers=4, event_retention_days=7)
    assert await event_retention.purge(services.db.sessions, clock, retention_days=7) == 0
    assert await oldest_allowed_cursor(services) == 0
