"""Rate limits per API key: the requests of each key's current window, shared by all server processes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_key_rate_limits",
        sa.Column("key_id", sa.UUID(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"], ["api_keys.id"], name=op.f("fk_api_key_rate_limits_key_id_api_keys"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_key_rate_limits")),
    )


def downgrade() -> None:
    op.drop_table("api_key_rate_limits")
