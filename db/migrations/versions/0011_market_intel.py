"""Market intelligence (市場動態): posts of marketing with a kind, tags and an optional customer

Tags are kept as typed (`tags`) beside their case-folded keys (`tag_keys`, filled in by the service),
which the exact-tag filter matches through a GIN index. Search is a substring match (ILIKE) over title,
body and tags: Chinese text has no word boundaries to stem or split at, and pg_trgm would not help it
(its trigrams skip CJK characters under the C locale of the embedded server, and most Chinese words
are shorter than a trigram), so no extension is needed.

Posts take comments like every work item: the `comments` table (0009) gets its `market_intel_id` subject
column, and `ck_comments_one_subject` is re-created over all five subject columns.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 18:45:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The subject columns of `comments` before this revision (0009's), then with this one's.
_SUBJECTS_BEFORE = ("opportunity_id", "order_id", "service_job_id", "action_item_id")
_SUBJECTS = (*_SUBJECTS_BEFORE, "market_intel_id")


def _one_subject(columns: tuple[str, ...]) -> None:
    op.create_check_constraint(op.f("ck_comments_one_subject"), "comments", f"num_nonnulls({', '.join(columns)}) = 1")


def upgrade() -> None:
    empty = sa.text("'{}'")
    op.create_table(
        "market_intel",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), server_default=empty, nullable=False),
        sa.Column("tag_keys", postgresql.ARRAY(sa.Text()), server_default=empty, nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=True),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('MARKET_TREND', 'COMPETITOR', 'CUSTOMER_NEED', 'REGULATION', 'PRODUCT_FEEDBACK', 'OTHER')",
            name=op.f("ck_market_intel_kind"),
        ),
        sa.CheckConstraint("cardinality(tags) <= 10", name=op.f("ck_market_intel_tag_count")),
        sa.CheckConstraint("cardinality(tag_keys) = cardinality(tags)", name=op.f("ck_market_intel_tag_keys_match")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_market_intel_customer_id_customers")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_market_intel_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_intel")),
    )
    op.create_index("ix_market_intel_created_id", "market_intel", ["created_at", "id"], unique=False)
    op.create_index("ix_market_intel_kind_created_id", "market_intel", ["kind", "created_at", "id"], unique=False)
    op.create_index(
        "ix_market_intel_customer_created_id", "market_intel", ["customer_id", "created_at", "id"], unique=False
    )
    op.create_index("ix_market_intel_tag_keys", "market_intel", ["tag_keys"], unique=False, postgresql_using="gin")

    op.add_column("comments", sa.Column("market_intel_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_comments_market_intel_id_market_intel"),
        "comments",
        "market_intel",
        ["market_intel_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(
        "ix_comments_market_intel_id_seq",
        "comments",
        ["market_intel_id", "seq"],
        unique=False,
        postgresql_where=sa.text("market_intel_id IS NOT NULL"),
    )
    op.drop_constraint(op.f("ck_comments_one_subject"), "comments", type_="check")
    _one_subject(_SUBJECTS)


def downgrade() -> None:
    # Comments on posts have no subject without the column: they go with it (and with the posts).
    op.execute("DELETE FROM comments WHERE market_intel_id IS NOT NULL")
    op.drop_constraint(op.f("ck_comments_one_subject"), "comments", type_="check")
    _one_subject(_SUBJECTS_BEFORE)
    op.drop_column("comments", "market_intel_id")  # its index and foreign key go with it
    op.drop_table("market_intel")  # its indexes go with it
