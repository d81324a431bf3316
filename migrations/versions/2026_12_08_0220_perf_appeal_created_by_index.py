"""perf: index the appeals a user created (a grid worker's own reports)

Revision ID: perf_0003
Revises: perf_0002
Create Date: 2026-12-08 02:20:00+00:00

A grid worker sees the appeals located in their grids and the reports they made themselves
(``appeals.queries.access.scope_condition``). The data scope asks each part as its own indexed
set of appeal ids; without an index the reports by one user were a scan of every appeal
(issue 19, 1,000,000 appeals).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "perf_0003"
down_revision: str | None = "perf_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_appeal_created_by_user_id", "appeal", ["created_by_user_id"])


def downgrade() -> None:
    op.drop_index("ix_appeal_created_by_user_id", table_name="appeal")
