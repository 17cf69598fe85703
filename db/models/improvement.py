"""The improvement loop (after-sale 3): action items (整改) with an owner, a due date and a verified effect."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Sequence, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamped, Versioned, uuid_pk
from db.models.keysets import keyset_indexes
from services.rules.action_items import ACTION_ITEM_SOURCES, ACTION_ITEM_STATUSES, UNFINISHED_STATUSES

ACTION_ITEM_NUMBER_SEQ = Sequence("action_item_number_seq", metadata=Base.metadata)


class ActionItem(Timestamped, Versioned, Base):
    __tablename__ = "action_items"
    __table_args__ = (
        CheckConstraint(f"source IN {ACTION_ITEM_SOURCES}", name="source"),
        CheckConstraint(f"status IN {ACTION_ITEM_STATUSES}", name="status"),
        CheckConstraint("status NOT IN ('DONE', 'VERIFIED') OR outcome IS NOT NULL", name="done_has_outcome"),
        CheckConstraint("status <> 'VERIFIED' OR verified_by_id IS NOT NULL", name="verified_has_verifier"),
        # Lists are newest first; each filter has its own keyset index.
        *keyset_indexes("action_items", "created", "created_at", "status", "owner_id", "customer_id"),
        # Overdue and due-soon look-ups read only unfinished items.
        Index(
            "ix_action_items_unfinished_due",
            "due_at",
            postgresql_where=text(f"status IN {UNFINISHED_STATUSES}"),
        ),
        Index("ix_action_items_feedback_id", "feedback_id"),
        Index("ix_action_items_ticket_id", "ticket_id"),
        Index("ix_action_items_survey_id", "survey_id"),  # Survey.actionItems
        Index("ix_action_items_meeting_id", "meeting_id"),  # Meeting.actionItems
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Human-friendly, sequential number (A-000123) for meetings and paperwork.
    number: Mapped[str] = mapped_column(
        String(20), unique=True, server_default=text("'A-' || lpad(nextval('action_item_number_seq')::text, 6, '0')")
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="OPEN")
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime]
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    feedback_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("feedback.id"))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tickets.id"))
    survey_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("surveys.id"))
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meetings.id"))
    outcome: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    verified_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    verification_note: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
