"""Comments on the work items other than tickets (a ticket's replies are `ticket_comments`, with its SLA).

One table for every subject, with one nullable foreign key per kind of subject and a CHECK that exactly
one is set: each comment keeps the integrity of a real foreign key, and a page of one subject's comments
reads one partial index.

A new kind of subject is registered here, in one place: its column below and its line in
`SUBJECT_COLUMNS` (plus the migration that adds the column and re-creates `ck_comments_one_subject`).
The repository, the service and `addComment(subjectId:)` work from `SUBJECT_COLUMNS` alone.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, uuid_pk
from services.rules.tickets import COMMENT_VISIBILITIES

# GraphQL type of the subject (also the entity type of its activity rows) -> its column in `comments`.
SUBJECT_COLUMNS: dict[str, str] = {
    "Opportunity": "opportunity_id",
    "Order": "order_id",
    "ServiceJob": "service_job_id",
    "ActionItem": "action_item_id",
    "MarketIntel": "market_intel_id",  # added by the market intelligence migration (0011)
}


class WorkItemComment(Base):
    """A comment on one work item, INTERNAL (staff only) or CUSTOMER-visible as on tickets. Immutable."""

    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(f"visibility IN {COMMENT_VISIBILITIES}", name="visibility"),
        CheckConstraint(f"num_nonnulls({', '.join(SUBJECT_COLUMNS.values())}) = 1", name="one_subject"),
        # A subject's comments in insertion order; partial, as each column is null in most rows.
        *(
            Index(f"ix_comments_{column}_seq", column, "seq", postgresql_where=text(f"{column} IS NOT NULL"))
            for column in SUBJECT_COLUMNS.values()
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Insertion order: many comments can share one clock tick, and the conversation keeps its order.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    service_job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_jobs.id", ondelete="CASCADE"))
    action_item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("action_items.id", ondelete="CASCADE"))
    market_intel_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("market_intel.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
