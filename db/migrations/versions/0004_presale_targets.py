"""pre-sale and sales targets: opportunities, requirements, solutions, sales_targets

Adds the foreign key orders.opportunity_id -> opportunities.id that 0002 left for this migration
(declared in db/models/presale.py, next to the table it points at).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 12:09:46.791125
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sales_targets",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("department", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("department = 'MARKETING'", name=op.f("ck_sales_targets_department")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_sales_targets_amount_positive")),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_sales_targets_period")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sales_targets_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_targets")),
    )
    op.create_index(
        "ix_sales_targets_scope_period", "sales_targets", ["department", "user_id", "period_start"], unique=False
    )
    op.create_table(
        "opportunities",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("requirements_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requirements_confirmed_by", sa.String(length=200), nullable=True),
        sa.Column("solution_review_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registration_ack_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registration_acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registration_acknowledged_by_id", sa.UUID(), nullable=True),
        sa.Column("service_lead_id", sa.UUID(), nullable=True),
        sa.Column("preparation_notes", sa.Text(), nullable=True),
        sa.Column("lost_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("stage <> 'LOST' OR lost_reason IS NOT NULL", name=op.f("ck_opportunities_lost_has_reason")),
        sa.CheckConstraint("stage <> 'WON' OR order_id IS NOT NULL", name=op.f("ck_opportunities_won_has_order")),
        sa.CheckConstraint(
            "stage IN ('REQUIREMENTS', 'SOLUTION', 'REVIEW', 'REGISTERED', 'WON', 'LOST')",
            name=op.f("ck_opportunities_stage"),
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_opportunities_customer_id_customers")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_opportunities_order_id_orders")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_opportunities_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["registration_acknowledged_by_id"],
            ["users.id"],
            name=op.f("fk_opportunities_registration_acknowledged_by_id_users"),
        ),
        sa.ForeignKeyConstraint(["service_lead_id"], ["users.id"], name=op.f("fk_opportunities_service_lead_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
        sa.UniqueConstraint("order_id", name=op.f("uq_opportunities_order_id")),
    )
    op.create_index("ix_opportunities_created_id", "opportunities", ["created_at", "id"], unique=False)
    op.create_index(
        "ix_opportunities_customer_created_id", "opportunities", ["customer_id", "created_at", "id"], unique=False
    )
    op.create_index(op.f("ix_opportunities_owner_id"), "opportunities", ["owner_id"], unique=False)
    op.create_index(
        "ix_opportunities_registration_ack_due",
        "opportunities",
        ["registration_ack_due_at"],
        unique=False,
        postgresql_where=sa.text("registration_acknowledged_at IS NULL"),
    )
    op.create_index(
        "ix_opportunities_review_due",
        "opportunities",
        ["solution_review_due_at"],
        unique=False,
        postgresql_where=sa.text("stage = 'REVIEW'"),
    )
    op.create_index("ix_opportunities_stage_created_id", "opportunities", ["stage", "created_at", "id"], unique=False)
    op.create_table(
        "requirements",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("opportunity_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_requirements_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirements")),
        sa.UniqueConstraint("opportunity_id", "position", name=op.f("uq_requirements_opportunity_id_position")),
    )
    op.create_table(
        "solutions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("opportunity_id", sa.UUID(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("submitted_by_id", sa.UUID(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("technical_feasibility", sa.Text(), nullable=True),
        sa.Column("serviceability", sa.Text(), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("reviewer_id", sa.UUID(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('APPROVED', 'CHANGES_REQUESTED')", name=op.f("ck_solutions_decision")
        ),
        sa.CheckConstraint(
            "(decision IS NULL) = (reviewed_at IS NULL) AND (decision IS NULL) = (reviewer_id IS NULL)",
            name=op.f("ck_solutions_review_complete"),
        ),
        sa.CheckConstraint("revision > 0", name=op.f("ck_solutions_revision_positive")),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_solutions_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_solutions_reviewer_id_users")),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["users.id"], name=op.f("fk_solutions_submitted_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solutions")),
        sa.UniqueConstraint("opportunity_id", "revision", name=op.f("uq_solutions_opportunity_id_revision")),
    )
    op.create_index("ix_solutions_review_due", "solutions", ["review_due_at"], unique=False)
    op.create_index("ix_solutions_reviewed_at", "solutions", ["reviewed_at"], unique=False)
    op.create_foreign_key(
        op.f("fk_orders_opportunity_id_opportunities"), "orders", "opportunities", ["opportunity_id"], ["id"]
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_orders_opportunity_id_opportunities"), "orders", type_="foreignkey")
    op.drop_index("ix_solutions_reviewed_at", table_name="solutions")
    op.drop_index("ix_solutions_review_due", table_name="solutions")
    op.drop_table("solutions")
    op.drop_table("requirements")
    op.drop_index("ix_opportunities_stage_created_id", table_name="opportunities")
    op.drop_index(
        "ix_opportunities_review_due", table_name="opportunities", postgresql_where=sa.text("stage = 'REVIEW'")
    )
    op.drop_index(
        "ix_opportunities_registration_ack_due",
        table_name="opportunities",
        postgresql_where=sa.text("registration_acknowledged_at IS NULL"),
    )
    op.drop_index(op.f("ix_opportunities_owner_id"), table_name="opportunities")
    op.drop_index("ix_opportunities_customer_created_id", table_name="opportunities")
    op.drop_index("ix_opportunities_created_id", table_name="opportunities")
    op.drop_table("opportunities")
    op.drop_index("ix_sales_targets_scope_period", table_name="sales_targets")
    op.drop_table("sales_targets")
