"""SLA announcements and event log retention: sla_announcements, event_log_state

`sla_announcements` makes the SLA watcher's announcements idempotent (one per clock instance and
state); `event_log_state` holds the retention watermark, seeded with its single row (nothing purged).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 12:59:57.724521
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_log_state",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("purged_through", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_event_log_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_log_state")),
    )
    op.bulk_insert(sa.table("event_log_state", sa.column("id", sa.SmallInteger)), [{"id": 1}])
    op.create_table(
        "sla_announcements",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.UUID(), nullable=False),
        sa.Column("clock", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("state IN ('AT_RISK', 'BREACHED')", name=op.f("ck_sla_announcements_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_announcements")),
        sa.UniqueConstraint(
            "subject_type",
            "subject_id",
            "clock",
            "state",
            "due_at",
            name=op.f("uq_sla_announcements_subject_type_subject_id_clock_state_due_at"),
        ),
    )


def downgrade() -> None:
    op.drop_table("sla_announcements")
    op.drop_table("event_log_state")
