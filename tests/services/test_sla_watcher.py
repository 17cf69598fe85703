"""The SLA watcher over a real PostgreSQL with a controlled clock: what it announces and when, once per
clock instance and state, with one leader among several watchers and a takeover when it goes away."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import select, text

from db.models import Activity, Event, SlaAnnouncement
from services import opportunities as presale
from services import orders as order_service
from services import tickets as ticket_service
from services.sla_watcher import SLA_WATCHER_LOCK, STAND_BACK_INTERVALS, SlaWatcher
from services.ticket_transitions import event_payload
from tests.support.presale import Team, act, customer, opportunity_in
from tests.support.tickets import cast, new_order, open_ticket, step, ticket_in


def jsonable(value):
    return orjson.loads(orjson.dumps(value, default=str))


class Recorder:
    def __init__(self):
        self.events: list[Event] = []

    async def announce(self, events: list[Event]) -> None:
        self.events.extend(events)


@pytest.fixture
async def watchers(services, clock):
    """Make watchers on the test database; every one is stopped at the end."""
    made: list[SlaWatcher] = []

    def make(**kwargs) -> SlaWatcher:
        made.append(SlaWatcher(services.db.sessions, clock, **{"interval": 0.05, **kwargs}))
        return made[-1]

    yield make
    for w in made:
        await w.stop()


async def sla_events(services) -> list[Event]:
    async with services.db.sessions() as s:
        stmt = select(Event).where(Event.type.in_(["SLA_AT_RISK", "SLA_BREACHED"])).order_by(Event.id)
        return list((await s.scalars(stmt)).all())


async def announced(services) -> list[tuple[str, uuid.UUID, str, str]]:
    async with services.db.sessions() as s:
        rows = (await s.scalars(select(SlaAnnouncement).order_by(SlaAnnouncement.id))).all()
    return [(r.subject_type, r.subject_id, r.clock, r.state) for r in rows]


async def assert_one_event_each(services) -> None:
    """Every announcement wrote exactly one event, of its state's type, about its subject, and points at it."""
    async with services.db.sessions() as s:
        rows = (await s.scalars(select(SlaAnnouncement).order_by(SlaAnnouncement.id))).all()
    events = {e.id: e for e in await sla_events(services)}
    assert sorted(events) == sorted(r.event_id for r in rows)
    for r in rows:
        e = events[r.event_id]
        assert (e.type, e.entity_type, e.entity_id) == (f"SLA_{r.state}", r.subject_type, r.subject_id)
        assert (e.payload["clock"], e.payload["state"], e.payload["dueAt"]) == (r.clock, r.state, r.due_at.isoformat())
        assert e.occurred_at == r.announced_at and e.actor_id is None


async def eventually(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():  # noqa: ASYNC110 - polls the database the watchers write to
            await asyncio.sleep(0.02)


# ----------------------------------------------------------------------------- what is announced, when


async def test_unacknowledged_high_ticket_is_announced_at_risk_then_breached_once_each(services, clock, watchers):
    c = await cast(services)
    opened = clock.now()
    ticket = await open_ticket(c, priority="HIGH")
    recorder = Recorder()
    watcher = watchers(announcer=recorder)
    expectations = [(95, 0), (96, 1), (97, 0), (120, 0), (121, 1), (122, 0), (600, 0)]  # 80 % of 120 min = 96
    for minutes, count in expectations:
        clock.set(opened + timedelta(minutes=minutes))
        assert await watcher.run_once() == count, minutes
    assert await announced(services) == [
        ("Ticket", ticket.id, "first_response", "AT_RISK"),
        ("Ticket", ticket.id, "first_response", "BREACHED"),
    ]
    at_risk, breached = await sla_events(services)
    assert (at_risk.type, breached.type) == ("SLA_AT_RISK", "SLA_BREACHED")
    assert [e.id for e in recorder.events] == [at_risk.id, breached.id]  # told after each commit
    due = opened + timedelta(hours=2)
    assert at_risk.entity_type == "Ticket" and at_risk.entity_id == ticket.id and at_risk.actor_id is None
    assert at_risk.occurred_at == opened + timedelta(minutes=96)
    # The tickets service's payload fields (what boards filter on), plus the clock's.
    assert at_risk.payload == jsonable(
        {
            **event_payload(ticket, escalated=False, customer_name="Acme Robotics"),
            "customerId": c.customer_id,
            "orderId": None,
            "clock": "first_response",
            "state": "AT_RISK",
            "dueAt": due,
            "startedAt": opened,
            "subjectType": "Ticket",
            "subjectId": ticket.id,
        }
    )
    assert {
        "ticketId": str(ticket.id),
        "number": ticket.number,
        "status": "NEW",
        "priority": "HIGH",
        "kind": ticket.kind,
        "assigneeId": None,
        "escalated": False,
    }.items() <= at_risk.payload.items()
    assert breached.payload["state"] == "BREACHED" and breached.payload["dueAt"] == due.isoformat()
    async with services.db.sessions() as s:
        trail = (await s.scalars(select(Activity).where(Activity.action.like("sla.%")).order_by(Activity.seq))).all()
        event_ids = (await s.scalars(select(SlaAnnouncement.event_id).order_by(SlaAnnouncement.id))).all()
    assert [(a.action, a.actor_id, a.customer_id) for a in trail] == [
        ("sla.at_risk", None, c.customer_id),
        ("sla.breached", None, c.customer_id),
    ]
    assert trail[0].summary == f"Ticket {ticket.number} first response at risk (due 11:00)"
    assert trail[1].summary == f"Ticket {ticket.number} first response breached (due 11:00)"
    assert event_ids == [at_risk.id, breached.id]


async def test_acknowledged_in_time_announces_nothing_for_first_response(services, clock, watchers):
    c = await cast(services)
    opened = clock.now()
    ticket = await open_ticket(c, priority="HIGH")
    clock.advance(minutes=30)
    await step(c, ticket.id, "acknowledge")
    watcher = watchers()
    for minutes in (96, 121, 600):
        clock.set(opened + timedelta(minutes=minutes))
        assert await watcher.run_once() == 0
    clock.set(opened + timedelta(hours=19, minutes=12))  # the resolution clock still runs: 80 % of 24 h
    assert await watcher.run_once() == 1
    assert await announced(services) == [("Ticket", ticket.id, "resolution", "AT_RISK")]


async def test_a_handed_off_order_is_at_risk_at_19_2_hours_and_breached_after_24(services, clock, watchers):
    c = await cast(services)
    order = await new_order(c)
    handed = clock.now()
    await c.run(c.marketing, order_service.hand_off_order, order.id, None)
    watcher = watchers()
    for at, count in [
        (timedelta(hours=19), 0),
        (timedelta(hours=19, minutes=12), 1),
        (timedelta(hours=24), 0),
        (timedelta(hours=24, seconds=1), 1),
        (timedelta(hours=48), 0),
    ]:
        clock.set(handed + at)
        assert await watcher.run_once() == count, at
    assert await announced(services) == [
        ("Order", order.id, "order_confirmation", "AT_RISK"),
        ("Order", order.id, "order_confirmation", "BREACHED"),
    ]
    events = await sla_events(services)
    assert [(e.entity_type, e.entity_id) for e in events] == [("Order", order.id)] * 2
    assert events[0].payload == {
        "clock": "order_confirmation",
        "state": "AT_RISK",
        "dueAt": (handed + timedelta(hours=24)).isoformat(),
        "startedAt": handed.isoformat(),
        "subjectType": "Order",
        "subjectId": str(order.id),
        "orderId": str(order.id),
        "customerId": str(c.customer_id),
        "number": order.number,
    }


async def test_confirmed_returned_or_cancelled_orders_are_not_announced(services, clock, watchers):
    c = await cast(services)
    start = clock.now()
    for finish in (order_service.confirm_order, order_service.return_order, order_service.cancel_order):
        order = await new_order(c)
        await c.run(c.marketing, order_service.hand_off_order, order.id, None)
        args = (order.id, None) if finish is order_service.confirm_order else (order.id, None, "wrong model")
        await c.run(c.service, finish, *args)
    clock.set(start + timedelta(hours=30))
    assert await watchers().run_once() == 0


async def test_a_priority_change_retargets_the_clock_and_the_new_due_time_is_announced(services, clock, watchers):
    c = await cast(services)
    opened = clock.now()
    ticket = await open_ticket(c, priority="HIGH")
    watcher = watchers()
    clock.set(opened + timedelta(minutes=100))
    assert await watcher.run_once() == 1  # AT_RISK, due 11:00
    await c.run(c.service, ticket_service.change_priority, ticket.id, "LOW", None)  # now due in 24 h
    assert await watcher.run_once() == 0
    clock.set(opened + timedelta(hours=19, minutes=12))
    assert await watcher.run_once() == 1  # AT_RISK again, for the new due time
    await c.run(c.service, ticket_service.change_priority, ticket.id, "URGENT", None)  # due 30 min after opening
    assert await watcher.run_once() == 2  # long past both new due times: BREACHED at once, no AT_RISK
    async with services.db.sessions() as s:
        rows = (
            await s.execute(
                select(SlaAnnouncement.clock, SlaAnnouncement.state, SlaAnnouncement.due_at).order_by(
                    SlaAnnouncement.id
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("first_response", "AT_RISK", opened + timedelta(hours=2)),
        ("first_response", "AT_RISK", opened + timedelta(hours=24)),
        ("first_response", "BREACHED", opened + timedelta(minutes=30)),
        ("resolution", "BREACHED", opened + timedelta(hours=8)),
    ]
    await assert_one_event_each(services)


async def test_an_answer_given_late_between_two_scans_is_still_announced_as_breached(services, clock, watchers):
    """Regression: only running clocks were scanned, so a clock answered after its due time but before
    the next scan never got its BREACHED announcement."""
    c = await cast(services)
    opened = clock.now()
    ticket = await open_ticket(c, priority="HIGH")
    watcher = watchers()
    clock.set(opened + timedelta(minutes=100))
    assert await watcher.run_once() == 1  # AT_RISK
    clock.set(opened + timedelta(minutes=120, seconds=5))
    await step(c, ticket.id, "acknowledge")  # 5 s late, before any scan saw the breach
    clock.set(opened + timedelta(minutes=121))
    assert await watcher.run_once() == 1
    assert await announced(services) == [
        ("Ticket", ticket.id, "first_response", "AT_RISK"),
        ("Ticket", ticket.id, "first_response", "BREACHED"),
    ]
    clock.set(opened + timedelta(minutes=180))
    assert await watcher.run_once() == 0  # once
    await assert_one_event_each(services)


async def test_after_downtime_a_breach_is_announced_once_as_breached_only(services, clock, watchers):
    c = await cast(services)
    start = clock.now()
    ticket = await open_ticket(c, priority="HIGH")
    order = await new_order(c)
    await c.run(c.marketing, order_service.hand_off_order, order.id, None)
    clock.set(start + timedelta(hours=5))  # every server was down from the start
    assert await watchers().run_once() == 1
    assert await announced(services) == [("Ticket", ticket.id, "first_response", "BREACHED")]
    clock.set(start + timedelta(days=3))
    assert await watchers().run_once() == 2
    assert sorted(await announced(services)) == sorted(
        [
            ("Ticket", ticket.id, "first_response", "BREACHED"),
            ("Ticket", ticket.id, "resolution", "BREACHED"),
            ("Order", order.id, "order_confirmation", "BREACHED"),
        ]
    )
    assert [e.type for e in await sla_events(services)] == ["SLA_BREACHED"] * 3
    await assert_one_event_each(services)


async def test_presale_handoff_clocks_are_announced(services, clock, users, watchers):
    team = await Team.create(users)
    customer_id = (await customer(services, team.seller)).id
    start = clock.now()
    review = await opportunity_in(services, team, customer_id, "REVIEW")
    registered = await opportunity_in(services, team, customer_id, "REGISTERED")
    lost = await opportunity_in(services, team, customer_id, "REVIEW")
    await act(services, team.seller, presale.mark_lost, lost.id, None, "budget cut")  # stops its review clock
    watcher = watchers()
    clock.set(start + timedelta(hours=19, minutes=12))
    assert await watcher.run_once() == 2
    clock.set(start + timedelta(hours=25))
    assert await watcher.run_once() == 2
    events = await sla_events(services)
    by_clock = {(e.payload["clock"], e.payload["state"]): e for e in events}
    assert set(by_clock) == {
        ("solution_review", "AT_RISK"),
        ("solution_review", "BREACHED"),
        ("registration_ack", "AT_RISK"),
        ("registration_ack", "BREACHED"),
    }
    solution_event = by_clock["solution_review", "AT_RISK"]
    assert solution_event.entity_type == "Solution"
    assert solution_event.payload["opportunityId"] == str(review.id)
    assert solution_event.payload["solutionVersion"] == 1
    registration_event = by_clock["registration_ack", "BREACHED"]
    assert (registration_event.entity_type, registration_event.entity_id) == ("Opportunity", registered.id)
    assert registration_event.payload["dueAt"] == (start + timedelta(hours=24)).isoformat()
    await assert_one_event_each(services)


async def test_an_open_consultation_owes_a_customer_visible_update_every_24_hours(services, clock, watchers):
    c = await cast(services)
    start = clock.now()
    ticket = await ticket_in(c, "ESCALATED", priority="LOW")  # LOW: the resolution clock stays quiet (168 h)
    watcher = watchers()
    clock.set(start + timedelta(hours=19, minutes=12))
    assert await watcher.run_once() == 1
    clock.set(start + timedelta(hours=20))
    await c.run(c.service, ticket_service.add_comment, ticket.id, "Internal only", "INTERNAL")  # does not count
    await c.run(c.service, ticket_service.add_comment, ticket.id, "Parts ordered", "CUSTOMER")  # restarts it
    clock.set(start + timedelta(hours=25))  # the first instance would be breached: it is not running any more
    assert await watcher.run_once() == 0
    clock.set(start + timedelta(hours=20 + 19, minutes=12))
    assert await watcher.run_once() == 1
    clock.set(start + timedelta(hours=44, seconds=1))
    assert await watcher.run_once() == 1
    events = await sla_events(services)
    assert [(e.entity_type, e.payload["clock"], e.payload["state"], e.payload["dueAt"]) for e in events] == [
        ("Escalation", "consultation_update", "AT_RISK", (start + timedelta(hours=24)).isoformat()),
        ("Escalation", "consultation_update", "AT_RISK", (start + timedelta(hours=44)).isoformat()),
        ("Escalation", "consultation_update", "BREACHED", (start + timedelta(hours=44)).isoformat()),
    ]
    assert all(e.payload["ticketId"] == str(ticket.id) and e.payload["escalated"] for e in events)
    await step(c, ticket.id, "close_escalation")
    clock.set(start + timedelta(days=5))
    assert await watcher.run_once() == 0  # a closed consultation owes nothing
    await assert_one_event_each(services)


# ----------------------------------------------------------------------------- once, across watchers


async def test_two_watchers_racing_announce_each_item_once(services, clock, watchers):
    c = await cast(services)
    start = clock.now()
    tickets = [await open_ticket(c, priority="URGENT") for _ in range(5)]
    clock.set(start + timedelta(minutes=25))  # 80 % of 30 min is 24 min
    first, second = watchers(), watchers()
    counts = await asyncio.gather(first.run_once(), second.run_once(), first.run_once())
    assert sum(counts) == 5
    assert sorted(await announced(services)) == sorted(("Ticket", t.id, "first_response", "AT_RISK") for t in tickets)
    assert len(await sla_events(services)) == 5
    await assert_one_event_each(services)


async def test_a_new_watcher_after_a_restart_announces_nothing_already_announced(services, clock, watchers):
    c = await cast(services)
    start = clock.now()
    await open_ticket(c, priority="URGENT")
    clock.set(start + timedelta(minutes=25))
    assert await watchers().run_once() == 1
    assert await watchers().run_once() == 0
    clock.set(start + timedelta(minutes=31))
    assert await watchers().run_once() == 1
    assert await watchers().run_once() == 0
    assert len(await sla_events(services)) == 2


async def test_only_one_of_two_running_watchers_leads_and_together_they_announce_once(services, clock, watchers):
    c = await cast(services)
    start = clock.now()
    ticket = await open_ticket(c, priority="URGENT")
    a, b = watchers(), watchers()
    await a.start()
    await b.start()
    await eventually(lambda: _true(a.is_leader or b.is_leader))
    await asyncio.sleep(0.3)  # several intervals: the other keeps trying and keeps failing
    assert a.is_leader != b.is_leader
    clock.set(start + timedelta(minutes=25))
    await eventually(lambda: _has(services, 1))
    clock.set(start + timedelta(minutes=31))
    await eventually(lambda: _has(services, 2))
    await asyncio.sleep(0.3)
    assert await announced(services) == [
        ("Ticket", ticket.id, "first_response", "AT_RISK"),
        ("Ticket", ticket.id, "first_response", "BREACHED"),
    ]
    await assert_one_event_each(services)


async def test_when_the_leader_stops_the_other_takes_over(services, clock, watchers):
    c = await cast(services)
    start = clock.now()
    a, b = watchers(), watchers()
    await a.start()
    await eventually(lambda: _true(a.is_leader))
    await b.start()
    await asyncio.sleep(0.2)
    assert not b.is_leader
    await a.stop()
    assert not a.is_leader
    await eventually(lambda: _true(b.is_leader), timeout=0.05 * 2 + 1.0)  # a couple of intervals (+ slack)
    await open_ticket(c, priority="URGENT")
    clock.set(start + timedelta(minutes=25))
    await eventually(lambda: _has(services, 1))


async def test_when_the_leaders_connection_dies_another_process_takes_over(services, clock, watchers):
    a, b = watchers(), watchers()
    await a.start()
    await eventually(lambda: _true(a.is_leader))
    await b.start()
    async with services.db.sessions() as s:  # kill the lock holder's backend, as a crash or a network cut would
        killed = await s.scalar(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objid = :k AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"k": SLA_WATCHER_LOCK},
        )
    assert killed is True
    await eventually(lambda: _true(b.is_leader and not a.is_leader))
    await asyncio.sleep(0.3)
    assert b.is_leader and not a.is_leader  # the old leader does not grab it back


async def _true(value: bool) -> bool:
    return value


async def _has(services, n: int) -> bool:
    return len(await announced(services)) >= n


async def test_a_watcher_that_lost_its_lock_connection_stands_back_before_leading_again(services, watchers):
    """It would otherwise race the healthy processes for the lock it just lost (and, under load, often
    win it back: the takeover test above was flaky); alone, it leads again after the pause."""
    a = watchers()
    assert await a._lead()
    async with services.db.sessions() as s:
        await s.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objid = :k AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"k": SLA_WATCHER_LOCK},
        )
    await asyncio.sleep(0.05)
    assert not await a._lead() and not a.is_leader  # the lock is free, but it stands back
    await asyncio.sleep(STAND_BACK_INTERVALS * a.interval)
    assert await a._lead() and a.is_leader
