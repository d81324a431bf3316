"""demo: the demo city's marker row with the progress of its history build

Revision ID: demo_0001
Revises: notify_0002
Create Date: 2026-12-07 18:00:00+00:00

One small table, empty outside a demo city: ``civicgrid demo`` writes its row, the background
build of the year's history updates its progress, the pages read it for their banner and the
login page for the list of demo accounts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "demo_0001"
down_revision: str | None = "notify_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "demo_city",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("scale", sa.String(length=20), nullable=False),
        sa.Column("year_end", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recent_from", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("residents_per_grid", sa.Integer(), nullable=False),
        sa.Column("appeals_total", sa.Integer(), nullable=False),
        sa.Column("history_total", sa.Integer(), nullable=False),
        sa.Column("history_done", sa.Integer(), nullable=False),
        sa.Column("history_state", sa.String(length=20), nullable=False),
        sa.Column("history_pid", sa.Integer(), nullable=True),
        sa.Column("history_message", sa.Text(), nullable=False),
        sa.Column("created_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("history_started_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("history_updated_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("history_finished_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_city")),
    )


def downgrade() -> None:
    op.drop_table("demo_city")
