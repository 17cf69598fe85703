"""The per-process event hub over the real event log."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest

from db.repositories.events import NewEvent
from services.realtime.hub import CursorExpired, EventHub, SubscriberTooSlow
from services.unit_of_work import unit_of_work


async def append(services, n: int = 1, type_: str = "CUSTOMER_UPDATED") -> None:
    async with unit_of_work(services.db.sessions, None, services.clock) as uow:
        uow._events.extend(NewEvent(type=type_, entity_type="Customer", entity_id=uuid.uuid4()) for _ in range(n))


async def take(stream, n: int, timeout: float = 10) -> list:
    out = []
    async with contextlib.aclosing(stream), asyncio.timeout(timeout):
        async for event in stream:
            out.append(event)
            if len(out) == n:
                return out
    return out


@pytest.fixture
async def hub(services):
    # Small batches let readers run between them, as a real log read would; queues of 5 overflow fast.
    h = EventHub(services.db.sessions, poll_interval=0.05, batch_size=2, queue_size=5)
    await h.start()
    yield h
    await h.stop()


async def test_live_events_in_log_order(services, hub):
    stream = hub.stream(lambda e: True)
    consumer = asyncio.create_task(take(stream, 6))
    await asyncio.sleep(0.1)
    for _ in range(3):
        await append(services, 2)
    events = await consumer
    ids = [e.id for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 6


async def test_resume_after_a_cursor_replays_then_goes_live_without_gap_or_duplicate(services, hub):
    await append(services, 4)
    await hub.catch_up()
    first = hub.position - 3  # the cursor of the first of the four
    stream = hub.stream(lambda e: True, after=first)
    consumer = asyncio.create_task(take(stream, 5))
    await asyncio.sleep(0.05)
    await append(services, 2)
    events = await consumer
    assert [e.id for e in events] == list(range(first + 1, first + 6))


async def test_filter_applies_to_replay_and_live(services, hub):
    await append(services, 1, "TICKET_OPENED")
    await append(services, 1, "CUSTOMER_UPDATED")
    await hub.catch_up()
    stream = hub.stream(lambda e: e.type == "TICKET_OPENED", after=0)
    consumer = asyncio.create_task(take(stream, 2))
    await asyncio.sleep(0.05)
    await append(services, 1, "CUSTOMER_UPDATED")
    await append(services, 1, "TICKET_OPENED")
    assert [e.type for e in await consumer] == ["TICKET_OPENED", "TICKET_OPENED"]


async def test_a_subscriber_that_stops_reading_is_cut_off_and_others_keep_receiving(services, hub):
    slow = hub.stream(lambda e: True)
    first = asyncio.create_task(anext(slow))  # registers, then never reads again
    fast = hub.stream(lambda e: True)
    consumer = asyncio.create_task(take(fast, 12))
    await asyncio.sleep(0.1)
    for _ in range(12):
        await append(services)
    assert len(await consumer) == 12
    await first
    with pytest.raises(SubscriberTooSlow):
        for _ in range(20):
            await anext(slow)
    assert hub.subscriber_count == 0  # the fast one finished, the slow one was dropped
    await slow.aclose()


async def test_expired_cursor_is_refused(hub):
    with pytest.raises(CursorExpired):
        await anext(hub.stream(lambda e: True, after=3, oldest_allowed=10))


async def test_commit_order_is_id_order_even_when_a_slow_transaction_started_first(services, hub):
    """A transaction that appended first but commits later must not be skipped by readers."""
    stream = hub.stream(lambda e: True)
    consumer = asyncio.create_task(take(stream, 2))
    await asyncio.sleep(0.05)
    slow_inserted = asyncio.Event()
    release = asyncio.Event()

    async def slow():
        async with unit_of_work(services.db.sessions, None, services.clock) as uow:
            uow._events.append(NewEvent(type="SLOW", entity_type="Customer", entity_id=uuid.uuid4()))
            await uow._append_events()  # takes the log lock and draws its id now…
            uow._events.clear()
            slow_inserted.set()
            await release.wait()  # …but commits only later

    slow_task = asyncio.create_task(slow())
    await slow_inserted.wait()
    fast_task = asyncio.create_task(append(services, 1, "FAST"))
    await asyncio.sleep(0.3)
    assert not fast_task.done(), "the second writer must wait for the first one's commit"
    position = hub.position
    await hub.catch_up()
    assert hub.position == position, "nothing may be visible while the first writer has not committed"
    release.set()
    await slow_task
    await fast_task
    events = await consumer
    assert [e.type for e in events] == ["SLOW", "FAST"]
    assert events[0].id < events[1].id
