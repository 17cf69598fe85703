"""Meetings (例會): the weekly, monthly and ad-hoc joint meetings, their attendees and decisions.

A decision's action items are ordinary action items (db/models/improvement.py) that name the meeting
in `meeting_id`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamped, Versioned, uuid_pk
from db.models.keysets import keyset_indexes
from services.rules.meetings import MEETING_KINDS


class Meeting(Timestamped, Versioned, Base):
    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint(f"kind IN {MEETING_KINDS}", name="kind"),
        # The list is newest held first, filtered by kind.
        *keyset_indexes("meetings", "held", "held_at", "kind"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    held_at: Mapped[datetime]
    minutes: Mapped[str | None] = mapped_column(Text)
    # What was decided, in the order recorded (plain text: a decision that needs doing also becomes an
    # action item, which has its own owner and due date).
    decisions: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default=text("'{}'"))
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class MeetingAttendee(Base):
    __tablename__ = "meeting_attendees"
    __table_args__ = (Index("ix_meeting_attendees_user", "user_id"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
