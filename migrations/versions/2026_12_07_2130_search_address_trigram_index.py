"""search: trigram index for substring search over standard addresses (PostgreSQL only)

Revision ID: search_0001
Revises: scale_0001
Create Date: 2026-12-07 21:30:00+00:00

Register searches match ``register_address.name LIKE '%…%'`` (the address list, residents by
address). Without an index that is a scan of every address (≈ 620 ms over 1,000,000); a GIN
index with ``gin_trgm_ops`` on the same column answers it from the trigrams of the fragment
(issue 19, city scale). SQLite has no trigram index and keeps scanning: nothing to do there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "search_0001"
down_revision: str | None = "scale_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_register_address_name_trgm",
        "register_address",
        ["name"],
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_register_address_name_trgm", table_name="register_address")
    # The extension stays: other objects may use it, and dropping it needs more rights.
