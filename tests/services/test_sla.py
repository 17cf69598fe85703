"""SLA clocks of tickets: the acceptance scenarios over HTTP with a controlled clock, and a seeded
random sweep proving the Python rules and their SQL twins classify the same rows the same way."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db.models import Ticket
from services import sla
from services.sla import SlaState
from tests.support.tickets import READ_TICKET, activity_of, cast, mutation, open_ticket, resolution, tid

BOARD = """query($f: TicketFilter) { tickets(first: 100, filter: $f) { totalCount edges { node { id number
  sla { firstResponseState resolutionState state } } } } }"""


async def read(gql, c, ticket_id) -> dict:
    return (await gql.ok(READ_TICKET, {"id": tid(ticket_id)}, c.token(c.service)))["node"]


async def sla_of(gql, c, ticket_id) -> tuple[str, str, str]:
    s = (await read(gql, c, ticket_id))["sla"]
    return s["firstResponseState"], s["resolutionState"], s["state"]


async def filtered(gql, c, state: str) -> set[str]:
    data = await gql.ok(BOARD, {"f": {"slaState": state}}, c.token(c.service))
    assert data["tickets"]["totalCount"] == len(data["tickets"]["edges"])
    return {e["node"]["id"] for e in data["tickets"]["edges"]}


async def act(gql, c, name: str, account, **input) -> dict:
    return await gql.mutate(name, mutation(name), {"i": input}, c.token(account))


# ----------------------------------------------------------------------------- acceptance


async def test_high_ticket_unacknowledged_is_at_risk_after_97_minutes_and_breached_after_2_hours(gql, services, clock):
    c = await cast(services)
    opened = clock.now()
    ticket = await open_ticket(c, priority="HIGH")
    data = await read(gql, c, ticket.id)
    assert data["sla"]["firstResponseDueAt"] == (opened + timedelta(hours=2)).isoformat()
    assert data["sla"]["resolutionDueAt"] == (opened + timedelta(hours=24)).isoformat()
    expectations = [  # minutes after opening -> first-response state (80 % of 120 min = 96 min)
        (95, "ON_TRACK"),
        (96, "AT_RISK"),
        (97, "AT_RISK"),
        (120, "AT_RISK"),
        (121, "BREACHED"),
        (600, "BREACHED"),
    ]
    for minutes, expected in expectations:
        clock.set(opened + timedelta(minutes=minutes))
        assert await sla_of(gql, c, ticket.id) == (expected, "ON_TRACK", expected), minutes
        assert await filtered(gql, c, expected) == {tid(ticket.id)}, minutes
    # Acknowledging late stops the clock but does not repair it: done late is BREACHED for good.
    await act(gql, c, "acknowledgeTicket", c.service, ticketId=tid(ticket.id))
    clock.advance(hours=1)
    assert await sla_of(gql, c, ticket.id) == ("BREACHED", "ON_TRACK", "BREACHED")


async def test_acknowledged_after_30_minutes_is_met_for_good(gql, services, clock):
    c = await cast(services)
    opened = clock.now()
    ticket = await open_ticket(c, priority="HIGH")
    clock.advance(minutes=30)
    await act(gql, c, "acknowledgeTicket", c.service, ticketId=tid(ticket.id))
    assert (await read(gql, c, ticket.id))["firstRespondedAt"] == (opened + timedelta(minutes=30)).isoformat()
    clock.advance(hours=5)
    assert await sla_of(gql, c, ticket.id) == ("MET", "ON_TRACK", "ON_TRACK")
    clock.set(opened + timedelta(hours=20))  # 80 % of the 24 h resolution window is 19.2 h
    assert await sla_of(gql, c, ticket.id) == ("MET", "AT_RISK", "AT_RISK")
    await act(gql, c, "startTicketWork", c.service, ticketId=tid(ticket.id))
    await act(gql, c, "resolveTicket", c.service, **resolution(tid(ticket.id), "USAGE", "Explained the settings"))
    clock.advance(days=30)
    assert await sla_of(gql, c, ticket.id) == ("MET", "MET", "MET")
    assert await filtered(gql, c, "MET") == {tid(ticket.id)}


async def test_first_response_is_the_first_customer_visible_reply_when_it_comes_first(gql, services, clock):
    c = await cast(services)
    opened = clock.now()
    ticket = await open_ticket(c, priority="URGENT")
    clock.advance(minutes=10)
    await act(
        gql, c, "addTicketComment", c.marketing, ticketId=tid(ticket.id), body="Internal only", visibility="INTERNAL"
    )
    assert (await read(gql, c, ticket.id))["firstRespondedAt"] is None
    clock.advance(minutes=10)
    await act(
        gql, c, "addTicketComment", c.marketing, ticketId=tid(ticket.id), body="We are on it", visibility="CUSTOMER"
    )
    clock.advance(minutes=20)  # acknowledged after the due time: the reply already answered
    await act(gql, c, "acknowledgeTicket", c.service, ticketId=tid(ticket.id))
    data = await read(gql, c, ticket.id)
    assert data["firstRespondedAt"] == (opened + timedelta(minutes=20)).isoformat()
    assert data["sla"]["firstResponseState"] == "MET"


async def test_priority_change_retargets_both_due_times_from_the_original_start(gql, services, clock):
    c = await cast(services)
    opened = clock.now()
    ticket = await open_ticket(c, priority="HIGH")
    clock.advance(minutes=60)
    data = (await act(gql, c, "changeTicketPriority", c.service, ticketId=tid(ticket.id), priority="URGENT"))["ticket"]
    assert data["priority"] == "URGENT"
    assert data["sla"]["firstResponseDueAt"] == (opened + timedelta(minutes=30)).isoformat()
    assert data["sla"]["resolutionDueAt"] == (opened + timedelta(hours=8)).isoformat()
    assert data["sla"]["firstResponseState"] == "BREACHED"  # 60 min in, 30 min allowed
    change = (await activity_of(services, ticket.id))[-1]
    assert change.action == "ticket.priority_changed"
    assert change.changes == {
        "priority": ["HIGH", "URGENT"],
        "firstResponseDueAt": [(opened + timedelta(hours=2)).isoformat(), (opened + timedelta(minutes=30)).isoformat()],
        "resolutionDueAt": [(opened + timedelta(hours=24)).isoformat(), (opened + timedelta(hours=8)).isoformat()],
    }
    clock.advance(minutes=1)
    data = (await act(gql, c, "changeTicketPriority", c.service, ticketId=tid(ticket.id), priority="LOW"))["ticket"]
    assert data["sla"]["firstResponseDueAt"] == (opened + timedelta(hours=24)).isoformat()
    assert data["sla"]["resolutionDueAt"] == (opened + timedelta(hours=168)).isoformat()
    assert data["sla"]["firstResponseState"] == "ON_TRACK"


async def test_a_policy_change_applies_to_new_tickets_only(gql, services, clock):
    c = await cast(services)
    opened = clock.now()
    before = await open_ticket(c, priority="HIGH")
    policies = (
        await gql.ok(
            "{ slaPolicies { priority firstResponseMinutes resolutionMinutes version } }", token=c.token(c.supervisor)
        )
    )["slaPolicies"]
    assert policies == [
        {"priority": "URGENT", "firstResponseMinutes": 30, "resolutionMinutes": 480, "version": 1},
        {"priority": "HIGH", "firstResponseMinutes": 120, "resolutionMinutes": 1440, "version": 1},
        {"priority": "NORMAL", "firstResponseMinutes": 480, "resolutionMinutes": 4320, "version": 1},
        {"priority": "LOW", "firstResponseMinutes": 1440, "resolutionMinutes": 10080, "version": 1},
    ]
    clock.advance(minutes=5)
    updated = await act(
        gql,
        c,
        "updateSlaPolicy",
        c.supervisor,
        priority="HIGH",
        firstResponseMinutes=60,
        resolutionMinutes=600,
        expectedVersion=1,
    )
    assert updated["slaPolicy"] == {
        "priority": "HIGH",
        "firstResponseMinutes": 60,
        "resolutionMinutes": 600,
        "version": 2,
    }
    stale = await gql.ok(
        mutation("updateSlaPolicy"),
        {"i": {"priority": "HIGH", "firstResponseMinutes": 90, "resolutionMinutes": 600, "expectedVersion": 1}},
        c.token(c.supervisor),
    )
    assert [e["code"] for e in stale["updateSlaPolicy"]["errors"]] == ["VERSION_CONFLICT"]
    unchanged = (await read(gql, c, before.id))["sla"]
    assert unchanged["firstResponseDueAt"] == (opened + timedelta(hours=2)).isoformat()
    assert unchanged["resolutionDueAt"] == (opened + timedelta(hours=24)).isoformat()
    after = await open_ticket(c, priority="HIGH")
    fresh = (await read(gql, c, after.id))["sla"]
    assert fresh["firstResponseDueAt"] == (clock.now() + timedelta(minutes=60)).isoformat()
    assert fresh["resolutionDueAt"] == (clock.now() + timedelta(minutes=600)).isoformat()


async def test_the_sla_state_filter_returns_exactly_the_tickets_in_that_state(gql, services, clock):
    c = await cast(services)
    start = clock.now()
    t = {}
    t["late_response"] = await open_ticket(c, priority="URGENT")  # 30 min: breached at +3h
    t["responded_late"] = await open_ticket(c, priority="URGENT")
    t["on_track"] = await open_ticket(c, priority="LOW")
    t["met"] = await open_ticket(c, priority="URGENT")
    await act(gql, c, "acknowledgeTicket", c.service, ticketId=tid(t["met"].id))
    await act(gql, c, "startTicketWork", c.service, ticketId=tid(t["met"].id))
    await act(gql, c, "resolveTicket", c.service, **resolution(tid(t["met"].id), "OTHER", "Done"))
    clock.set(start + timedelta(minutes=45))
    await act(gql, c, "acknowledgeTicket", c.service, ticketId=tid(t["responded_late"].id))
    clock.set(start + timedelta(hours=3))
    # NORMAL opened now: 8 h to respond, AT_RISK from 6 h 24 min on.
    t["at_risk"] = await open_ticket(c, priority="NORMAL")
    clock.set(start + timedelta(hours=3) + timedelta(hours=6, minutes=30))
    expected = {
        "late_response": "BREACHED",
        "responded_late": "BREACHED",
        "at_risk": "AT_RISK",
        "on_track": "ON_TRACK",
        "met": "MET",
    }
    for name, ticket in t.items():
        assert (await sla_of(gql, c, ticket.id))[2] == expected[name], name
    for state in ("BREACHED", "AT_RISK", "ON_TRACK", "MET"):
        assert await filtered(gql, c, state) == {tid(t[n].id) for n, s in expected.items() if s == state}, state


# ----------------------------------------------------------------------------- Python ⇔ SQL


def random_rows(rng: random.Random, base: datetime, customer_id, user_id, n: int) -> list[Ticket]:
    """Rows on a one-minute grid (so due times, 80 % marks and `now` often coincide exactly), plus some
    with odd microsecond windows (where 80 % is not a whole microsecond)."""
    rows = []

    def done(due: datetime, start: datetime) -> datetime | None:
        roll = rng.random()
        if roll < 0.4:
            return None
        if roll < 0.55:
            return due  # exactly on time
        return start + timedelta(minutes=rng.randint(0, 900))

    for i in range(n):
        start = base + timedelta(minutes=rng.randint(-600, 0))
        if rng.random() < 0.25:
            fr_window = timedelta(microseconds=rng.randint(0, 10**10))
            res_window = fr_window + timedelta(microseconds=rng.randint(0, 10**10))
        else:
            fr_window = timedelta(minutes=rng.choice([0, 5, 10, 15, 30, 60, 120, 480]))
            res_window = fr_window + timedelta(minutes=rng.choice([0, 5, 60, 240, 1440]))
        fr_due, res_due = start + fr_window, start + res_window
        responded, resolved = done(fr_due, start), done(res_due, start)
        rows.append(
            Ticket(
                id=uuid.uuid4(),
                customer_id=customer_id,
                kind="INQUIRY",
                priority="NORMAL",
                status="RESOLVED" if resolved else "NEW",
                root_cause_code="OTHER" if resolved else None,
                subject=f"sweep {i}",
                description="-",
                created_by_id=user_id,
                created_at=start,
                updated_at=start,
                sla_started_at=start,
                first_response_due_at=fr_due,
                resolution_due_at=res_due,
                first_responded_at=responded,
                resolved_at=resolved,
            )
        )
    return rows


async def test_python_and_sql_agree_on_a_random_sweep(services):
    c = await cast(services)
    rng = random.Random(20260302)
    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    rows = random_rows(rng, base, c.customer_id, c.service.user.id, 300)
    async with services.db.sessions() as s, s.begin():
        s.add_all(rows)
    by_id = {r.id: r for r in rows}
    nows = [base + timedelta(minutes=m) for m in range(-600, 1500, 35)]
    nows += [rng.choice(rows).first_response_due_at for _ in range(5)]  # exactly at some due times
    # exactly at some 80 % marks
    nows += [r.sla_started_at + (r.first_response_due_at - r.sla_started_at) * 4 / 5 for r in rng.sample(rows, 5)]
    seen: Counter = Counter()
    boundary_cases = 0
    mismatches = []
    async with services.db.sessions() as s:
        for now in nows:
            stmt = select(
                Ticket.id, sla.first_response_state_sql(now), sla.resolution_state_sql(now), sla.ticket_state_sql(now)
            ).where(Ticket.subject.like("sweep %"))
            result = (await s.execute(stmt)).all()
            assert len(result) == len(rows)
            for ticket_id, fr_sql, res_sql, overall_sql in result:
                row = by_id[ticket_id]
                python = (
                    sla.first_response_state(row, now),
                    sla.resolution_state(row, now),
                    sla.ticket_state(row, now),
                )
                if (fr_sql, res_sql, overall_sql) != tuple(p.value for p in python):
                    mismatches.append((ticket_id, now, python, (fr_sql, res_sql, overall_sql)))
                seen.update(python)
                for due in (row.first_response_due_at, row.resolution_due_at):
                    mark = row.sla_started_at + (due - row.sla_started_at) * 4 / 5
                    boundary_cases += now in (due, mark)
            # The filter predicate is the same expression: it selects exactly the rows Python puts there.
            for state in SlaState:
                ids = set(
                    (
                        await s.scalars(
                            select(Ticket.id).where(
                                Ticket.subject.like("sweep %"), sla.ticket_state_is(state.value, now)
                            )
                        )
                    ).all()
                )
                assert ids == {r.id for r in rows if sla.ticket_state(r, now) is state}, (now, state)
            # The reports' cheaper breach predicate selects the same rows as the state's.
            breached = select(Ticket.id).where(Ticket.subject.like("sweep %"), sla.breached_sql(now))
            assert set((await s.scalars(breached)).all()) == {
                r.id for r in rows if sla.ticket_state(r, now) is SlaState.BREACHED
            }, now
    assert mismatches == []
    assert len(nows) * len(rows) >= 300
    assert set(seen) == set(SlaState), seen  # the sweep exercised every state...
    assert boundary_cases > 20  # ...and many exact boundaries


def test_the_rules_on_their_boundaries():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    due = start + timedelta(minutes=120)
    at = lambda minutes, done=None: sla.clock_state(start, due, done, start + timedelta(minutes=minutes))  # noqa: E731
    assert at(95.99) is SlaState.ON_TRACK
    assert at(96) is SlaState.AT_RISK
    assert at(120) is SlaState.AT_RISK
    assert at(120.0001) is SlaState.BREACHED
    assert at(500, done=due) is SlaState.MET
    assert at(10, done=due + timedelta(microseconds=1)) is SlaState.BREACHED
    combined = sla.combined_state
    assert combined(SlaState.MET, SlaState.BREACHED) is SlaState.BREACHED
    assert combined(SlaState.AT_RISK, SlaState.MET) is SlaState.AT_RISK
    assert combined(SlaState.MET, SlaState.ON_TRACK) is SlaState.ON_TRACK
    assert combined(SlaState.MET, SlaState.MET) is SlaState.MET
