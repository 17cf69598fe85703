"""Personal notifications: each person's inbox with read state; every notification is also an event
of the log (NOTIFICATION_CREATED), which the person's `myNotifications` stream carries

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 18:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

KINDS = (
    "'ASSIGNED', 'CONSULTATION_INVITE', 'PROBLEM_REPORTED', 'HANDOFF_RETURNED', 'ACTION_ITEM_ASSIGNED', "
    "'ACTION_ITEM_DUE', 'ACTION_ITEM_REJECTED', 'SLA_ALERT'"
)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=True),
        sa.Column("subject_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_notifications_kind")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("seq", name=op.f("uq_notifications_seq")),
    )
    op.create_index("ix_notifications_user_seq", "notifications", ["user_id", "seq"], unique=False)
    op.create_index(
        "ix_notifications_user_unread_seq",
        "notifications",
        ["user_id", "seq"],
        unique=False,
        postgresql_where=sa.text("read_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("notifications")
