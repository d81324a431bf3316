"""scale: index appeal.closed_at

Revision ID: scale_0001
Revises: register_0001
Create Date: 2026-12-07 21:00:00+00:00

The dashboard counts the appeals closed in a period (``closed_at`` in ``[start, end)``) and
lists their closing times for the trend chart; without an index every view scanned the whole
appeal table (issue 19, city scale).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "scale_0001"
down_revision: str | None = "register_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_appeal_closed_at", "appeal", ["closed_at"])


def downgrade() -> None:
    op.drop_index("ix_appeal_closed_at", table_name="appeal")
