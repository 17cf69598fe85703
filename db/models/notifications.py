"""Personal notifications: one person's inbox, with read state (DOMAIN.md part 2)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, uuid_pk
from services.rules.notifications import NOTIFICATION_KINDS


class Notification(Base):
    """Written once when its cause commits; afterwards only `read_at` is ever set (by its person), so
    it needs no optimistic version: marking read twice is harmless."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"kind IN {NOTIFICATION_KINDS}", name="kind"),
        # The inbox, newest first (seq breaks ties of one instant), and its unread part.
        Index("ix_notifications_user_seq", "user_id", "seq"),
        Index("ix_notifications_user_unread_seq", "user_id", "seq", postgresql_where=text("read_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    # What it is about, as the API names it (a global id's type) — any Node, so no foreign key.
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
