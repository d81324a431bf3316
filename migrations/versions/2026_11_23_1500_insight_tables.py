"""insight tables: monthly topics (每月一题), governance tasks, milestones and linked appeals

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insight_monthly_topic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=False),
        sa.Column("created_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_insight_monthly_topic_created_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_monthly_topic")),
        sa.UniqueConstraint("year", "month", name=op.f("uq_insight_monthly_topic_year_month")),
    )
    op.create_table(
        "insight_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("problem_key", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("lead_department_id", sa.Integer(), nullable=False),
        sa.Column("co_department_ids", sa.JSON(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source_stats", sa.JSON(), nullable=False),
        sa.Column("adopted_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("adopted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["adopted_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_insight_task_adopted_by_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_department_id"],
            ["department.id"],
            name=op.f("fk_insight_task_lead_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["insight_monthly_topic.id"],
            name=op.f("fk_insight_task_topic_id_insight_monthly_topic"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_task")),
    )
    with op.batch_alter_table("insight_task", schema=None) as batch_op:
        batch_op.create_index("ix_insight_task_status", ["status"], unique=False)
        batch_op.create_index("ix_insight_task_topic_id", ["topic_id"], unique=False)

    op.create_table(
        "insight_task_appeal",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("linked_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeal.id"], name=op.f("fk_insight_task_appeal_appeal_id_appeal")
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_insight_task_appeal_linked_by_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["insight_task.id"],
            name=op.f("fk_insight_task_appeal_task_id_insight_task"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", "appeal_id", name=op.f("pk_insight_task_appeal")),
    )
    with op.batch_alter_table("insight_task_appeal", schema=None) as batch_op:
        batch_op.create_index("ix_insight_task_appeal_appeal_id", ["appeal_id"], unique=False)

    op.create_table(
        "insight_task_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["insight_task.id"],
            name=op.f("fk_insight_task_milestone_task_id_insight_task"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_task_milestone")),
    )
    with op.batch_alter_table("insight_task_milestone", schema=None) as batch_op:
        batch_op.create_index("ix_insight_task_milestone_task_id", ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("insight_task_milestone", schema=None) as batch_op:
        batch_op.drop_index("ix_insight_task_milestone_task_id")

    op.drop_table("insight_task_milestone")
    with op.batch_alter_table("insight_task_appeal", schema=None) as batch_op:
        batch_op.drop_index("ix_insight_task_appeal_appeal_id")

    op.drop_table("insight_task_appeal")
    with op.batch_alter_table("insight_task", schema=None) as batch_op:
        batch_op.drop_index("ix_insight_task_topic_id")
        batch_op.drop_index("ix_insight_task_status")

    op.drop_table("insight_task")
    op.drop_table("insight_monthly_topic")
