"""services/realtime/cohorts.py without a server: ordering, replay hand-over and the bounds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from services.realtime import cohorts
from services.realtime.cohorts import CohortRegistry, CursorSource, Member
from services.realtime.hub import LoggedEvent


class Sink:
    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.closed = False

    def push(self, frame: bytes) -> None:
        self.frames.append(frame)


def event(event_id: int, kind: str = "TICKET_UPDATED") -> LoggedEvent:
    return LoggedEvent(event_id, kind, "Ticket", "t", {}, None, datetime.now(UTC))


async def render(e: LoggedEvent) -> bytes:
    await asyncio.sleep(0)
    return b'{"n":%d}' % e.id


def test_remembered_documents_are_bounded(monkeypatch):
    monkeypatch.setattr(cohorts, "KNOWN_DOCUMENTS", 3)
    registry = CohortRegistry()
    for i in range(10):
        registry.remember(f"subscription {{ events{i} }}", None, CursorSource())
    assert list(registry.documents) == [(f"subscription {{ events{i} }}", None) for i in (7, 8, 9)]


async def test_a_cohort_renders_once_and_delivers_in_order_without_duplicates():
    registry = CohortRegistry()
    cohort = registry.get_or_create("k", lambda e: e.type == "TICKET_UPDATED", lambda: render)
    sinks = [Sink(), Sink()]
    members = [Member(cohort, sink, b'{"id":"1","payload":', last=0, on_cut_off=lambda: None) for sink in sinks]
    cohort.members.update(members)
    before = cohorts.RENDERS.renders
    for e in (event(1), event(2, "ORDER_CREATED"), event(3), event(3)):
        registry.offer(e)
    await asyncio.sleep(0.05)
    assert cohorts.RENDERS.renders - before == 2  # event 3 offered twice: rendered once, delivered once
    for sink in sinks:
        assert sink.frames == [b'{"id":"1","payload":{"n":1}}', b'{"id":"1","payload":{"n":3}}']


async def test_a_replaying_member_holds_live_events_and_is_cut_off_past_its_limit():
    registry = CohortRegistry(pending_limit=2)
    cohort = registry.get_or_create("k", lambda e: True, lambda: render)
    cut: list[bool] = []
    member = Member(cohort, Sink(), b"[", last=0, on_cut_off=lambda: cut.append(True), replaying=True)
    cohort.members.add(member)
    member.deliver(5, b"5")
    member.deliver(6, b"6")
    assert not cut
    member.end_replay()
    assert member.sink.frames == [b"[5}", b"[6}"]  # type: ignore[attr-defined]
    member.replaying = True
    for i in (7, 8, 9):
        member.deliver(i, b"x")
    assert cut == [True] and not member.active and not registry.cohorts  # the last member left: no cohort
