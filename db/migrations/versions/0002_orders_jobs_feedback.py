"""in-sale and satisfaction: orders, order items, service jobs, feedback

Foreign keys still to come: orders.opportunity_id (pre-sale, 0004), feedback.ticket_id (tickets, 0003).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 12:05:59.914126
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE order_number_seq")
    op.execute("CREATE SEQUENCE service_job_number_seq")
    op.create_table(
        "orders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "number",
            sa.String(length=20),
            server_default=sa.text("'O-' || lpad(nextval('order_number_seq')::text, 6, '0')"),
            nullable=False,
        ),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("opportunity_id", sa.UUID(), nullable=True),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=True),
        sa.Column("special_requirements", sa.Text(), nullable=True),
        sa.Column("contract_value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("handed_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handed_off_by_id", sa.UUID(), nullable=True),
        sa.Column("confirmation_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_id", sa.UUID(), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('DRAFT', 'HANDED_OFF', 'RETURNED', 'CONFIRMED', 'IN_SERVICE', 'COMPLETED', 'CANCELLED')",
            name=op.f("ck_orders_status"),
        ),
        sa.CheckConstraint("contract_value >= 0", name=op.f("ck_orders_contract_value")),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["users.id"], name=op.f("fk_orders_confirmed_by_id_users")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers")),
        sa.ForeignKeyConstraint(["handed_off_by_id"], ["users.id"], name=op.f("fk_orders_handed_off_by_id_users")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_orders_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
    )
    op.create_index(
        "ix_orders_confirmation_due",
        "orders",
        ["confirmation_due_at"],
        unique=False,
        postgresql_where=sa.text("status = 'HANDED_OFF'"),
    )
    op.create_index("ix_orders_confirmed_at", "orders", ["confirmed_at"], unique=False)
    op.create_index("ix_orders_created_id", "orders", ["created_at", "id"], unique=False)
    op.create_index("ix_orders_customer_created_id", "orders", ["customer_id", "created_at", "id"], unique=False)
    op.create_index(op.f("ix_orders_opportunity_id"), "orders", ["opportunity_id"], unique=False)
    op.create_index(op.f("ix_orders_owner_id"), "orders", ["owner_id"], unique=False)
    op.create_index("ix_orders_status_created_id", "orders", ["status", "created_at", "id"], unique=False)
    op.create_table(
        "feedback",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.UUID(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('RETURN_VISIT', 'SURVEY', 'TICKET', 'SERVICE_JOB', 'OTHER')", name=op.f("ck_feedback_source")
        ),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_feedback_score")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_feedback_customer_id_customers")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_feedback_order_id_orders")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_feedback_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index("ix_feedback_customer_recorded_id", "feedback", ["customer_id", "recorded_at", "id"], unique=False)
    op.create_index(op.f("ix_feedback_order_id"), "feedback", ["order_id"], unique=False)
    op.create_index("ix_feedback_recorded_id", "feedback", ["recorded_at", "id"], unique=False)
    op.create_index(op.f("ix_feedback_ticket_id"), "feedback", ["ticket_id"], unique=False)
    op.create_table(
        "order_items",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_model", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_items_quantity_positive")),
        sa.CheckConstraint("unit_price IS NULL OR unit_price >= 0", name=op.f("ck_order_items_unit_price")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_items_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_items")),
        sa.UniqueConstraint("order_id", "position", name=op.f("uq_order_items_order_id_position")),
    )
    op.create_table(
        "service_jobs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "number",
            sa.String(length=20),
            server_default=sa.text("'J-' || lpad(nextval('service_job_number_seq')::text, 6, '0')"),
            nullable=False,
        ),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("technician_id", sa.UUID(), nullable=True),
        sa.Column("scheduled_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("quality_result", sa.String(length=10), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('INSTALLATION', 'COMMISSIONING', 'TRAINING', 'REPAIR', 'MAINTENANCE', 'INSPECTION')",
            name=op.f("ck_service_jobs_kind"),
        ),
        sa.CheckConstraint(
            "quality_result IS NULL OR quality_result IN ('PASSED', 'FAILED')",
            name=op.f("ck_service_jobs_quality_result"),
        ),
        sa.CheckConstraint(
            "status <> 'COMPLETED' OR quality_result IS NOT NULL", name=op.f("ck_service_jobs_completed_has_quality")
        ),
        sa.CheckConstraint(
            "status IN ('SCHEDULED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED')", name=op.f("ck_service_jobs_status")
        ),
        sa.CheckConstraint(
            "scheduled_end IS NULL OR scheduled_end > scheduled_start", name=op.f("ck_service_jobs_window")
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_service_jobs_customer_id_customers")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_service_jobs_order_id_orders")),
        sa.ForeignKeyConstraint(["technician_id"], ["users.id"], name=op.f("fk_service_jobs_technician_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_jobs")),
        sa.UniqueConstraint("number", name=op.f("uq_service_jobs_number")),
    )
    op.create_index("ix_service_jobs_completed_at", "service_jobs", ["completed_at"], unique=False)
    op.create_index(
        "ix_service_jobs_customer_start_id", "service_jobs", ["customer_id", "scheduled_start", "id"], unique=False
    )
    op.create_index(
        "ix_service_jobs_order_start_id", "service_jobs", ["order_id", "scheduled_start", "id"], unique=False
    )
    op.create_index("ix_service_jobs_start_id", "service_jobs", ["scheduled_start", "id"], unique=False)
    op.create_index(
        "ix_service_jobs_status_start_id", "service_jobs", ["status", "scheduled_start", "id"], unique=False
    )
    op.create_index(
        "ix_service_jobs_technician_start_id", "service_jobs", ["technician_id", "scheduled_start", "id"], unique=False
    )
    op.create_index("ix_activity_order_seq", "activity", ["order_id", "seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_activity_order_seq", table_name="activity")
    op.drop_index("ix_service_jobs_technician_start_id", table_name="service_jobs")
    op.drop_index("ix_service_jobs_status_start_id", table_name="service_jobs")
    op.drop_index("ix_service_jobs_start_id", table_name="service_jobs")
    op.drop_index("ix_service_jobs_order_start_id", table_name="service_jobs")
    op.drop_index("ix_service_jobs_customer_start_id", table_name="service_jobs")
    op.drop_index("ix_service_jobs_completed_at", table_name="service_jobs")
    op.drop_table("service_jobs")
    op.drop_table("order_items")
    op.drop_index(op.f("ix_feedback_ticket_id"), table_name="feedback")
    op.drop_index("ix_feedback_recorded_id", table_name="feedback")
    op.drop_index(op.f("ix_feedback_order_id"), table_name="feedback")
    op.drop_index("ix_feedback_customer_recorded_id", table_name="feedback")
    op.drop_table("feedback")
    op.drop_index("ix_orders_status_created_id", table_name="orders")
    op.drop_index(op.f("ix_orders_owner_id"), table_name="orders")
    op.drop_index(op.f("ix_orders_opportunity_id"), table_name="orders")
    op.drop_index("ix_orders_customer_created_id", table_name="orders")
    op.drop_index("ix_orders_created_id", table_name="orders")
    op.drop_index("ix_orders_confirmed_at", table_name="orders")
    op.drop_index("ix_orders_confirmation_due", table_name="orders", postgresql_where=sa.text("status = 'HANDED_OFF'"))
    op.drop_table("orders")
    op.execute("DROP SEQUENCE service_job_number_seq")
    op.execute("DROP SEQUENCE order_number_seq")
