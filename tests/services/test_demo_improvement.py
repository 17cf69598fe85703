"""The demo data of the improvement loop: action items in every status, from every kind of cause the demo
has (low feedback by itself, a supervisor's findings), one sent back and then verified, one overdue,
all made through the services (each step is on its timeline and in the event log)."""

from __future__ import annotations

from sqlalchemy import text

from services.rules.action_items import ACTION_ITEM_STATUSES
from tests.support.demo import seed_demo


async def query(services, sql: str) -> list:
    async with services.db.sessions() as s:
        return list((await s.execute(text(sql))).all())


async def test_demo_action_items_cover_every_state(services, clock):
    await seed_demo(services, clock, customers=8)
    statuses = {r[0] for r in await query(services, "SELECT DISTINCT status FROM action_items")}
    assert statuses == set(ACTION_ITEM_STATUSES)
    sources = {r[0] for r in await query(services, "SELECT DISTINCT source FROM action_items")}
    assert {"FEEDBACK", "SUPERVISION", "ROOT_CAUSE_REVIEW"} <= sources
    [(late,)] = await query(
        services,
        f"SELECT count(*) FROM action_items WHERE status IN ('OPEN', 'IN_PROGRESS') AND due_at < "
        f"'{clock.now().isoformat()}'",
    )
    assert late >= 1
    # Sent back once, then verified: both steps are on its timeline.
    [(sent_back,)] = await query(
        services,
        "SELECT count(DISTINCT entity_id) FROM activity a WHERE action = 'action_item.rejected' AND EXISTS "
        "(SELECT 1 FROM action_items i WHERE i.id = a.entity_id AND i.status = 'VERIFIED')",
    )
    assert sent_back >= 1
    [(events,)] = await query(services, "SELECT count(*) FROM events WHERE type LIKE 'ACTION_ITEM_%'")
    [(steps,)] = await query(services, "SELECT count(*) FROM activity WHERE action LIKE 'action_item.%'")
    assert events == steps > 0
