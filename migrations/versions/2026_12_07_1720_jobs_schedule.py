"""jobs: the shared schedule of periodic jobs (job_run)

Revision ID: 0013_job_run
Revises: 0012_audit_chain
Create Date: 2026-12-07 17:20:00+00:00

One row per job with its first and last start and the number of runs, read under the job's
lock so that several workers run each job once per interval.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0013_job_run"
down_revision: str | None = "0012_audit_chain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = civicgrid.db.UTCDateTime(timezone=True)
    op.create_table(
        "job_run",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("first_started_at", utc, nullable=False),
        sa.Column("last_started_at", utc, nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_run")),
    )


def downgrade() -> None:
    op.drop_table("job_run")
