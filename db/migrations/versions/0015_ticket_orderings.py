"""Indexes of the tickets list's new orders (tickets(orderBy:)): by priority, by resolution due time and
by first-response due time, each with the id last, as the keyset pages seek (db/repositories/tickets.py
ORDERINGS); a b-tree index serves its order in both directions.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 23:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The priorities ranked LOW 0 … URGENT 3 (a literal copy, as migrations keep one).
_PRIORITY_RANK = "(CASE priority WHEN 'LOW' THEN 0 WHEN 'NORMAL' THEN 1 WHEN 'HIGH' THEN 2 WHEN 'URGENT' THEN 3 END)"


def upgrade() -> None:
    op.create_index("ix_tickets_priority_rank_created_id", "tickets", [sa.text(_PRIORITY_RANK), "created_at", "id"])
    op.create_index("ix_tickets_resolution_due_id", "tickets", ["resolution_due_at", "id"])
    op.create_index("ix_tickets_first_response_due_id", "tickets", ["first_response_due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_first_response_due_id", table_name="tickets")
    op.drop_index("ix_tickets_resolution_due_id", table_name="tickets")
    op.drop_index("ix_tickets_priority_rank_created_id", table_name="tickets")
