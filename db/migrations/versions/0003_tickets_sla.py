"""tickets and SLA: tickets, comments, escalations, SLA policies, root causes

Seeds the SLA policy of DOMAIN.md and the root-cause categories; adds the foreign key
feedback.ticket_id -> tickets.id that 0002 left for this migration.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:08:28.112998
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


SLA_POLICIES = [  # DOMAIN.md defaults: minutes to first response and to resolution
    {"priority": "URGENT", "first_response_minutes": 30, "resolution_minutes": 8 * 60, "version": 1},
    {"priority": "HIGH", "first_response_minutes": 2 * 60, "resolution_minutes": 24 * 60, "version": 1},
    {"priority": "NORMAL", "first_response_minutes": 8 * 60, "resolution_minutes": 72 * 60, "version": 1},
    {"priority": "LOW", "first_response_minutes": 24 * 60, "resolution_minutes": 168 * 60, "version": 1},
]

ROOT_CAUSES = [
    {"code": code, "label": label, "active": True, "version": 1}
    for code, label in (
        ("PRODUCT_DEFECT", "Product defect"),
        ("INSTALLATION", "Installation"),
        ("USAGE", "Usage / operation"),
        ("LOGISTICS", "Logistics"),
        ("DOCUMENTATION", "Documentation"),
        ("OTHER", "Other"),
    )
]


def upgrade() -> None:
    op.execute("CREATE SEQUENCE ticket_number_seq")
    op.create_table(
        "root_cause_categories",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_root_cause_categories")),
    )
    op.bulk_insert(
        sa.table(
            "root_cause_categories",
            sa.column("code", sa.String),
            sa.column("label", sa.String),
            sa.column("active", sa.Boolean),
            sa.column("version", sa.Integer),
        ),
        ROOT_CAUSES,
    )
    op.create_table(
        "sla_policies",
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')", name=op.f("ck_sla_policies_priority")),
        sa.CheckConstraint(
            "first_response_minutes > 0 AND resolution_minutes >= first_response_minutes",
            name=op.f("ck_sla_policies_minutes"),
        ),
        sa.PrimaryKeyConstraint("priority", name=op.f("pk_sla_policies")),
    )
    op.bulk_insert(
        sa.table(
            "sla_policies",
            sa.column("priority", sa.String),
            sa.column("first_response_minutes", sa.Integer),
            sa.column("resolution_minutes", sa.Integer),
            sa.column("version", sa.Integer),
        ),
        SLA_POLICIES,
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "number",
            sa.String(length=20),
            server_default=sa.text("'T-' || lpad(nextval('ticket_number_seq')::text, 6, '0')"),
            nullable=False,
        ),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("service_job_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("assignee_id", sa.UUID(), nullable=True),
        sa.Column("created_by_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sla_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("root_cause_code", sa.String(length=40), nullable=True),
        sa.Column("resolution_summary", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("(status = 'CLOSED') = (closed_at IS NOT NULL)", name=op.f("ck_tickets_closed_at")),
        sa.CheckConstraint(
            "(status IN ('RESOLVED', 'CLOSED')) = (resolved_at IS NOT NULL)", name=op.f("ck_tickets_resolved_at")
        ),
        sa.CheckConstraint(
            "kind IN ('INQUIRY', 'COMPLAINT', 'QUALITY_ISSUE', 'SUGGESTION', 'SERVICE_REQUEST')",
            name=op.f("ck_tickets_kind"),
        ),
        sa.CheckConstraint("priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')", name=op.f("ck_tickets_priority")),
        sa.CheckConstraint(
            "status IN ('NEW', 'ACKNOWLEDGED', 'IN_PROGRESS', 'ESCALATED', 'RESOLVED', 'CLOSED', 'REOPENED')",
            name=op.f("ck_tickets_status"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('RESOLVED', 'CLOSED') OR root_cause_code IS NOT NULL", name=op.f("ck_tickets_root_cause")
        ),
        sa.CheckConstraint(
            "first_response_due_at >= sla_started_at AND resolution_due_at >= sla_started_at",
            name=op.f("ck_tickets_sla_window"),
        ),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_tickets_assignee_id_users")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_tickets_created_by_id_users")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_tickets_customer_id_customers")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_tickets_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["root_cause_code"],
            ["root_cause_categories.code"],
            name=op.f("fk_tickets_root_cause_code_root_cause_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["service_job_id"], ["service_jobs.id"], name=op.f("fk_tickets_service_job_id_service_jobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
    )
    op.create_index("ix_tickets_assignee_created_id", "tickets", ["assignee_id", "created_at", "id"], unique=False)
    op.create_index("ix_tickets_created_id", "tickets", ["created_at", "id"], unique=False)
    op.create_index("ix_tickets_customer_created_id", "tickets", ["customer_id", "created_at", "id"], unique=False)
    op.create_index(
        "ix_tickets_first_response_due",
        "tickets",
        ["first_response_due_at"],
        unique=False,
        postgresql_where=sa.text("first_responded_at IS NULL"),
    )
    op.create_index("ix_tickets_kind_created_id", "tickets", ["kind", "created_at", "id"], unique=False)
    op.create_index("ix_tickets_order_created_id", "tickets", ["order_id", "created_at", "id"], unique=False)
    op.create_index("ix_tickets_priority_created_id", "tickets", ["priority", "created_at", "id"], unique=False)
    op.create_index(
        "ix_tickets_resolution_due",
        "tickets",
        ["resolution_due_at"],
        unique=False,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_index(op.f("ix_tickets_root_cause_code"), "tickets", ["root_cause_code"], unique=False)
    op.create_index(op.f("ix_tickets_service_job_id"), "tickets", ["service_job_id"], unique=False)
    op.create_index("ix_tickets_status_created_id", "tickets", ["status", "created_at", "id"], unique=False)
    op.create_table(
        "escalations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.UUID(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("plan", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.UUID(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("(status = 'CLOSED') = (closed_at IS NOT NULL)", name=op.f("ck_escalations_closed_at")),
        sa.CheckConstraint("status IN ('OPEN', 'CLOSED')", name=op.f("ck_escalations_status")),
        sa.ForeignKeyConstraint(["closed_by_id"], ["users.id"], name=op.f("fk_escalations_closed_by_id_users")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_escalations_requested_by_id_users")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_escalations_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    op.create_index("ix_escalations_requested_id", "escalations", ["requested_at", "id"], unique=False)
    op.create_index("ix_escalations_status_requested_id", "escalations", ["status", "requested_at", "id"], unique=False)
    op.create_index(
        "ix_escalations_ticket_requested_id", "escalations", ["ticket_id", "requested_at", "id"], unique=False
    )
    op.create_index(
        "uq_escalations_open_ticket",
        "escalations",
        ["ticket_id"],
        unique=True,
        postgresql_where=sa.text("status = 'OPEN'"),
    )
    op.create_table(
        "escalation_participants",
        sa.Column("escalation_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_participants_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_escalation_participants_user_id_users")),
        sa.PrimaryKeyConstraint("escalation_id", "user_id", name=op.f("pk_escalation_participants")),
    )
    op.create_index("ix_escalation_participants_user", "escalation_participants", ["user_id"], unique=False)
    op.create_table(
        "ticket_comments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("escalation_id", sa.UUID(), nullable=True),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "escalation_id IS NULL OR visibility = 'INTERNAL'", name=op.f("ck_ticket_comments_notes_internal")
        ),
        sa.CheckConstraint("visibility IN ('INTERNAL', 'CUSTOMER')", name=op.f("ck_ticket_comments_visibility")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_ticket_comments_author_id_users")),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_ticket_comments_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_comments_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_comments")),
        sa.UniqueConstraint("seq", name=op.f("uq_ticket_comments_seq")),
    )
    op.create_index("ix_ticket_comments_escalation_seq", "ticket_comments", ["escalation_id", "seq"], unique=False)
    op.create_index("ix_ticket_comments_ticket_seq", "ticket_comments", ["ticket_id", "seq"], unique=False)
    op.create_foreign_key(op.f("fk_feedback_ticket_id_tickets"), "feedback", "tickets", ["ticket_id"], ["id"])


def downgrade() -> None:
    op.drop_constraint(op.f("fk_feedback_ticket_id_tickets"), "feedback", type_="foreignkey")
    op.drop_index("ix_ticket_comments_ticket_seq", table_name="ticket_comments")
    op.drop_index("ix_ticket_comments_escalation_seq", table_name="ticket_comments")
    op.drop_table("ticket_comments")
    op.drop_index("ix_escalation_participants_user", table_name="escalation_participants")
    op.drop_table("escalation_participants")
    op.drop_index("uq_escalations_open_ticket", table_name="escalations", postgresql_where=sa.text("status = 'OPEN'"))
    op.drop_index("ix_escalations_ticket_requested_id", table_name="escalations")
    op.drop_index("ix_escalations_status_requested_id", table_name="escalations")
    op.drop_index("ix_escalations_requested_id", table_name="escalations")
    op.drop_table("escalations")
    op.drop_index("ix_tickets_status_created_id", table_name="tickets")
    op.drop_index(op.f("ix_tickets_service_job_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_root_cause_code"), table_name="tickets")
    op.drop_index("ix_tickets_resolution_due", table_name="tickets", postgresql_where=sa.text("resolved_at IS NULL"))
    op.drop_index("ix_tickets_priority_created_id", table_name="tickets")
    op.drop_index("ix_tickets_order_created_id", table_name="tickets")
    op.drop_index("ix_tickets_kind_created_id", table_name="tickets")
    op.drop_index(
        "ix_tickets_first_response_due", table_name="tickets", postgresql_where=sa.text("first_responded_at IS NULL")
    )
    op.drop_index("ix_tickets_customer_created_id", table_name="tickets")
    op.drop_index("ix_tickets_created_id", table_name="tickets")
    op.drop_index("ix_tickets_assignee_created_id", table_name="tickets")
    op.drop_table("tickets")
    op.drop_table("sla_policies")
    op.drop_table("root_cause_categories")
    op.execute("DROP SEQUENCE ticket_number_seq")
