"""Meetings (例會): weekly, monthly and ad-hoc joint meetings with attendees and decisions; an action item
may name the meeting whose decision it carries out

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 18:45:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("decisions", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("recorded_by_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('WEEKLY', 'MONTHLY', 'AD_HOC')", name=op.f("ck_meetings_kind")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_meetings_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    op.create_index("ix_meetings_held_id", "meetings", ["held_at", "id"], unique=False)
    op.create_index("ix_meetings_kind_held_id", "meetings", ["kind", "held_at", "id"], unique=False)
    op.create_table(
        "meeting_attendees",
        sa.Column("meeting_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_attendees_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_meeting_attendees_user_id_users")),
        sa.PrimaryKeyConstraint("meeting_id", "user_id", name=op.f("pk_meeting_attendees")),
    )
    op.create_index("ix_meeting_attendees_user", "meeting_attendees", ["user_id"], unique=False)
    op.add_column("action_items", sa.Column("meeting_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_action_items_meeting_id_meetings"), "action_items", "meetings", ["meeting_id"], ["id"]
    )
    op.create_index("ix_action_items_meeting_id", "action_items", ["meeting_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_action_items_meeting_id", table_name="action_items")
    op.drop_constraint(op.f("fk_action_items_meeting_id_meetings"), "action_items", type_="foreignkey")
    op.drop_column("action_items", "meeting_id")
    op.drop_table("meeting_attendees")  # its indexes go with it
    op.drop_table("meetings")
