"""The audit trail, the durable event log, and idempotency records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Text, UniqueConstraint, false, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, uuid_pk


class Activity(Base):
    """One row per accepted change: who did what to which entity, and what changed.

    `customer_id` / `order_id` place the row on those timelines without joins. `internal` marks a row
    about something only people may read (an INTERNAL comment, a consultation note): timelines hide it
    from callers without Action.READ_INTERNAL_COMMENTS, as they hide the comment itself.
    """

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_customer_seq", "customer_id", "seq"),
        Index("ix_activity_entity_seq", "entity_type", "entity_id", "seq"),
        Index("ix_activity_order_seq", "order_id", "seq"),  # Order.timeline
    )

    # A sequence, not a timestamp, orders the trail: many changes can share one clock tick.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[uuid.UUID]
    summary: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    order_id: Mapped[uuid.UUID | None]
    internal: Mapped[bool] = mapped_column(default=False, server_default=false())


class Event(Base):
    """The durable event log that subscriptions replay. `id` is the global order and the cursor.

    Writers insert events under a transaction-scoped advisory lock (see db/repositories/events.py),
    so ids become visible in id order and a reader that remembers the last id never skips one.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_occurred_at", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[uuid.UUID]
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())


class IdempotencyRecord(Base):
    """First result of a create call, per caller and key, so a retry returns it instead of a copy."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("principal", "operation", "key"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    principal: Mapped[str] = mapped_column(String(80))
    operation: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    result_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
