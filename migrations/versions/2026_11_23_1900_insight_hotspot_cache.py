"""insight hotspot cache: the hot problems of recent months per district and city, kept by a job

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 19:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insight_hotspot_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(length=30), nullable=False),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("appeals", sa.Integer(), nullable=False),
        sa.Column("hotspots", sa.JSON(), nullable=False),
        sa.Column("compute_ms", sa.Integer(), nullable=False),
        sa.Column("computed_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_hotspot_cache")),
        sa.UniqueConstraint(
            "period_key",
            "region_path",
            name=op.f("uq_insight_hotspot_cache_period_key_region_path"),
        ),
    )


def downgrade() -> None:
    op.drop_table("insight_hotspot_cache")
