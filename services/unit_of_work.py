"""One business action = one transaction: its changes, its audit rows and its events commit together.

Audit rows and events are buffered while the action runs, written in one statement just before
COMMIT (db/repositories/events.py `append`), and the events are announced to listeners only after
the commit succeeded; a rollback drops them.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from db.models import Activity, Event
from db.repositories import events as events_repo
from db.repositories import idempotency as idempotency_repo
from db.repositories.events import NewEvent
from services import i18n
from services.clock import Clock
from services.errors import DomainError, ErrorCode
from services.policy import Policy
from services.principal import Principal
from services.realtime.event_types import EVENT_TYPES

log = logging.getLogger("tandem.uow")
T = TypeVar("T")


class EventAnnouncer(Protocol):
    """Told about events after their transaction committed (the real-time bus implements it)."""

    async def announce(self, events: list[Event]) -> None: ...


IDEMPOTENCY_KEY_MAX = 200  # the column's width (idempotency_records.key)


@dataclass(frozen=True)
class Subject:
    """What a recorded change is about: the entity, the timelines it shows on (its customer's, its
    order's), and what every event about it carries (`payload`, before the event's own entries)."""

    entity_type: str
    entity_id: uuid.UUID
    customer_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


class UnitOfWork:
    def __init__(self, session: AsyncSession, actor: Principal | None, clock: Clock, policy: Policy | None = None):
        self.session = session
        self.actor = actor
        self.clock = clock
        self.policy = policy or Policy()  # the configurable periods of the company policy
        self.now = clock.now()  # one instant for the whole action: all its rows agree on it
        self._events: list[NewEvent] = []
        self._activities: list[Activity] = []
        self.committed_events: list[Event] = []

    @property
    def actor_id(self) -> uuid.UUID | None:
        return self.actor.user_id if self.actor else None

    def record(
        self,
        *,
        action: str,
        entity_type: str,
        entity_id: uuid.UUID,
        summary: str,
        changes: dict[str, Any] | None = None,
        customer_id: uuid.UUID | None = None,
        order_id: uuid.UUID | None = None,
        event: str | None = None,
        payload: dict[str, Any] | None = None,
        internal: bool = False,
    ) -> None:
        """Record the audit row of an accepted change and, when `event` is given, its event (both are
        written at the end of the unit of work, just before COMMIT).

        `internal`: the change is about something API keys may not read (an INTERNAL comment, a
        consultation note); timelines then hide the row from them too."""
        if event is not None and event not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event!r}: add it to services/realtime/event_types.py")
        # Written with the events at the end of the unit of work, in one statement (_append_events).
        self._activities.append(
            Activity(
                at=self.now,
                actor_id=self.actor_id,
                action=action,
                entity_type=entity_type,
                entity_id=entity_id,
                summary=summary,
                changes=_jsonable(changes or {}),
                customer_id=customer_id,
                order_id=order_id,
                internal=internal,
            )
        )
        if event:
            self._events.append(
                NewEvent(
                    type=event,
                    entity_type=entity_type,
                    entity_id=entity_id,
                    payload=_jsonable({"customerId": customer_id, "orderId": order_id, **(payload or {})}),
                    actor_id=self.actor_id,
                    occurred_at=self.now,
                )
            )

    def emit(self, event: str, entity_type: str, entity_id: uuid.UUID, payload: dict[str, Any]) -> None:
        """An event with no audit row: a consequence that is not a change of record (a personal
        notification, whose cause already has its activity), written with the rest at COMMIT."""
        if event not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event!r}: add it to services/realtime/event_types.py")
        self._events.append(
            NewEvent(
                type=event,
                entity_type=entity_type,
                entity_id=entity_id,
                payload=_jsonable(payload),
                actor_id=self.actor_id,
                occurred_at=self.now,
            )
        )

    def record_about(
        self,
        subject: Subject,
        action: str,
        summary: str,
        event: str | None = None,
        *,
        changes: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        """`record` for a change of `subject`."""
        self.record(
            action=action,
            entity_type=subject.entity_type,
            entity_id=subject.entity_id,
            summary=summary,
            changes=changes,
            customer_id=subject.customer_id,
            order_id=subject.order_id,
            event=event,
            payload={**subject.payload, **(payload or {})},
        )

    async def idempotent(
        self,
        operation: str,
        key: str | None,
        request: Any,
        create: Callable[[], Awaitable[T]],
        load: Callable[[uuid.UUID], Awaitable[T]],
        result_id: Callable[[T], uuid.UUID],
    ) -> T:
        """Run `create` once per (caller, operation, key); a retry gets the first result back.

        The same key with a different request is refused: it is almost always a client bug.
        """
        if not key:
            return await create()
        if len(key) > IDEMPOTENCY_KEY_MAX:
            raise DomainError(
                ErrorCode.VALIDATION,
                i18n.T("idempotencyKey is longer than {n} characters", n=IDEMPOTENCY_KEY_MAX),
                ["idempotencyKey"],
            )
        if self.actor is None:
            raise DomainError(ErrorCode.FORBIDDEN, "idempotency keys need an authenticated caller")
        scope = self.actor.idempotency_scope
        digest = hashlib.sha256(orjson.dumps(_jsonable(request), option=orjson.OPT_SORT_KEYS)).hexdigest()
        if await idempotency_repo.claim(self.session, scope, operation, key, digest):
            result = await create()
            await idempotency_repo.store_result(self.session, scope, operation, key, result_id(result))
            return result
        record = await idempotency_repo.existing(self.session, scope, operation, key)
        assert record is not None  # the claim failed because this row exists
        if record.request_hash != digest:
            raise DomainError(
                ErrorCode.DUPLICATE,
                i18n.T(
                    "idempotencyKey {key} was already used for a different {operation} request",
                    key=repr(key),
                    operation=operation,
                ),
                ["idempotencyKey"],
            )
        assert record.result_id is not None
        return await load(record.result_id)

    async def _append_events(self) -> list[Event]:
        return await events_repo.append(self.session, self._events, self._activities)


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession],
    actor: Principal | None,
    clock: Clock,
    announcer: EventAnnouncer | None = None,
    policy: Policy | None = None,
) -> AsyncIterator[UnitOfWork]:
    """Open a transaction; commit when the block ends normally, roll back on any exception."""
    async with sessions() as session:
        uow = UnitOfWork(session, actor, clock, policy)
        try:
            async with session.begin():
                yield uow
                appended = await uow._append_events()
            uow.committed_events = appended  # only now: the COMMIT (which can still fail) went through
        except StaleDataError as exc:
            # A concurrent writer bumped the row's version between our read and our write.
            raise DomainError(
                ErrorCode.VERSION_CONFLICT, "the record was changed concurrently; reload and retry", ["expectedVersion"]
            ) from exc
    if announcer is not None and uow.committed_events:
        try:
            await announcer.announce(uow.committed_events)
        except Exception:  # the log is the source of truth; listeners also catch up by polling
            log.exception("announcing %d committed events failed", len(uow.committed_events))


def _jsonable(value: Any) -> Any:
    """JSON-safe copy (UUIDs, datetimes, decimals, enums as strings) for JSONB columns and hashing."""
    return orjson.loads(orjson.dumps(value, default=str))
