"""appeals: the lead unit's pending application for the 不合理诉求 finding

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 20:00:00+00:00

Four nullable columns on ``appeal`` (reason, time and applicant of the pending application),
added with plain ``ADD COLUMN`` (no table rebuild on SQLite, see 0008). Existing appeals have
no pending application.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("appeal", sa.Column("unreasonable_applied_reason", sa.Text(), nullable=True))
    op.add_column(
        "appeal",
        sa.Column(
            "unreasonable_applied_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True
        ),
    )
    op.add_column(
        "appeal", sa.Column("unreasonable_applied_by_user_id", sa.Integer(), nullable=True)
    )
    op.add_column(
        "appeal",
        sa.Column("unreasonable_applied_by_label", sa.String(length=200), nullable=True),
    )


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a plain column in place (no table rebuild).
    op.drop_column("appeal", "unreasonable_applied_by_label")
    op.drop_column("appeal", "unreasonable_applied_by_user_id")
    op.drop_column("appeal", "unreasonable_applied_at")
    op.drop_column("appeal", "unreasonable_applied_reason")
