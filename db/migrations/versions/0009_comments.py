"""Comments on every work item: opportunities, orders, service jobs and action items

One `comments` table for opportunities, orders, service jobs and action items (tickets keep
`ticket_comments`): one nullable foreign key per kind of subject and a CHECK that exactly one is set. A
later kind of subject adds its column and re-creates `ck_comments_one_subject` over all the columns.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 18:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# This revision's subjects: (column, referenced table). Its own literal copy, as migrations keep.
_SUBJECTS = (
    ("opportunity_id", "opportunities"),
    ("order_id", "orders"),
    ("service_job_id", "service_jobs"),
    ("action_item_id", "action_items"),
)


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        *(sa.Column(column, sa.UUID(), nullable=True) for column, _ in _SUBJECTS),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("visibility IN ('INTERNAL', 'CUSTOMER')", name=op.f("ck_comments_visibility")),
        sa.CheckConstraint(
            "num_nonnulls(opportunity_id, order_id, service_job_id, action_item_id) = 1",
            name=op.f("ck_comments_one_subject"),
        ),
        *(
            sa.ForeignKeyConstraint(
                [column], [f"{table}.id"], name=op.f(f"fk_comments_{column}_{table}"), ondelete="CASCADE"
            )
            for column, table in _SUBJECTS
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_comments_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
        sa.UniqueConstraint("seq", name=op.f("uq_comments_seq")),
    )
    for column, _ in _SUBJECTS:
        op.create_index(
            f"ix_comments_{column}_seq",
            "comments",
            [column, "seq"],
            unique=False,
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
        )


def downgrade() -> None:
    op.drop_table("comments")  # its indexes go with it
