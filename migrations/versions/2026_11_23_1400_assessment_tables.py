"""assessment tables: per-appeal facts, the daily 三率 rollup and the job watermark

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_daily",
        sa.Column("unit_type", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("response_due", sa.Integer(), nullable=False),
        sa.Column("response_on_time", sa.Integer(), nullable=False),
        sa.Column("valid_callbacks", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("fairly_satisfied", sa.Integer(), nullable=False),
        sa.Column("excluded", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_type", "unit_id", "day", name=op.f("pk_assessment_daily")),
    )
    with op.batch_alter_table("assessment_daily", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_daily_type_day", ["unit_type", "day"], unique=False)

    op.create_table(
        "assessment_fact",
        sa.Column("appeal_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("unit_type", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("response_state", sa.String(length=8), nullable=False),
        sa.Column("response_day", sa.Date(), nullable=True),
        sa.Column("response_due_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("eval_state", sa.String(length=8), nullable=False),
        sa.Column("eval_day", sa.Date(), nullable=True),
        sa.Column("exclusion", sa.String(length=20), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("satisfaction", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("appeal_id", "unit_type", name=op.f("pk_assessment_fact")),
    )
    with op.batch_alter_table("assessment_fact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_fact_pending", ["response_state", "response_due_at"], unique=False
        )
        batch_op.create_index(
            "ix_assessment_fact_unit_eval", ["unit_type", "unit_id", "eval_day"], unique=False
        )
        batch_op.create_index(
            "ix_assessment_fact_unit_response",
            ["unit_type", "unit_id", "response_day"],
            unique=False,
        )

    op.create_table(
        "assessment_watermark",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_assessment_watermark")),
    )


def downgrade() -> None:
    op.drop_table("assessment_watermark")
    with op.batch_alter_table("assessment_fact", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_fact_unit_response")
        batch_op.drop_index("ix_assessment_fact_unit_eval")
        batch_op.drop_index("ix_assessment_fact_pending")

    op.drop_table("assessment_fact")
    with op.batch_alter_table("assessment_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_daily_type_day")

    op.drop_table("assessment_daily")
