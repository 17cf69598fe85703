"""Live subscriptions grouped by what they receive: each event is matched, rendered and encoded once
per cohort, and every member gets the same bytes inside its own frame.

A cohort is every subscription with the same operation, the same variables (the cursor aside) and the
same permission scope (a column of the authorization matrix): they would all get the same payload
for every event, so the cohort renders it once (`Render`, supplied by the schema layer) and its
members only wrap it in their frame (`{"id":…,"type":"next","payload":` + payload + `}`) and hand it
to their connection's `Sink`, a bounded byte buffer (web/outbox.py). No per-subscriber queue, task,
GraphQL execution or JSON encoding is left on the delivery path.

Order and completeness (what the hub's queue-based `stream` guarantees, kept here):
- a cohort's events are rendered and delivered one after the other, in log order (one pump task per
  cohort, not per subscriber);
- a member joins at the hub's position P, synchronously: events after P come from its cohort; events
  from its cursor up to P are replayed from the log first, through the same renders, while the live
  ones arriving meanwhile wait in the member (bounded: too many and it is cut off, as a slow reader);
- a member never gets an event twice: it remembers the last id it delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Hashable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from db.repositories.events import LoggedEvent

log = logging.getLogger("tandem.cohorts")

Render = Callable[[LoggedEvent], Awaitable[bytes]]
Match = Callable[[LoggedEvent], bool]

# Renders kept per cohort for members that replay the same recent events (a board reconnecting
# after a restart replays what its cohort rendered live a moment ago).
RECENT_RENDERS = 64
# Documents whose cursor argument is remembered (for joining without GraphQL); the oldest are forgotten
# beyond this, so that no stream of distinct documents can grow the process's memory without bound.
KNOWN_DOCUMENTS = 4096


class Sink(Protocol):
    """A connection's outgoing data frames (web/outbox.py)."""

    @property
    def closed(self) -> bool: ...

    def push(self, frame: bytes) -> None: ...


class RenderCounters:
    """`/healthz` `renders` and `sharedRenders`: renders made, and deliveries that reused one."""

    renders = 0
    hits = 0


RENDERS = RenderCounters()


@dataclass(eq=False)
class Member:
    """One live subscription: where its frames go and the last event it was given."""

    cohort: Cohort
    sink: Sink
    prefix: bytes  # the frame up to the payload: b'{"id":"7","type":"next","payload":'
    last: int
    on_cut_off: Callable[[], None]
    replaying: bool = False
    # Live events held while it replays; None otherwise (a deque is ~0.7 KiB, an idle member keeps none).
    pending: deque[tuple[int, bytes]] | None = None
    active: bool = True

    def deliver(self, event_id: int, payload: bytes) -> None:
        if not self.active or event_id <= self.last:
            return
        if self.replaying:
            if self.pending is None:
                self.pending = deque()
            self.pending.append((event_id, payload))
            if len(self.pending) > self.cohort.registry.pending_limit:
                self.cut_off()
            return
        self.last = event_id
        self.sink.push(self.prefix + payload + b"}")

    def end_replay(self) -> None:
        self.replaying = False
        pending, self.pending = self.pending, None
        while pending and self.active:
            event_id, payload = pending.popleft()
            self.deliver(event_id, payload)

    def cut_off(self) -> None:
        """It fell behind by a whole buffer: it leaves, and its connection is told (4413)."""
        if self.active:
            self.leave()
            self.on_cut_off()

    def leave(self) -> None:
        if self.active:
            self.active = False
            self.pending = None
            self.cohort.remove(self)


class Cohort:
    def __init__(self, registry: CohortRegistry, key: Hashable, match: Match, render: Render):
        self.registry = registry
        self.key = key
        self.match = match
        self._render = render
        self.members: set[Member] = set()
        self._queue: deque[LoggedEvent] = deque()
        self._pump: asyncio.Task[None] | None = None
        self._recent: OrderedDict[int, asyncio.Future[bytes]] = OrderedDict()

    def offer(self, event: LoggedEvent) -> None:
        """The hub read `event`: queue it for rendering if it is this cohort's."""
        if not self.match(event):
            return
        self._queue.append(event)
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._run(), name="tandem-cohort")

    async def _run(self) -> None:
        try:
            while self._queue:
                event = self._queue.popleft()
                if not self.members:
                    continue
                payload = await self.payload(event)
                members = list(self.members)
                RENDERS.hits += max(0, sum(1 for m in members if m.active and not m.replaying) - 1)
                for member in members:
                    member.deliver(event.id, payload)
        finally:
            self._pump = None

    async def payload(self, event: LoggedEvent) -> bytes:
        """The event rendered for this cohort, once: live delivery and replays share it."""
        future = self._recent.get(event.id)
        if future is not None:
            return await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        self._recent[event.id] = future
        if len(self._recent) > RECENT_RENDERS:
            self._recent.popitem(last=False)
        RENDERS.renders += 1
        try:
            payload = await self._render(event)
        except BaseException as error:
            self._recent.pop(event.id, None)
            future.set_exception(error)
            future.exception()  # retrieved: whoever waits gets it, nobody logs it as lost
            raise
        future.set_result(payload)
        return payload

    def remove(self, member: Member) -> None:
        self.members.discard(member)
        if not self.members:
            self.registry.forget(self)


class CohortRegistry:
    """The cohorts of one process (the hub offers them every event it reads)."""

    def __init__(self, pending_limit: int = 1000):
        self.pending_limit = pending_limit  # live events a replaying member may hold back
        self.cohorts: dict[Hashable, Cohort] = {}
        # (query, operation name) -> how its cursor argument is given: ("variable", name), ("literal",
        # value) or None; learnt when its first cohort is made, used to join later ones without GraphQL.
        self.documents: dict[tuple[str, str | None], CursorSource] = {}

    @property
    def member_count(self) -> int:
        return sum(len(c.members) for c in self.cohorts.values())

    def remember(self, query: str, operation_name: str | None, source: CursorSource) -> None:
        key = (query, operation_name)
        self.documents.pop(key, None)
        self.documents[key] = source
        while len(self.documents) > KNOWN_DOCUMENTS:
            del self.documents[next(iter(self.documents))]

    def get_or_create(self, key: Hashable, match: Match, make_render: Callable[[], Render]) -> Cohort:
        cohort = self.cohorts.get(key)
        if cohort is None:
            cohort = self.cohorts[key] = Cohort(self, key, match, make_render())
        return cohort

    def forget(self, cohort: Cohort) -> None:
        if self.cohorts.get(cohort.key) is cohort:
            del self.cohorts[cohort.key]

    def offer(self, event: LoggedEvent) -> None:
        for cohort in list(self.cohorts.values()):
            try:
                cohort.offer(event)
            except Exception:  # a broken predicate must not cost the other cohorts this event
                log.exception("matching event %s for a cohort failed", event.id)


@dataclass(frozen=True)
class CursorSource:
    """Where a document's subscription takes its `after:` from."""

    variable: str | None = None  # `after: $name`, and $name is used nowhere else
    literal: str | None = None  # `after: "123"` written in the document


@dataclass(eq=False)
class Joining:
    """A subscription being started over a WebSocket (web/ws.py sets it for the operation's task; the
    subscription resolver finds it and joins a cohort instead of streaming events itself)."""

    sink: Sink
    prefix: bytes
    query: str
    variables: dict[str, Any]
    operation_name: str | None
    on_cut_off: Callable[[], None]
    on_joined: Callable[[Member], None]
    # Rejoining after a re-scope: the cursor to resume from instead of the operation's own `after`.
    resume_from: int | None = None
    member: Member | None = None


JOINING: ContextVar[Joining | None] = ContextVar("tandem_joining", default=None)


@contextlib.contextmanager
def joining(value: Joining) -> Any:
    token = JOINING.set(value)
    try:
        yield value
    finally:
        JOINING.reset(token)
