"""In-sale: orders handed from marketing to service, their items, and the service jobs that fulfil them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, Sequence, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamped, Versioned, uuid_pk
from db.models.keysets import keyset_indexes
from services.rules.orders import ORDER_STATUSES
from services.rules.service_jobs import QUALITY_RESULTS, SERVICE_JOB_KINDS, SERVICE_JOB_STATUSES

ORDER_NUMBER_SEQ = Sequence("order_number_seq", metadata=Base.metadata)
SERVICE_JOB_NUMBER_SEQ = Sequence("service_job_number_seq", metadata=Base.metadata)

MONEY = Numeric(14, 2)


class Order(Timestamped, Versioned, Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN {ORDER_STATUSES}", name="status"),
        CheckConstraint("contract_value >= 0", name="contract_value"),
        # Lists are newest first; each filter has its own keyset index.
        *keyset_indexes("orders", "created", "created_at", "customer_id", "status"),
        # The 24 h confirmation clock: only handed-off orders are waiting for service.
        Index("ix_orders_confirmation_due", "confirmation_due_at", postgresql_where=text("status = 'HANDED_OFF'")),
        Index("ix_orders_confirmed_at", "confirmed_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Human-friendly, sequential number (O-000123) for phone calls and paperwork.
    number: Mapped[str] = mapped_column(
        String(20), unique=True, server_default=text("'O-' || lpad(nextval('order_number_seq')::text, 6, '0')")
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    # The foreign key to opportunities arrives with the pre-sale migration (0004).
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="DRAFT")
    delivery_date: Mapped[date | None] = mapped_column(Date)
    special_requirements: Mapped[str | None] = mapped_column(Text)
    contract_value: Mapped[Decimal] = mapped_column(MONEY)
    handed_off_at: Mapped[datetime | None]
    handed_off_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    confirmation_due_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    return_reason: Mapped[str | None] = mapped_column(Text)
    returned_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class OrderItem(Base):
    """Replaced as a whole when a draft or returned order is edited, never changed in place."""

    __tablename__ = "order_items"
    __table_args__ = (
        UniqueConstraint("order_id", "position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price IS NULL OR unit_price >= 0", name="unit_price"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int]
    product_model: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int]
    unit_price: Mapped[Decimal | None] = mapped_column(MONEY)


class ServiceJob(Timestamped, Versioned, Base):
    __tablename__ = "service_jobs"
    __table_args__ = (
        CheckConstraint(f"kind IN {SERVICE_JOB_KINDS}", name="kind"),
        CheckConstraint(f"status IN {SERVICE_JOB_STATUSES}", name="status"),
        CheckConstraint(f"quality_result IS NULL OR quality_result IN {QUALITY_RESULTS}", name="quality_result"),
        CheckConstraint("status <> 'COMPLETED' OR quality_result IS NOT NULL", name="completed_has_quality"),
        CheckConstraint("scheduled_end IS NULL OR scheduled_end > scheduled_start", name="window"),
        # Lists are newest-scheduled first; each filter has its own keyset index.
        *keyset_indexes(
            "service_jobs", "start", "scheduled_start", "order_id", "status", "technician_id", "customer_id"
        ),
        Index("ix_service_jobs_completed_at", "completed_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    number: Mapped[str] = mapped_column(
        String(20), unique=True, server_default=text("'J-' || lpad(nextval('service_job_number_seq')::text, 6, '0')")
    )
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="SCHEDULED")
    technician_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    scheduled_start: Mapped[datetime]
    scheduled_end: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    quality_result: Mapped[str | None] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
