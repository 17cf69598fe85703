"""After-sale satisfaction: feedback records with a 1–5 score (immutable once recorded)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, uuid_pk
from db.models.keysets import keyset_indexes
from services.rules.feedback import FEEDBACK_SOURCES, MAX_SCORE, MIN_SCORE


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(f"source IN {FEEDBACK_SOURCES}", name="source"),
        CheckConstraint(f"score BETWEEN {MIN_SCORE} AND {MAX_SCORE}", name="score"),
        # Lists are newest first; the per-customer list and summary use the customer index.
        *keyset_indexes("feedback", "recorded", "recorded_at", "customer_id"),
        # A survey's answers are feedback of source SURVEY, one per target customer (services/feedback.py
        # checks both first, with clear errors; these hold even against a race).
        CheckConstraint("survey_id IS NULL OR source = 'SURVEY'", name="survey_source"),
        Index(
            "uq_feedback_survey_customer",
            "survey_id",
            "customer_id",
            unique=True,
            postgresql_where=text("survey_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    # The foreign key to tickets is added by the tickets migration (0003).
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    # The survey this answers (added by the surveys migration, 0010).
    survey_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("surveys.id"))
    source: Mapped[str] = mapped_column(String(20))
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
