"""The preparation service records when it acknowledges a project registration, structured: the staff
(users), the tools and the materials, beside the free-text notes that were all there was

Existing acknowledgements keep their notes; their lists start empty.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    empty = sa.text("'{}'")
    op.add_column(
        "opportunities",
        sa.Column("preparation_staff_ids", postgresql.ARRAY(sa.Uuid()), server_default=empty, nullable=False),
    )
    op.add_column(
        "opportunities",
        sa.Column("preparation_tools", postgresql.ARRAY(sa.Text()), server_default=empty, nullable=False),
    )
    op.add_column(
        "opportunities",
        sa.Column("preparation_materials", postgresql.ARRAY(sa.Text()), server_default=empty, nullable=False),
    )


def downgrade() -> None:
    op.drop_column("opportunities", "preparation_materials")
    op.drop_column("opportunities", "preparation_tools")
    op.drop_column("opportunities", "preparation_staff_ids")
