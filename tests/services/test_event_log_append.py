"""The event log's append (db/repositories/events.py): one statement takes the append lock and
inserts the rows, ids in the given order; the lock is held until the commit, so ids commit in order."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db.models import Event
from db.repositories import events as events_repo
from db.repositories.events import NewEvent
from tests.support.database import statements


def new_events(count: int) -> list[NewEvent]:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    return [
        NewEvent(
            type="TICKET_OPENED",
            entity_type="Ticket",
            entity_id=uuid.uuid4(),
            payload={"n": n, "text": "机器停了", "nested": {"list": [1, None, "x"]}},
            occurred_at=at + timedelta(seconds=n),
        )
        for n in range(count)
    ]


async def test_events_are_appended_in_order_in_one_statement_and_read_back_as_returned(services):
    wanted = new_events(5)
    async with services.db.sessions() as session, session.begin():
        with statements(services.db.engine) as seen:
            appended = await events_repo.append(session, wanted)
    assert len(seen) == 1, seen
    ids = [e.id for e in appended]
    assert ids == sorted(ids) and len(set(ids)) == 5
    async with services.db.sessions() as session:
        stored = (await session.scalars(select(Event).where(Event.id.in_(ids)).order_by(Event.id))).all()
    fields = ("id", "type", "entity_type", "entity_id", "payload", "actor_id", "occurred_at")
    assert [tuple(getattr(e, f) for f in fields) for e in stored] == [
        tuple(getattr(e, f) for f in fields) for e in appended
    ]
    assert [e.payload["n"] for e in stored] == [0, 1, 2, 3, 4]
    assert [e.entity_id for e in stored] == [e.entity_id for e in wanted]


async def test_a_second_append_waits_for_the_first_commit(services):
    first = services.db.sessions()
    await first.begin()
    [early] = await events_repo.append(first, new_events(1))

    async def second() -> int:
        async with services.db.sessions() as session, session.begin():
            [late] = await events_repo.append(session, new_events(1))
            return late.id

    waiting = asyncio.create_task(second())
    await asyncio.sleep(0.3)
    assert not waiting.done(), "the append lock is held until the first transaction ends"
    await first.commit()
    await first.close()
    assert await asyncio.wait_for(waiting, 10) > early.id


async def test_audit_rows_and_events_are_written_together_in_one_statement(services):
    from db.models import Activity

    wanted = new_events(2)
    activities = [
        Activity(
            at=e.occurred_at,
            actor_id=None,
            action="ticket.opened",
            entity_type="Ticket",
            entity_id=e.entity_id,
            summary=f"Ticket {n} opened: 机器停了",
            changes={"priority": ["LOW", "HIGH"]},
            customer_id=None,
            order_id=None,
            internal=n == 1,
        )
        for n, e in enumerate(wanted)
    ]
    async with services.db.sessions() as session, session.begin():
        with statements(services.db.engine) as seen:
            appended = await events_repo.append(session, wanted, activities)
    assert len(seen) == 1 and len(appended) == 2, seen
    async with services.db.sessions() as session:
        stored = (
            await session.scalars(
                select(Activity).where(Activity.entity_id.in_([e.entity_id for e in wanted])).order_by(Activity.seq)
            )
        ).all()
    assert [(a.entity_id, a.summary, a.changes, a.internal, a.at) for a in stored] == [
        (a.entity_id, a.summary, a.changes, a.internal, a.at) for a in activities
    ]


async def test_audit_rows_without_events_take_no_lock(services):
    from db.models import Activity

    row = Activity(
        at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        action="user.updated",
        entity_type="User",
        entity_id=uuid.uuid4(),
        summary="renamed",
        changes={},
        internal=False,
    )
    async with services.db.sessions() as session, session.begin():
        with statements(services.db.engine) as seen:
            assert await events_repo.append(session, [], [row]) == []
    assert len(seen) == 1 and "advisory" not in seen[0], seen
