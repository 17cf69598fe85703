"""After-sale: tickets, their comments, joint consultations (escalations), SLA policies, root causes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, Index, Sequence, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Versioned, uuid_pk
from db.models.keysets import keyset_indexes
from services.rules.tickets import (
    COMMENT_VISIBILITIES,
    ESCALATION_STATUSES,
    TICKET_DONE_STATUSES,
    TICKET_KINDS,
    TICKET_PRIORITIES,
    TICKET_STATUSES,
)

TICKET_NUMBER_SEQ = Sequence("ticket_number_seq", metadata=Base.metadata)


# A priority as its rank, LOW 0 … URGENT 3: the expression db/repositories/tickets.py PRIORITY_RANK writes,
# spelt as PostgreSQL prints it back (pg_get_indexdef), which is what Alembic compares the model's with.
PRIORITY_RANK_SQL = (
    "(\nCASE priority\n"
    + "".join(f"    WHEN '{p}'::text THEN {i}\n" for i, p in enumerate(TICKET_PRIORITIES))
    + "    ELSE NULL::integer\nEND)"
)


class Ticket(Versioned, Base):
    """Times are the business clock's (`uow.now`), not the database's: the SLA is computed from them."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(f"kind IN {TICKET_KINDS}", name="kind"),
        CheckConstraint(f"priority IN {TICKET_PRIORITIES}", name="priority"),
        CheckConstraint(f"status IN {TICKET_STATUSES}", name="status"),
        # A resolved (or closed) ticket always carries its resolution; any other state carries none.
        CheckConstraint(f"(status IN {TICKET_DONE_STATUSES}) = (resolved_at IS NOT NULL)", name="resolved_at"),
        CheckConstraint(f"status NOT IN {TICKET_DONE_STATUSES} OR root_cause_code IS NOT NULL", name="root_cause"),
        CheckConstraint("(status = 'CLOSED') = (closed_at IS NOT NULL)", name="closed_at"),
        CheckConstraint(
            "first_response_due_at >= sla_started_at AND resolution_due_at >= sla_started_at", name="sla_window"
        ),
        # Lists are newest first; every filter that narrows by a column has its own keyset index.
        *keyset_indexes(
            "tickets", "created", "created_at", "status", "kind", "priority", "customer_id", "assignee_id", "order_id"
        ),
        # SLA clocks still running (alerts, KPIs): only open clocks are scanned.
        Index(
            "ix_tickets_first_response_due",
            "first_response_due_at",
            postgresql_where=text("first_responded_at IS NULL"),
        ),
        Index("ix_tickets_resolution_due", "resolution_due_at", postgresql_where=text("resolved_at IS NULL")),
        # The other orders of tickets(orderBy:) (db/repositories/tickets.py ORDERINGS), each scanned either way.
        Index("ix_tickets_priority_rank_created_id", text(PRIORITY_RANK_SQL), "created_at", "id"),
        Index("ix_tickets_resolution_due_id", "resolution_due_at", "id"),
        Index("ix_tickets_first_response_due_id", "first_response_due_at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Human-friendly, sequential number (T-000123) for phone calls and paperwork.
    number: Mapped[str] = mapped_column(
        String(20), unique=True, server_default=text("'T-' || lpad(nextval('ticket_number_seq')::text, 6, '0')")
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    service_job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_jobs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="NEW")
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The SLA: fixed when the ticket opens from the policy of its priority; a priority change
    # re-targets both due times from this same start.
    sla_started_at: Mapped[datetime]
    first_response_due_at: Mapped[datetime]
    resolution_due_at: Mapped[datetime]
    first_responded_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    root_cause_code: Mapped[str | None] = mapped_column(ForeignKey("root_cause_categories.code"), index=True)
    resolution_summary: Mapped[str | None] = mapped_column(Text)


class TicketComment(Base):
    """A reply on a ticket, or (with `escalation_id`) a note in its joint consultation. Immutable."""

    __tablename__ = "ticket_comments"
    __table_args__ = (
        CheckConstraint(f"visibility IN {COMMENT_VISIBILITIES}", name="visibility"),
        # Consultation notes are internal: the customer never reads the consultation.
        CheckConstraint("escalation_id IS NULL OR visibility = 'INTERNAL'", name="notes_internal"),
        Index("ix_ticket_comments_ticket_seq", "ticket_id", "seq"),
        Index("ix_ticket_comments_escalation_seq", "escalation_id", "seq"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Insertion order: many comments can share one clock tick, and the conversation keeps its order.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    escalation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]


class Escalation(Versioned, Base):
    """A joint consultation (會診) of service with marketing (and technical) staff about one ticket."""

    __tablename__ = "escalations"
    __table_args__ = (
        CheckConstraint(f"status IN {ESCALATION_STATUSES}", name="status"),
        CheckConstraint("(status = 'CLOSED') = (closed_at IS NOT NULL)", name="closed_at"),
        # At most one open consultation per ticket, enforced by the database.
        Index("uq_escalations_open_ticket", "ticket_id", unique=True, postgresql_where=text("status = 'OPEN'")),
        *keyset_indexes("escalations", "requested", "requested_at", "ticket_id", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="OPEN")
    plan: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class EscalationParticipant(Base):
    __tablename__ = "escalation_participants"
    __table_args__ = (Index("ix_escalation_participants_user", "user_id"),)

    escalation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)


class SlaPolicy(Versioned, Base):
    """Minutes to first response and to resolution, per priority (DOMAIN.md defaults seeded)."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        CheckConstraint(f"priority IN {TICKET_PRIORITIES}", name="priority"),
        CheckConstraint("first_response_minutes > 0 AND resolution_minutes >= first_response_minutes", name="minutes"),
    )

    priority: Mapped[str] = mapped_column(String(10), primary_key=True)
    first_response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]


class RootCauseCategory(Versioned, Base):
    """What a resolved ticket is attributed to (periodic problem analysis groups by it)."""

    __tablename__ = "root_cause_categories"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
