"""perf: indexes for the appeal data-scope filter and the handlers' unit queues

Revision ID: perf_0001
Revises: search_0002
Create Date: 2026-12-08 02:05:00+00:00

The data scope of every appeal list and count (``appeals.queries.access.scope_condition``)
selects appeals by a region path prefix: the appeal's own ``region_path`` and the
``unit_path`` of its active region units. A prefix is asked as a range on the path under the
"C" collation (``path COLLATE "C" >= '/1/2/8/' AND path COLLATE "C" < '/1/2/80'``), which a
btree on the same expression answers whatever the database's collation is; the plain indexes
on the columns could not serve ``LIKE '/1/2/8/%'`` (issue 19, 1,000,000 appeals). PostgreSQL
only: SQLite compares bytes, so its plain indexes answer the same range.

``ix_appeal_unit_active`` (both engines) covers the handlers' questions about their own units
(the active rows of a unit in a role): the appeal ids come from the index alone.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "perf_0001"
down_revision: str | None = "search_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_appeal_unit_active ON appeal_unit "
        "(unit_kind, unit_id, role, appeal_id) WHERE released_at IS NULL"
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute('CREATE INDEX ix_appeal_region_path_c ON appeal ((region_path COLLATE "C"))')
    op.execute(
        "CREATE INDEX ix_appeal_unit_region_path_c ON appeal_unit "
        '((unit_path COLLATE "C"), appeal_id) '
        "WHERE unit_kind = 'region' AND released_at IS NULL"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_appeal_unit_region_path_c", table_name="appeal_unit")
        op.drop_index("ix_appeal_region_path_c", table_name="appeal")
    op.drop_index("ix_appeal_unit_active", table_name="appeal_unit")
