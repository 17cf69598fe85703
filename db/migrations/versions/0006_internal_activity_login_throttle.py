"""Internal timeline entries; sign-in throttling per (email, client address) and per address

`activity.internal` marks entries about INTERNAL comments and consultation notes, which API keys may
not see; existing rows are classified from what they record (`ticket.commented` with visibility
INTERNAL, `ticket.escalation_note`).

`login_throttle` was keyed by email alone, so anyone could keep a person locked out by failing on
their email. It is now keyed by (email, client address), and `login_address_throttle` counts an
address's failures across all emails. The old per-email counters cannot be attributed to an address
and are dropped (every counter starts afresh once). Both tables get `forget_at`, after which a row
counts as absent and may be pruned.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("activity", sa.Column("internal", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        "UPDATE activity SET internal = true "
        "WHERE (action = 'ticket.commented' AND changes->>'visibility' = 'INTERNAL') "
        "OR action = 'ticket.escalation_note'"
    )

    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forget_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email", "address", name=op.f("pk_login_throttle")),
    )
    op.create_index("ix_login_throttle_forget_at", "login_throttle", ["forget_at"], unique=False)
    op.create_table(
        "login_address_throttle",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forget_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_login_address_throttle")),
    )
    op.create_index("ix_login_address_throttle_forget_at", "login_address_throttle", ["forget_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_address_throttle_forget_at", table_name="login_address_throttle")
    op.drop_table("login_address_throttle")
    # Back to one counter per email: each email keeps the sum of its per-address failures.
    op.execute(
        "CREATE TEMPORARY TABLE login_throttle_per_email AS "
        "SELECT email, sum(failures)::integer AS failures, max(last_failure_at) AS last_failure_at "
        "FROM login_throttle GROUP BY email"
    )
    op.drop_index("ix_login_throttle_forget_at", table_name="login_throttle")
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_login_throttle")),
    )
    op.execute("INSERT INTO login_throttle SELECT email, failures, last_failure_at FROM login_throttle_per_email")
    op.execute("DROP TABLE login_throttle_per_email")

    op.drop_column("activity", "internal")
