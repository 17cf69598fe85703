"""Bookkeeping of the real-time side: SLA announcements made by the watcher, and the event log's
retention watermark."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Identity, SmallInteger, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from services.rules.sla import SLA_ANNOUNCED_STATES

# What makes an announcement: its clock instance and state (the unique constraint's columns).
ANNOUNCEMENT_IDENTITY = ("subject_type", "subject_id", "clock", "state", "due_at")


class SlaAnnouncement(Base):
    """One row per announced (clock instance, state): the unique constraint makes announcing idempotent
    across watchers and restarts. A clock instance is (subject, clock, due time): a due time re-targeted
    by a priority change, or a consultation clock restarted by a customer-visible update, is a new
    instance and is announced again; the same instance never twice.

    Append-only (no `Versioned`): only `event_id` is filled in once, right after the event was logged.
    `event_id` has no foreign key: the event log is purged after its retention period, these rows stay.
    """

    __tablename__ = "sla_announcements"
    __table_args__ = (
        UniqueConstraint(*ANNOUNCEMENT_IDENTITY),
        CheckConstraint(f"state IN {SLA_ANNOUNCED_STATES}", name="state"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(40))  # 'Ticket', 'Order', 'Solution', 'Opportunity', ...
    subject_id: Mapped[uuid.UUID]
    clock: Mapped[str] = mapped_column(String(40))  # 'first_response', 'order_confirmation', ...
    state: Mapped[str] = mapped_column(String(10))
    due_at: Mapped[datetime]
    announced_at: Mapped[datetime]
    event_id: Mapped[int | None] = mapped_column(BigInteger)


class EventLogState(Base):
    """The single row (id = 1) describing the event log: every event with an id ≤ `purged_through` may be
    gone, so a subscription cursor below it is refused. Only ever raised (GREATEST), by the purge, so it
    needs no optimistic version."""

    __tablename__ = "event_log_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    purged_through: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    purged_at: Mapped[datetime | None]
