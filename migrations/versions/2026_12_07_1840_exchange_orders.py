"""exchange: external 12345 work-order numbers beside the appeals they became

Revision ID: exchange_0001
Revises: demo_0001
Create Date: 2026-12-07 18:40:00+00:00

``exchange_order`` keeps the hotline platform's work-order number (unique) and the appeal it
was imported as (unique), so that importing the same export again updates instead of
duplicating.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "exchange_0001"
down_revision: str | None = "demo_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_no", sa.String(length=64), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("source_status", sa.String(length=32), nullable=False),
        sa.Column("imported_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_exchange_order_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_order")),
        sa.UniqueConstraint("external_no", name=op.f("uq_exchange_order_external_no")),
        sa.UniqueConstraint("appeal_id", name=op.f("uq_exchange_order_appeal_id")),
    )


def downgrade() -> None:
    op.drop_table("exchange_order")
