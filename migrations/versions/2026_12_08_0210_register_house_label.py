"""register: a house carries its full address text (label) with a trigram index

Revision ID: perf_0002
Revises: perf_0001
Create Date: 2026-12-08 02:10:00+00:00

The house picker and the residents search by address match typed parts against a house's
full address text (幸福路12号院3号楼2单元501 = address + building + unit + room). Computed by a
join on every search, no index can answer it; stored on the house (``register_house.label``,
kept by the register's use cases that create or change houses) it gets a trigram index of its
own on PostgreSQL (issue 19, item 6). Existing houses are filled from their building and
address here. SQLite has no trigram index and scans the column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "perf_0002"
down_revision: str | None = "perf_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILL = """
UPDATE register_house SET label = (
    SELECT a.name || b.name || register_house.unit || register_house.room
    FROM register_building b JOIN register_address a ON a.id = b.address_id
    WHERE b.id = register_house.building_id
)
"""


def upgrade() -> None:
    with op.batch_alter_table("register_house") as batch:
        batch.add_column(sa.Column("label", sa.String(200), nullable=False, server_default=""))
    op.execute(_FILL)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_register_house_label_trgm",
        "register_house",
        ["label"],
        postgresql_using="gin",
        postgresql_ops={"label": "gin_trgm_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_register_house_label_trgm", table_name="register_house")
    with op.batch_alter_table("register_house") as batch:
        batch.drop_column("label")
