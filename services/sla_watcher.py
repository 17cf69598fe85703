"""The SLA watcher (DOMAIN.md § SLA): announces AT_RISK (80 % of the window passed) and BREACHED (past
the due time), once each, for every running SLA clock: ticket first response and resolution, order
confirmation, solution review, registration acknowledgement, and the consultation's progress updates.
Announcements are SLA_AT_RISK / SLA_BREACHED events (the `slaAlerts` stream, both departments).

- One active watcher across server processes: a dedicated connection holds a SESSION-level advisory
  lock; only its holder scans, the others try again every `interval`. When the holder's connection
  dies, PostgreSQL releases the lock and another process takes over (the old holder stands back for
  STAND_BACK_INTERVALS intervals first; alone, it leads again after them).
- Exactly once: each announcement inserts its row into `sla_announcements` (unique per clock instance
  and state) in the same transaction as its event, so two watchers, a restart or a retry never
  announce one twice (the lock only saves work; the constraint is what guarantees it).
- Nothing missed while every server was down: a scan finds every running instance by its state *now*
  (the business clock's instant, bound into the SQL), so a breach found late is announced once, as
  BREACHED only (its AT_RISK moment has passed).
- The leader also purges the event log past its retention (services/event_retention.py), hourly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import null
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from db.repositories import action_items as action_items_repo
from db.repositories import customers as customers_repo
from db.repositories import opportunities as opportunities_repo
from db.repositories import orders as orders_repo
from db.repositories import sla_alerts as repo
from db.repositories import tickets as tickets_repo
from db.repositories.sla_alerts import DueClock, StateOf
from services import event_retention, notifications, sla
from services.clock import Clock
from services.opportunity_transitions import solution_payload
from services.rules.notifications import NotificationKind
from services.ticket_transitions import event_payload as ticket_payload
from services.unit_of_work import EventAnnouncer, unit_of_work

log = logging.getLogger("tandem.sla_watcher")

# Advisory lock keys of Tandem: 0x7A6E_0000 migrations, 0x7A6E_0001 event appends.
SLA_WATCHER_LOCK = 0x7A6E_0002

# Intervals a watcher that lost its lock connection waits before trying to lead again: every other
# watcher tries at least once meanwhile (each tries once per interval).
STAND_BACK_INTERVALS = 2

# How often the leader purges the event log beyond its retention.
PURGE_EVERY = timedelta(hours=1)

_CLOCK_LABELS = {
    "first_response": "first response",
    "resolution": "resolution",
    "order_confirmation": "confirmation",
    "solution_review": "review",
    "registration_ack": "registration acknowledgement",
    "consultation_update": "consultation update",
    "action_item_due": "due date",
}
_STATE_WORDS = {"AT_RISK": "at risk", "BREACHED": "breached"}
_DUE_WORDS = {"AT_RISK": "due within 24 h", "BREACHED": "overdue"}


def state_at(now: datetime) -> StateOf:
    """services/sla.py's rule for a clock still running, at the instant `now`."""
    return lambda start, due: sla.clock_state_sql(start, due, null(), now)


@dataclass
class _Subject:
    """What an announcement says about its subject: where it is recorded and what its payload carries."""

    label: str  # "Ticket T-000012"
    customer_id: uuid.UUID | None
    order_id: uuid.UUID | None
    payload: dict[str, Any] = field(default_factory=dict)
    # Who is told (its owner or assignee), and the Node their notification is about.
    told: list[uuid.UUID | None] = field(default_factory=list)
    node_type: str | None = None
    node_id: uuid.UUID | None = None


class SlaWatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        announcer: EventAnnouncer | None = None,
        *,
        interval: float = 15.0,
        retention_days: int = event_retention.DEFAULT_RETENTION_DAYS,
        batch_size: int = 200,
    ):
        self.sessions = sessions
        self.clock = clock
        self.announcer = announcer
        self.interval = interval
        self.retention_days = retention_days
        self.batch_size = batch_size
        self._engine = sessions.kw["bind"]
        self._lock_conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        # After losing its lock connection a process stands back for a while (time.monotonic() until
        # which it does not try to lead), so that a healthy process takes over rather than the one
        # whose connection just died racing it for the lock; alone, it leads again after the pause.
        self._stand_back_until = 0.0
        self._next_purge: datetime | None = None
        # For GET /metrics (web/metrics.py): scans finished and failed, instances announced, last scan's time.
        self.scans = self.scan_failures = self.announced = 0
        self.last_scan: float | None = None

    @property
    def is_leader(self) -> bool:
        return self._lock_conn is not None

    # ------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="tandem-sla-watcher")

    async def stop(self) -> None:
        """Stop the loop and give up leadership (another process takes over at its next try)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._resign()

    async def _run(self) -> None:
        while True:
            try:
                if await self._lead():
                    self.announced += await self.run_once()
                    self.scans, self.last_scan = self.scans + 1, time.time()
                    await self._purge_if_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # database hiccup: the next tick retries (announcements are idempotent)
                self.scan_failures += 1
                log.exception("SLA watcher tick failed; retrying in %.1f s", self.interval)
            await asyncio.sleep(self.interval)

    async def _lead(self) -> bool:
        """True while this process holds the watcher lock: check a held lock's connection, else try to take it."""
        if self._lock_conn is not None:
            try:
                async with asyncio.timeout(max(self.interval, 5.0)):
                    await repo.ping(self._lock_conn)
                return True
            except Exception:  # noqa: BLE001 - whatever the ping raised, the lock connection is gone: resign
                log.warning("SLA watcher lost its lock connection; resigning leadership")
                await self._resign()
                self._stand_back_until = time.monotonic() + STAND_BACK_INTERVALS * self.interval
        if time.monotonic() < self._stand_back_until:
            return False
        conn = await self._engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")  # never idle in a transaction
            got = await repo.try_advisory_lock(conn, SLA_WATCHER_LOCK)
        except BaseException:
            await _discard(conn)
            raise
        if not got:
            await conn.close()  # it holds no lock: back to the pool
            return False
        self._lock_conn = conn
        self._next_purge = None  # a new leader purges at once, then hourly
        log.info("this process is now the SLA watcher leader")
        return True

    async def _resign(self) -> None:
        conn, self._lock_conn = self._lock_conn, None
        if conn is not None:
            await _discard(conn)  # closing the session releases its session-level lock

    async def _purge_if_due(self) -> None:
        now = self.clock.now()
        if self._next_purge is not None and now < self._next_purge:
            return
        deleted = await event_retention.purge(self.sessions, self.clock, self.retention_days)
        self._next_purge = now + PURGE_EVERY
        if deleted:
            log.info("purged %d events older than %d days", deleted, self.retention_days)

    # ------------------------------------------------------------------------- one scan

    async def run_once(self) -> int:
        """Announce every clock instance due now and not announced yet; returns how many were announced.
        Scans whether or not this watcher leads (the loop calls it only while leading): duplicates are
        impossible either way."""
        total = 0
        while True:
            async with self.sessions() as session:
                now = self.clock.now()
                found = await repo.due(
                    session,
                    state_at(now),
                    consultation_window=sla.CONSULTATION_UPDATE,
                    action_item_window=sla.ACTION_ITEM_WINDOW,
                    limit=self.batch_size,
                    now=now,
                )
            made = 0
            for item in found:
                try:
                    made += await self._announce(item)
                except Exception:  # one bad item must not block the others; it is retried next scan
                    log.exception(
                        "announcing %s %s %s of %s %s failed",
                        item.clock,
                        item.state,
                        item.due_at,
                        item.subject_type,
                        item.subject_id,
                    )
            total += made
            if len(found) < self.batch_size or made == 0:
                return total

    async def _announce(self, item: DueClock) -> bool:
        announcement_id = None
        async with unit_of_work(self.sessions, None, self.clock, self.announcer) as uow:
            # Re-check in this transaction, at its instant: the clock may have stopped since the scan.
            current = await repo.due(
                uow.session,
                state_at(uow.now),
                consultation_window=sla.CONSULTATION_UPDATE,
                action_item_window=sla.ACTION_ITEM_WINDOW,
                clock=item.clock,
                subject_id=item.subject_id,
                now=uow.now,
            )
            if not current:
                return False
            item = current[0]
            announcement_id = await repo.claim(uow.session, item, uow.now)
            if announcement_id is None:  # another watcher was faster
                return False
            subject = await _describe(uow.session, item)
            event = "SLA_AT_RISK" if item.state == "AT_RISK" else "SLA_BREACHED"
            uow.record(
                action=f"sla.{item.state.lower()}",
                entity_type=item.subject_type,
                entity_id=item.subject_id,
                summary=f"{subject.label} {_CLOCK_LABELS.get(item.clock, item.clock)} "
                f"{_STATE_WORDS[item.state]} (due {_when(item.due_at, uow.now)})",
                customer_id=subject.customer_id,
                order_id=subject.order_id,
                event=event,
                payload={
                    **subject.payload,
                    "subjectType": item.subject_type,
                    "subjectId": item.subject_id,
                    "clock": item.clock,
                    "state": item.state,
                    "dueAt": item.due_at,
                    "startedAt": item.started_at,
                },
            )
            # The person who owns or is assigned the item is told (services/notifications.py).
            kind = NotificationKind.ACTION_ITEM_DUE if item.subject_type == "ActionItem" else NotificationKind.SLA_ALERT
            if item.subject_type == "ActionItem":
                notice = f"{subject.label} {_DUE_WORDS[item.state]}"
            else:
                notice = f"{subject.label} {_CLOCK_LABELS.get(item.clock, item.clock)} {_STATE_WORDS[item.state]}"
            await notifications.notify(
                uow,
                subject.told,
                kind,
                f"{notice} (due {_when(item.due_at, uow.now)} UTC)",
                subject.node_type,
                subject.node_id,
            )
        if uow.committed_events:  # a back-reference for operators; the event itself is what matters
            try:
                async with self.sessions() as session, session.begin():
                    await repo.set_event_id(session, announcement_id, uow.committed_events[0].id)
            except Exception:
                log.warning("could not store event id of SLA announcement %s", announcement_id, exc_info=True)
        return True


def _when(due: datetime, now: datetime) -> str:
    """'10:30' on the day of `now`, else '2026-03-02 10:30' (UTC, like every stored time)."""
    return f"{due:%H:%M}" if due.date() == now.date() else f"{due:%Y-%m-%d %H:%M}"


async def _ticket_subject(
    session: AsyncSession, ticket_id: uuid.UUID, *also_told: uuid.UUID | None, **extra: Any
) -> _Subject:
    ticket = await tickets_repo.get(session, ticket_id)
    assert ticket is not None
    escalated = bool(await tickets_repo.escalated_ticket_ids(session, [ticket.id]))
    customer_name = await customers_repo.name_of(session, ticket.customer_id)
    # The tickets service's own payload fields, so ticket boards filter SLA alerts like ticket events.
    return _Subject(
        f"Ticket {ticket.number}",
        ticket.customer_id,
        ticket.order_id,
        ticket_payload(ticket, escalated=escalated, customer_name=customer_name, **extra),
        told=[ticket.assignee_id, *also_told],
        node_type="Ticket",
        node_id=ticket.id,
    )


async def _describe(session: AsyncSession, item: DueClock) -> _Subject:
    if item.subject_type == "Ticket":
        return await _ticket_subject(session, item.subject_id)
    if item.subject_type == "Escalation":
        escalations = await tickets_repo.escalations_by_ids(session, [item.subject_id])
        requester = escalations[0].requested_by_id if escalations else None
        return await _ticket_subject(session, item.owner_id, requester, escalationId=item.subject_id)
    if item.subject_type == "Order":
        order = await orders_repo.get(session, item.subject_id)
        assert order is not None
        return _Subject(
            f"Order {order.number}",
            order.customer_id,
            order.id,
            {"number": order.number},
            told=[order.owner_id],
            node_type="Order",
            node_id=order.id,
        )
    if item.subject_type == "ActionItem":
        action = await action_items_repo.get(session, item.subject_id)
        assert action is not None
        return _Subject(
            f"Action item {action.number}",
            action.customer_id,
            None,
            {"actionItemId": action.id, "number": action.number, "ownerId": action.owner_id},
            told=[action.owner_id],
            node_type="ActionItem",
            node_id=action.id,
        )
    opportunity = await opportunities_repo.get(session, item.owner_id)
    assert opportunity is not None
    payload = {"opportunityId": opportunity.id, "title": opportunity.title, "stage": opportunity.stage}
    told: list[uuid.UUID | None] = [opportunity.owner_id, opportunity.service_lead_id]
    if item.subject_type == "Solution":
        solution = next(
            s for s in await opportunities_repo.solutions_of(session, [opportunity.id]) if s.id == item.subject_id
        )
        return _Subject(
            f"Solution v{solution.revision} of {opportunity.title!r}",
            opportunity.customer_id,
            opportunity.order_id,
            {**payload, **solution_payload(solution)},
            told=told,
            node_type="Opportunity",
            node_id=opportunity.id,
        )
    return _Subject(
        f"Project {opportunity.title!r}",
        opportunity.customer_id,
        opportunity.order_id,
        payload,
        told=told,
        node_type="Opportunity",
        node_id=opportunity.id,
    )


async def _discard(conn: AsyncConnection) -> None:
    """Close a connection for good (not back to the pool): its session and session locks end with it."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()
