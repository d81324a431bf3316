"""search: trigram indexes for the appeal list's text search (PostgreSQL only)

Revision ID: search_0002
Revises: search_0001
Create Date: 2026-12-07 23:00:00+00:00

The appeal list's ``?q=`` matches ``lower(title)``, ``lower(content)`` and ``lower(address)``
with ``LIKE '%…%'`` (or the number exactly). Without an index every search scans every appeal
(440–880 ms on 20,000 appeals under load, issue 19); one GIN index with ``gin_trgm_ops`` per
lowered column lets PostgreSQL answer the OR of the three from the fragment's trigrams (a
bitmap OR of the three index scans and the number's unique index). The expressions must stay
exactly those of ``civicgrid.appeals.queries.access.text_condition``. SQLite has no trigram
index and keeps scanning.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "search_0002"
down_revision: str | None = "search_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("title", "content", "address")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.create_index(
            f"ix_appeal_{column}_trgm",
            "appeal",
            [sa.text(f"lower({column}) gin_trgm_ops")],
            postgresql_using="gin",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.drop_index(f"ix_appeal_{column}_trgm", table_name="appeal")
