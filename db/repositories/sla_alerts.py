"""What the SLA watcher's leader reads and writes: the running SLA clocks due for an announcement, the
announcements themselves, and the event log's retention (purge and watermark).

A clock *instance* is (subject, clock, due time). Every instance query yields the running instances only,
as columns `subject_id`, `owner_id` (the row holding the context: the ticket of a consultation, the
opportunity of a solution, else the subject itself), `started_at`, `due_at`. The state rule itself is
not written here: the caller passes it (`StateOf`, built from services/sla.py with its bound `now`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    DateTime,
    Interval,
    Select,
    String,
    exists,
    func,
    literal,
    literal_column,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, SQLCoreOperations

from db.models import ActionItem, Escalation, Opportunity, Order, SlaAnnouncement, Solution, Ticket, TicketComment
from db.models.realtime import ANNOUNCEMENT_IDENTITY
from services.rules.action_items import UNFINISHED_STATUSES
from services.rules.sla import SLA_ANNOUNCED_STATES
from services.rules.tickets import TICKET_DONE_STATUSES

# A query of running clock instances: subject_id, owner_id, started_at, due_at (`_columns`).
Instances = Select[*tuple[Any, ...]]

# (start, due) of a running clock -> 'ON_TRACK' | 'AT_RISK' | 'BREACHED' at the caller's instant.
StateOf = Callable[[Any, Any], ColumnElement[str]]


@dataclass(frozen=True)
class DueClock:
    """A running clock instance whose current state is due for an announcement not made yet."""

    subject_type: str
    subject_id: uuid.UUID
    clock: str
    state: str
    started_at: datetime
    due_at: datetime
    owner_id: uuid.UUID


def _columns(subject_id: Any, owner_id: Any, started_at: Any, due_at: Any) -> list[ColumnElement[Any]]:
    return [
        subject_id.label("subject_id"),
        owner_id.label("owner_id"),
        started_at.label("started_at"),
        due_at.label("due_at"),
    ]


# A clock answered late between two scans still owes its BREACHED announcement; looking this far back
# for such answers covers any pause of the watcher short of a day without flooding old history.
LATE_LOOKBACK = timedelta(days=1)


def _late(
    done_at: SQLCoreOperations[datetime | None], due_at: SQLCoreOperations[datetime | None], now: datetime | None
) -> ColumnElement[bool]:
    """Finished after its due time (recently): its state evaluates to BREACHED like a running overdue clock."""
    late = (done_at.is_not(None)) & (done_at > due_at)
    return late & (done_at >= now - LATE_LOOKBACK) if now is not None else late


def _first_response(_: timedelta, now: datetime | None = None) -> Instances:
    # Stopped by the first acknowledgement or customer-visible reply, or by resolving/closing the ticket.
    running = Ticket.first_responded_at.is_(None) & Ticket.status.not_in(TICKET_DONE_STATUSES)
    return select(*_columns(Ticket.id, Ticket.id, Ticket.sla_started_at, Ticket.first_response_due_at)).where(
        running | _late(Ticket.first_responded_at, Ticket.first_response_due_at, now)
    )


def _resolution(_: timedelta, now: datetime | None = None) -> Instances:
    # A reopened ticket's resolution clock runs again towards its original due time.
    return select(*_columns(Ticket.id, Ticket.id, Ticket.sla_started_at, Ticket.resolution_due_at)).where(
        Ticket.resolved_at.is_(None) | _late(Ticket.resolved_at, Ticket.resolution_due_at, now)
    )


def _order_confirmation(_: timedelta, now: datetime | None = None) -> Instances:
    # Runs while service has neither confirmed nor returned the order; a new hand-off is a new instance.
    running = (Order.status == "HANDED_OFF") & Order.handed_off_at.is_not(None)
    answered_late = _late(Order.confirmed_at, Order.confirmation_due_at, now) | _late(
        Order.returned_at, Order.confirmation_due_at, now
    )
    return select(*_columns(Order.id, Order.id, Order.handed_off_at, Order.confirmation_due_at)).where(
        Order.confirmation_due_at.is_not(None), running | answered_late
    )


def _solution_review(_: timedelta, now: datetime | None = None) -> Instances:
    # The latest solution while its opportunity waits in REVIEW (a lost opportunity stops the clock).
    return (
        select(*_columns(Solution.id, Solution.opportunity_id, Solution.submitted_at, Solution.review_due_at))
        .join(Opportunity, Opportunity.id == Solution.opportunity_id)
        .where(
            (Solution.reviewed_at.is_(None) & (Opportunity.stage == "REVIEW"))
            | _late(Solution.reviewed_at, Solution.review_due_at, now)
        )
    )


def _registration_ack(_: timedelta, now: datetime | None = None) -> Instances:
    return select(
        *_columns(Opportunity.id, Opportunity.id, Opportunity.registered_at, Opportunity.registration_ack_due_at)
    ).where(
        Opportunity.registered_at.is_not(None),
        Opportunity.registration_ack_due_at.is_not(None),
        ((Opportunity.stage == "REGISTERED") & Opportunity.registration_acknowledged_at.is_(None))
        | _late(Opportunity.registration_acknowledged_at, Opportunity.registration_ack_due_at, now),
    )


def _consultation_update(window: timedelta, now: datetime | None = None) -> Instances:
    """An open consultation owes the customer a visible progress update every `window`: the clock starts
    when the consultation opens and restarts at each customer-visible reply on the ticket after that."""
    latest_reply = (
        select(func.max(TicketComment.created_at).label("at"))
        .where(
            TicketComment.ticket_id == Escalation.ticket_id,
            TicketComment.visibility == "CUSTOMER",
            TicketComment.created_at > Escalation.requested_at,
        )
        .lateral("latest_reply")
    )  # once per consultation, however often `start` is referenced
    start = func.greatest(Escalation.requested_at, latest_reply.c.at, type_=DateTime(timezone=True))  # NULLs ignored
    # Seconds, not days: '1 day' would follow the session time zone's DST changes.
    span = literal_column(f"interval '{int(window.total_seconds())} seconds'", type_=Interval)
    return (
        select(*_columns(Escalation.id, Escalation.ticket_id, start, start + span))
        .join(latest_reply, true())
        .where(Escalation.status == "OPEN")
    )


def _action_item_due(window: timedelta, now: datetime | None = None) -> Instances:
    """An unfinished action item's due date, seen as a clock of `window` (services/sla.py
    ACTION_ITEM_WINDOW) ending at it: AT_RISK when due soon, BREACHED when overdue."""
    span = literal_column(f"interval '{int(window.total_seconds())} seconds'", type_=Interval)
    return select(*_columns(ActionItem.id, ActionItem.id, ActionItem.due_at - span, ActionItem.due_at)).where(
        ActionItem.status.in_(UNFINISHED_STATUSES)
    )


async def customer_update_due(
    session: AsyncSession, escalation_ids: list[uuid.UUID], window: timedelta
) -> list[tuple[uuid.UUID, datetime]]:
    """When each open consultation of `escalation_ids` owes its next customer-visible update (the
    watcher's `consultation_update` clock, read for these consultations only); closed ones are absent."""
    stmt = _consultation_update(window).where(Escalation.id.in_(escalation_ids))
    return [(row.subject_id, row.due_at) for row in (await session.execute(stmt)).all()]


# clock name -> (subject type, running instances)
CLOCKS: dict[str, tuple[str, Callable[[timedelta, datetime | None], Instances]]] = {
    "first_response": ("Ticket", _first_response),
    "resolution": ("Ticket", _resolution),
    "order_confirmation": ("Order", _order_confirmation),
    "solution_review": ("Solution", _solution_review),
    "registration_ack": ("Opportunity", _registration_ack),
    "consultation_update": ("Escalation", _consultation_update),
    "action_item_due": ("ActionItem", _action_item_due),
}


def _pending(
    clock: str, state_of: StateOf, windows: dict[str, timedelta], subject_id: uuid.UUID | None, now: datetime | None
) -> Select[*tuple[Any, ...]]:
    """The instances of `clock` due for an announcement, as `DueClock` columns."""
    subject_type, instances = CLOCKS[clock]
    inst = instances(windows.get(clock, timedelta(0)), now).subquery()
    state = state_of(inst.c.started_at, inst.c.due_at)
    announced = exists().where(
        SlaAnnouncement.subject_type == subject_type,
        SlaAnnouncement.subject_id == inst.c.subject_id,
        SlaAnnouncement.clock == clock,
        SlaAnnouncement.state == state,
        SlaAnnouncement.due_at == inst.c.due_at,
    )
    stmt = select(
        literal(subject_type, String).label("subject_type"),
        inst.c.subject_id,
        literal(clock, String).label("clock"),
        state.label("state"),
        inst.c.started_at,
        inst.c.due_at,
        inst.c.owner_id,
    ).where(state.in_(SLA_ANNOUNCED_STATES), ~announced)
    return stmt.where(inst.c.subject_id == subject_id) if subject_id is not None else stmt


async def due(
    session: AsyncSession,
    state_of: StateOf,
    *,
    consultation_window: timedelta,
    action_item_window: timedelta,
    clock: str | None = None,
    subject_id: uuid.UUID | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> list[DueClock]:
    """Running clock instances whose state (AT_RISK or BREACHED, by `state_of`) was not announced yet,
    earliest due first; narrowed to one clock and subject to re-check a single one. The windows: the
    consultation's update cadence and the action items' (services/sla.py)."""
    clocks = [clock] if clock is not None else list(CLOCKS)
    windows = {"consultation_update": consultation_window, "action_item_due": action_item_window}
    every = union_all(*(_pending(c, state_of, windows, subject_id, now) for c in clocks)).subquery()
    stmt = select(every).order_by(every.c.due_at, every.c.subject_id, every.c.clock, every.c.state)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [DueClock(**row._asdict()) for row in (await session.execute(stmt)).all()]


async def claim(session: AsyncSession, item: DueClock, announced_at: datetime) -> int | None:
    """Record the announcement of `item`; None when that instance and state was announced already
    (by another watcher, even one committing concurrently: the unique constraint decides)."""
    instance = {column: getattr(item, column) for column in ANNOUNCEMENT_IDENTITY}
    stmt = (
        pg_insert(SlaAnnouncement)
        .values(**instance, announced_at=announced_at)
        .on_conflict_do_nothing(index_elements=list(ANNOUNCEMENT_IDENTITY))
        .returning(SlaAnnouncement.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def set_event_id(session: AsyncSession, announcement_id: int, event_id: int) -> None:
    await session.execute(
        update(SlaAnnouncement).where(SlaAnnouncement.id == announcement_id).values(event_id=event_id)
    )


async def announcements(session: AsyncSession) -> list[SlaAnnouncement]:
    return list((await session.scalars(select(SlaAnnouncement).order_by(SlaAnnouncement.id))).all())


# ----------------------------------------------------------------------------- event log retention


async def try_advisory_lock(conn: Any, key: int) -> bool:
    """Session-level lock held for as long as `conn` lives (the watcher's leadership)."""
    return bool((await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})).scalar())


async def ping(conn: Any) -> None:
    await conn.execute(text("SELECT 1"))
