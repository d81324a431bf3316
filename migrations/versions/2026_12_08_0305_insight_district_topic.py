"""insight: a monthly topic (每月一题) belongs to a district or to the whole city

Revision ID: perf_0004
Revises: perf_0003
Create Date: 2026-12-08 03:05:00+00:00

Until now a month had one city-wide topic (one theme, at most three problems). A district
leader who adopts a candidate of the district's 每月一题 brief now sets that district's topic,
without clashing with another district's: ``insight_monthly_topic.region_path`` is the
district's materialised path ("" for the city-wide topic, which every existing topic is), and a
topic is unique per year, month and region path.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "perf_0004"
down_revision: str | None = "perf_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("insight_monthly_topic") as batch:
        batch.add_column(
            sa.Column("region_path", sa.String(255), nullable=False, server_default="")
        )
        batch.drop_constraint("uq_insight_monthly_topic_year_month", type_="unique")
        batch.create_unique_constraint(
            "uq_insight_monthly_topic_year_month_region_path", ["year", "month", "region_path"]
        )


def downgrade() -> None:
    # Only one topic per month fits the old table: the districts' topics and their tasks go.
    op.execute(
        "DELETE FROM insight_task_milestone WHERE task_id IN (SELECT t.id FROM insight_task t "
        "JOIN insight_monthly_topic m ON m.id = t.topic_id WHERE m.region_path <> '')"
    )
    op.execute(
        "DELETE FROM insight_task_appeal WHERE task_id IN (SELECT t.id FROM insight_task t "
        "JOIN insight_monthly_topic m ON m.id = t.topic_id WHERE m.region_path <> '')"
    )
    op.execute(
        "DELETE FROM insight_task WHERE topic_id IN "
        "(SELECT id FROM insight_monthly_topic WHERE region_path <> '')"
    )
    op.execute("DELETE FROM insight_monthly_topic WHERE region_path <> ''")
    with op.batch_alter_table("insight_monthly_topic") as batch:
        batch.drop_constraint("uq_insight_monthly_topic_year_month_region_path", type_="unique")
        batch.create_unique_constraint("uq_insight_monthly_topic_year_month", ["year", "month"])
        batch.drop_column("region_path")
