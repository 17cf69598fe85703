"""Satisfaction surveys (after-sale 3): a survey asks a fixed set of target customers; each answer is a
feedback row with the survey's id (db/models/feedback.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamped, Versioned, uuid_pk
from db.models.keysets import keyset_indexes
from services.rules.surveys import SURVEY_STATUSES


class Survey(Timestamped, Versioned, Base):
    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint(f"status IN {SURVEY_STATUSES}", name="status"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opens"),
        CheckConstraint("status = 'DRAFT' OR opened_at IS NOT NULL", name="opened_has_time"),
        CheckConstraint("status <> 'CLOSED' OR closed_at IS NOT NULL", name="closed_has_time"),
        # Lists are newest first, optionally by status.
        *keyset_indexes("surveys", "created", "created_at", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="DRAFT")
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class SurveyTarget(Base):
    """One customer a survey asks (fixed when the survey is created: the response rate's denominator)."""

    __tablename__ = "survey_targets"
    __table_args__ = (Index("ix_survey_targets_customer_id", "customer_id"),)

    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("surveys.id"), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), primary_key=True)
