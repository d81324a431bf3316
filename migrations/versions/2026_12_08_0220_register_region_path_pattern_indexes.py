"""register: region-path indexes that answer a scope prefix on PostgreSQL

Revision ID: perf_0005
Revises: perf_0004
Create Date: 2026-12-08 02:20:00+00:00

A data scope is a prefix of ``region_path`` (``LIKE '/1/4/17/%'``). Under this server's
``C.UTF-8`` collation PostgreSQL cannot use a plain btree for that prefix: it read the whole
index and filtered it (every house of the city to count a grid worker's few hundred). Like
``ix_register_resident_region_path`` already, the register's other region-path indexes are
rebuilt with ``varchar_pattern_ops``, which serves the prefix under any collation (issue 19,
item 6: the house picker and residents by address start from a small scope). Same names, same
columns; SQLite compares bytes and keeps its plain indexes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "perf_0005"
down_revision: str | None = "perf_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "register_address",
    "register_building",
    "register_house",
    "register_residence",
    "register_resident_tag",
    "register_visit",
    "register_patrol_track",
)


def _rebuild(ops: dict[str, str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        name = f"ix_{table}_region_path"
        op.drop_index(name, table_name=table)
        op.create_index(name, table, ["region_path"], postgresql_ops=ops)


def upgrade() -> None:
    _rebuild({"region_path": "varchar_pattern_ops"})


def downgrade() -> None:
    _rebuild({})
