"""The demo's notifications: every kind, each person's own, read and unread."""

from __future__ import annotations

from sqlalchemy import text

from services.rules.notifications import NOTIFICATION_KINDS
from tests.support.demo import seed_demo


async def query(services, sql: str) -> list:
    async with services.db.sessions() as s:
        return list((await s.execute(text(sql))).all())


async def test_demo_notifications_cover_every_kind_and_both_read_states(services, clock):
    await seed_demo(services, clock, customers=8)
    kinds = {r[0] for r in await query(services, "SELECT DISTINCT kind FROM notifications")}
    assert kinds == set(NOTIFICATION_KINDS)
    [(read, unread)] = await query(
        services,
        "SELECT count(*) FILTER (WHERE read_at IS NOT NULL), count(*) FILTER (WHERE read_at IS NULL) "
        "FROM notifications",
    )
    assert read > 0 and unread > 0
    # Each is an event for its person (the stream replays them), and nobody is told of their own action.
    [(events,)] = await query(services, "SELECT count(*) FROM events WHERE type = 'NOTIFICATION_CREATED'")
    [(total,)] = await query(services, "SELECT count(*) FROM notifications")
    assert events == total
    [(own,)] = await query(
        services,
        "SELECT count(*) FROM notifications n JOIN events e ON e.entity_id = n.id WHERE e.actor_id = n.user_id",
    )
    assert own == 0
