"""The demo data of meetings: a weekly, a monthly and an ad-hoc meeting with attendees and decisions,
their action items (source MEETING, linked to them: one done, one overdue, the weekly ones open), all
recorded through the services (each on the activity log and in the event log)."""

from __future__ import annotations

from sqlalchemy import text

from services.rules.meetings import MEETING_KINDS
from tests.support.demo import seed_demo


async def query(services, sql: str, **params) -> list:
    async with services.db.sessions() as s:
        return list((await s.execute(text(sql), params)).all())


async def test_demo_meetings_with_decisions_and_action_items(services, clock):
    await seed_demo(services, clock, customers=8)
    meetings = await query(services, "SELECT id, kind, cardinality(decisions) FROM meetings ORDER BY held_at")
    assert {kind for _, kind, _ in meetings} == set(MEETING_KINDS)
    assert all(decisions >= 1 for _, _, decisions in meetings)
    [(without_attendees,)] = await query(
        services,
        "SELECT count(*) FROM meetings m "
        "WHERE NOT EXISTS (SELECT 1 FROM meeting_attendees a WHERE a.meeting_id = m.id)",
    )
    assert without_attendees == 0
    items = await query(
        services,
        "SELECT m.kind, i.status, i.source, i.due_at < :now FROM action_items i JOIN meetings m ON m.id = i.meeting_id",
        now=clock.now(),
    )
    assert {kind for kind, *_ in items} == {"WEEKLY", "MONTHLY"}
    assert {source for _, _, source, _ in items} == {"MEETING"}
    monthly = sorted((status, late) for kind, status, _, late in items if kind == "MONTHLY")
    assert monthly == [("DONE", True), ("OPEN", True)]  # one done, one overdue
    assert {(status, late) for kind, status, _, late in items if kind == "WEEKLY"} == {("OPEN", False)}
    # Every meeting is on the activity log with its event; so is each action item it opened.
    [(recorded,)] = await query(services, "SELECT count(*) FROM activity WHERE action = 'meeting.recorded'")
    [(events,)] = await query(services, "SELECT count(*) FROM events WHERE type = 'MEETING_RECORDED'")
    assert recorded == events == len(meetings)
    [(created,)] = await query(
        services,
        "SELECT count(*) FROM events e JOIN action_items i ON i.id = e.entity_id "
        "WHERE e.type = 'ACTION_ITEM_CREATED' AND i.meeting_id IS NOT NULL",
    )
    assert created == len(items)
