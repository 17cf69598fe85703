"""Satisfaction surveys: surveys and their target customers; feedback answers a survey (one answer per
target, source SURVEY); an action item may come from a survey

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('DRAFT', 'OPEN', 'CLOSED')", name=op.f("ck_surveys_status")),
        sa.CheckConstraint("closes_at > opens_at", name=op.f("ck_surveys_closes_after_opens")),
        sa.CheckConstraint("status = 'DRAFT' OR opened_at IS NOT NULL", name=op.f("ck_surveys_opened_has_time")),
        sa.CheckConstraint("status <> 'CLOSED' OR closed_at IS NOT NULL", name=op.f("ck_surveys_closed_has_time")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_surveys_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    op.create_index("ix_surveys_created_id", "surveys", ["created_at", "id"], unique=False)
    op.create_index("ix_surveys_status_created_id", "surveys", ["status", "created_at", "id"], unique=False)
    op.create_table(
        "survey_targets",
        sa.Column("survey_id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], name=op.f("fk_survey_targets_survey_id_surveys")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_survey_targets_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("survey_id", "customer_id", name=op.f("pk_survey_targets")),
    )
    op.create_index("ix_survey_targets_customer_id", "survey_targets", ["customer_id"], unique=False)

    op.add_column("feedback", sa.Column("survey_id", sa.UUID(), nullable=True))
    op.create_foreign_key(op.f("fk_feedback_survey_id_surveys"), "feedback", "surveys", ["survey_id"], ["id"])
    op.create_check_constraint(op.f("ck_feedback_survey_source"), "feedback", "survey_id IS NULL OR source = 'SURVEY'")
    # One answer per target customer; feedback outside surveys is not limited.
    op.create_index(
        "uq_feedback_survey_customer",
        "feedback",
        ["survey_id", "customer_id"],
        unique=True,
        postgresql_where=sa.text("survey_id IS NOT NULL"),
    )

    op.add_column("action_items", sa.Column("survey_id", sa.UUID(), nullable=True))
    op.create_foreign_key(op.f("fk_action_items_survey_id_surveys"), "action_items", "surveys", ["survey_id"], ["id"])
    op.create_index("ix_action_items_survey_id", "action_items", ["survey_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_action_items_survey_id", table_name="action_items")
    op.drop_constraint(op.f("fk_action_items_survey_id_surveys"), "action_items", type_="foreignkey")
    op.drop_column("action_items", "survey_id")
    op.drop_index("uq_feedback_survey_customer", table_name="feedback")
    op.drop_constraint(op.f("ck_feedback_survey_source"), "feedback", type_="check")
    op.drop_constraint(op.f("fk_feedback_survey_id_surveys"), "feedback", type_="foreignkey")
    op.drop_column("feedback", "survey_id")
    op.drop_table("survey_targets")  # its indexes go with it
    op.drop_table("surveys")
