"""One reader of the event log per process, fanning events out to its subscribers in memory.

The hub reads `events` in id order (ids become visible in id order: see db/repositories/events.py),
when the bus says the log grew and on a periodic poll, so a lost wake-up only delays delivery.
Each subscriber has a bounded queue; one that falls behind is cut off (it can resume with `after`),
so a stalled client cannot make the server's memory grow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.repositories import events as events_repo
from db.repositories.events import LoggedEvent as LoggedEvent  # the hub's unit, re-exported
from services.i18n import T
from services.realtime.cohorts import Cohort, CohortRegistry, Member, Sink
from services.realtime.event_types import CREDENTIAL_TYPES

log = logging.getLogger("tandem.hub")


class SubscriberTooSlow(Exception):
    """The subscriber's queue filled up: it is cut off and may resume with its last cursor."""


class CursorExpired(Exception):
    """The cursor points before the log's retention window: events after it may be gone."""


Match = Callable[[LoggedEvent], bool]


class _CutOff:
    """Queued after the last event a too-slow subscriber will get."""


_CUT_OFF = _CutOff()


@dataclass(eq=False)
class _Subscriber:
    match: Match
    queue: asyncio.Queue[LoggedEvent | _CutOff]  # one slot more than the limit, so the cut-off marker always fits
    start: int  # hub position at registration: live events are those after it
    on_cut_off: Callable[[], None] | None = None
    overflowed: bool = False


class EventHub:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        poll_interval: float = 2.0,
        batch_size: int = 500,
        queue_size: int = 1000,
        connections: Any = None,
    ):
        self._sessions = sessions
        # services.realtime.connections.ConnectionRegistry of this process's open WebSockets, or None.
        self.connections = connections
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.queue_size = queue_size
        self.position = 0
        # For GET /metrics: the newest id the bus announced (lag = newest - position), events read.
        self.newest = 0
        self.dispatched = 0
        self._subscribers: set[_Subscriber] = set()
        # Subscriptions over WebSockets (services/realtime/cohorts.py); `stream` serves in-process readers.
        self.cohorts = CohortRegistry(pending_limit=queue_size)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.started = asyncio.Event()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers) + self.cohorts.member_count

    async def start(self) -> None:
        async with self._sessions() as session:
            self.position = await events_repo.latest_id(session)
        self._task = asyncio.create_task(self._run(), name="tandem-hub")
        self.started.set()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self, up_to: int = 0) -> None:
        """Called by the bus (any process committed events) and after local commits."""
        self.newest = max(self.newest, up_to)
        if up_to == 0 or up_to > self.position:
            self._wake.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            self._wake.clear()
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:  # database hiccup: keep the position, try again on the next tick
                log.exception("reading the event log failed; retrying")
                await asyncio.sleep(min(self.poll_interval, 1.0))

    async def catch_up(self) -> None:
        while True:
            async with self._sessions() as session:
                events = await events_repo.after(session, self.position, self.batch_size)
            for event in events:
                self._dispatch(event)
            if len(events) < self.batch_size:
                return

    def _dispatch(self, event: LoggedEvent) -> None:
        self.position = event.id
        self.dispatched += 1
        if event.type in CREDENTIAL_TYPES and self.connections is not None:
            # Before this event or any later one reaches a subscriber: a revoked socket gets nothing
            # committed after its revocation, and a re-scoped one renders later events with its new rights.
            try:
                self.connections.on_event(event)
            except Exception:  # never let it cost the subscribers this event
                log.exception("applying credential event %s to open connections failed", event.id)
        self.cohorts.offer(event)
        for sub in list(self._subscribers):
            if sub.overflowed or not sub.match(event):
                continue
            if sub.queue.qsize() >= self.queue_size:
                self._cut_off(sub)
            else:
                sub.queue.put_nowait(event)

    def _cut_off(self, sub: _Subscriber) -> None:
        sub.overflowed = True
        self._subscribers.discard(sub)
        sub.queue.put_nowait(_CUT_OFF)
        if sub.on_cut_off is not None:
            # The reader may be stuck behind a client that stopped reading; tell its connection directly.
            sub.on_cut_off()

    @contextlib.asynccontextmanager
    async def _registered(self, match: Match, on_cut_off: Callable[[], None] | None) -> AsyncIterator[_Subscriber]:
        await self.started.wait()
        sub = _Subscriber(match, asyncio.Queue(self.queue_size + 1), self.position, on_cut_off)
        self._subscribers.add(sub)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)

    def check_cursor(self, after: int | None, oldest_allowed: int | None) -> None:
        if after is not None and oldest_allowed is not None and after < oldest_allowed:
            raise CursorExpired(
                T("cursor {after} is older than the event log's retention; refetch and resubscribe", after=after)
            )

    def join_live(
        self, cohort: Cohort, sink: Sink, prefix: bytes, after: int | None, on_cut_off: Callable[[], None]
    ) -> Member | None:
        """Add a member to `cohort` at once when it has nothing to replay (no cursor, or one at or past
        the hub's position); None when it has (use `join`)."""
        if not self.started.is_set() or (after is not None and after < self.position):
            return None
        member = Member(cohort, sink, prefix, last=max(after or 0, self.position), on_cut_off=on_cut_off)
        cohort.members.add(member)
        return member

    async def join(
        self,
        cohort: Cohort,
        sink: Sink,
        prefix: bytes,
        after: int | None,
        on_cut_off: Callable[[], None],
        on_joined: Callable[[Member], None] | None = None,
    ) -> Member:
        """Add a member to `cohort`: live from the hub's position now, after replaying the log from
        `after` (exclusive) up to it when `after` is behind. Returns once the member is live; a
        member whose replay fails or is cancelled has left again."""
        await self.started.wait()
        start = self.position
        member = Member(cohort, sink, prefix, last=start if after is None else after, on_cut_off=on_cut_off)
        member.replaying = member.last < start
        cohort.members.add(member)
        if on_joined is not None:
            on_joined(member)
        if not member.replaying:
            member.last = max(member.last, start)
            return member
        try:
            async for event in self._replay(cohort.match, member.last, start):
                if not member.active:
                    return member
                payload = await cohort.payload(event)
                if member.active and event.id > member.last:
                    member.last = event.id
                    sink.push(prefix + payload + b"}")
            member.last = max(member.last, start)
            member.end_replay()
        except BaseException:
            member.leave()
            raise
        return member

    async def stream(
        self,
        match: Match,
        after: int | None = None,
        *,
        oldest_allowed: int | None = None,
        on_cut_off: Callable[[], None] | None = None,
    ) -> AsyncIterator[LoggedEvent]:
        """Matching events after `after` (replayed from the log), then live ones; in log order,
        without a gap or a duplicate at the switch. `after=None` means live events only."""
        self.check_cursor(after, oldest_allowed)
        async with self._registered(match, on_cut_off) as sub:
            last = after if after is not None else sub.start
            if last < sub.start:
                # Everything between the cursor and the hub's position at registration comes from
                # the log; everything after it arrives in the queue (registered before reading).
                async for event in self._replay(match, last, sub.start):
                    last = event.id
                    yield event
            while True:
                event = await self._next(sub)
                if event.id <= last:
                    continue  # already replayed
                last = event.id
                yield event

    @staticmethod
    async def _next(sub: _Subscriber) -> LoggedEvent:
        item = await sub.queue.get()
        if isinstance(item, _CutOff):
            raise SubscriberTooSlow("subscriber fell behind; resume with `after` set to the last cursor received")
        return item

    async def _replay(self, match: Match, after: int, up_to: int) -> AsyncIterator[LoggedEvent]:
        cursor = after
        while cursor < up_to:
            async with self._sessions() as session:
                events = await events_repo.after(session, cursor, self.batch_size, up_to=up_to)
            if not events:
                return
            for event in events:
                cursor = event.id
                if match(event):
                    yield event
