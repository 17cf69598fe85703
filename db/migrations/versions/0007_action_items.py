"""Action items (整改): the improvement loop's actions with an owner, a due date and a verified effect;
an order's return reason only while it is RETURNED

An order handed off again (or cancelled) after a return kept the old reason, which read as if it were
still returned; every return's reason is on its timeline, so the column is cleared for orders in any
other status (not restored on downgrade: nothing lost, the timeline has it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE orders SET return_reason = NULL WHERE status <> 'RETURNED' AND return_reason IS NOT NULL")
    op.execute("CREATE SEQUENCE action_item_number_seq")
    op.create_table(
        "action_items",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "number",
            sa.String(length=20),
            server_default=sa.text("'A-' || lpad(nextval('action_item_number_seq')::text, 6, '0')"),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=True),
        sa.Column("feedback_id", sa.UUID(), nullable=True),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by_id", sa.UUID(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verification_note", sa.Text(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "source IN ('FEEDBACK', 'SURVEY', 'TICKET', 'ROOT_CAUSE_REVIEW', 'SUPERVISION', 'MEETING', 'OTHER')",
            name=op.f("ck_action_items_source"),
        ),
        sa.CheckConstraint(
            "status IN ('OPEN', 'IN_PROGRESS', 'DONE', 'VERIFIED', 'CANCELLED')", name=op.f("ck_action_items_status")
        ),
        sa.CheckConstraint(
            "status NOT IN ('DONE', 'VERIFIED') OR outcome IS NOT NULL", name=op.f("ck_action_items_done_has_outcome")
        ),
        sa.CheckConstraint(
            "status <> 'VERIFIED' OR verified_by_id IS NOT NULL", name=op.f("ck_action_items_verified_has_verifier")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_action_items_owner_id_users")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_action_items_customer_id_customers")),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"], name=op.f("fk_action_items_feedback_id_feedback")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_action_items_ticket_id_tickets")),
        sa.ForeignKeyConstraint(["verified_by_id"], ["users.id"], name=op.f("fk_action_items_verified_by_id_users")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_action_items_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
        sa.UniqueConstraint("number", name=op.f("uq_action_items_number")),
    )
    op.create_index("ix_action_items_created_id", "action_items", ["created_at", "id"], unique=False)
    op.create_index("ix_action_items_status_created_id", "action_items", ["status", "created_at", "id"], unique=False)
    op.create_index("ix_action_items_owner_created_id", "action_items", ["owner_id", "created_at", "id"], unique=False)
    op.create_index(
        "ix_action_items_customer_created_id", "action_items", ["customer_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_action_items_unfinished_due",
        "action_items",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('OPEN', 'IN_PROGRESS')"),
    )
    op.create_index("ix_action_items_feedback_id", "action_items", ["feedback_id"], unique=False)
    op.create_index("ix_action_items_ticket_id", "action_items", ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_table("action_items")  # its indexes go with it
    op.execute("DROP SEQUENCE action_item_number_seq")
