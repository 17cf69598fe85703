"""Customers and their contacts."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, Sequence, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamped, Versioned, uuid_pk
from services.rules.customers import LIFECYCLE_STAGES

CUSTOMER_CODE_SEQ = Sequence("customer_code_seq", metadata=Base.metadata)


class Customer(Timestamped, Versioned, Base):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint(f"lifecycle_stage IN {LIFECYCLE_STAGES}", name="lifecycle_stage"),
        # Serves the default alphabetical listing and its keyset seek.
        Index("ix_customers_name_lower_id", func.lower(text("name")), "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Human-friendly, sequential code (C-000123) for phone calls and paperwork.
    code: Mapped[str] = mapped_column(
        String(20), unique=True, server_default=text("'C-' || lpad(nextval('customer_code_seq')::text, 6, '0')")
    )
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    lifecycle_stage: Mapped[str] = mapped_column(String(20), default="LEAD")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)


class Contact(Timestamped, Versioned, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        # At most one primary contact per customer, enforced by the database.
        Index("uq_contacts_primary", "customer_id", unique=True, postgresql_where=text("is_primary")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(320))
    is_primary: Mapped[bool] = mapped_column(default=False)
