"""Pre-sale: opportunities with their requirements and solution revisions, and sales targets."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamped, Versioned, uuid_pk
from db.models.keysets import keyset_indexes
from db.models.orders import MONEY, Order
from services.rules.opportunities import OPPORTUNITY_STAGES, REVIEW_DECISIONS
from services.rules.opportunities import TARGET_DEPARTMENTS as TARGET_DEPARTMENTS  # re-exported (services)


class Opportunity(Timestamped, Versioned, Base):
    __tablename__ = "opportunities"
    __table_args__ = (
        CheckConstraint(f"stage IN {OPPORTUNITY_STAGES}", name="stage"),
        CheckConstraint("stage <> 'WON' OR order_id IS NOT NULL", name="won_has_order"),
        CheckConstraint("stage <> 'LOST' OR lost_reason IS NOT NULL", name="lost_has_reason"),
        # Lists are newest first; each filter has its own keyset index.
        *keyset_indexes("opportunities", "created", "created_at", "stage", "customer_id"),
        # The SLA watcher's two handoff clocks: only open ones are waiting for service.
        Index("ix_opportunities_review_due", "solution_review_due_at", postgresql_where=text("stage = 'REVIEW'")),
        Index(
            "ix_opportunities_registration_ack_due",
            "registration_ack_due_at",
            postgresql_where=text("registration_acknowledged_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    title: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20), default="REQUIREMENTS")
    requirements_confirmed_at: Mapped[datetime | None]
    # The customer's person who confirmed the requirements (not a user of the platform).
    requirements_confirmed_by: Mapped[str | None] = mapped_column(String(200))
    # Due time of the review of the latest solution (each solution row keeps its own too).
    solution_review_due_at: Mapped[datetime | None]
    registered_at: Mapped[datetime | None]
    registration_ack_due_at: Mapped[datetime | None]
    registration_acknowledged_at: Mapped[datetime | None]
    registration_acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    service_lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    preparation_notes: Mapped[str | None] = mapped_column(Text)
    # What service prepared when it acknowledged the registration: who, with which tools and materials.
    preparation_staff_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid()), default=list, server_default=text("'{}'")
    )
    preparation_tools: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default=text("'{}'"))
    preparation_materials: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default=text("'{}'"))
    lost_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]  # when it became WON or LOST
    # One order per won opportunity, and an order wins at most one opportunity.
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), unique=True)


# orders.opportunity_id predates this table (migration 0002); its foreign key is declared here, next to
# the table it points at, and created by migration 0004. `use_alter`: the two tables refer to each other.
_orders = cast(Table, Order.__table__)  # a mapped class's __table__ is typed as any FromClause
_orders.append_constraint(ForeignKeyConstraint(["opportunity_id"], ["opportunities.id"], use_alter=True))


class Requirement(Base):
    """The customer's needs, replaced as a whole while the opportunity is in REQUIREMENTS."""

    __tablename__ = "requirements"
    __table_args__ = (UniqueConstraint("opportunity_id", "position"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    opportunity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    position: Mapped[int]
    description: Mapped[str] = mapped_column(Text)
    priority: Mapped[str | None] = mapped_column(String(50))


class Solution(Timestamped, Versioned, Base):
    """One revision of the proposed solution and, once service looked at it, its review.

    `revision` is the solution's number n within its opportunity (the API's `Solution.version`);
    `version` is the row's optimistic-concurrency counter like on every mutable row.
    """

    __tablename__ = "solutions"
    __table_args__ = (
        UniqueConstraint("opportunity_id", "revision"),
        CheckConstraint("revision > 0", name="revision_positive"),
        CheckConstraint(f"decision IS NULL OR decision IN {REVIEW_DECISIONS}", name="decision"),
        CheckConstraint(
            "(decision IS NULL) = (reviewed_at IS NULL) AND (decision IS NULL) = (reviewer_id IS NULL)",
            name="review_complete",
        ),
        Index("ix_solutions_review_due", "review_due_at"),
        Index("ix_solutions_reviewed_at", "reviewed_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    opportunity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    revision: Mapped[int]
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    submitted_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime]
    review_due_at: Mapped[datetime]  # fixed when submitted: a later SLA change does not rewrite it
    decision: Mapped[str | None] = mapped_column(String(20))
    technical_feasibility: Mapped[str | None] = mapped_column(Text)
    serviceability: Mapped[str | None] = mapped_column(Text)
    comments: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]


class SalesTarget(Timestamped, Versioned, Base):
    """A department's (user_id NULL) or one person's target for the days period_start..period_end
    (both inclusive). Targets of the same scope never overlap (services/sales_targets.py)."""

    __tablename__ = "sales_targets"
    __table_args__ = (
        CheckConstraint("department = 'MARKETING'", name="department"),
        CheckConstraint("period_end >= period_start", name="period"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_sales_targets_scope_period", "department", "user_id", "period_start"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    department: Mapped[str] = mapped_column(String(20), default="MARKETING")
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
