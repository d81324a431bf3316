"""protect: response headers kept with an idempotent answer

Revision ID: protect_0002
Revises: protect_0001
Create Date: 2026-12-07 18:10:00+00:00

``idempotent_answer.headers_json`` holds the response headers replayed with the stored body
(``Location`` of a created appeal). Plain ``ADD COLUMN`` with a default: no table rebuild.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "protect_0002"
down_revision: str | None = "protect_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "idempotent_answer",
        sa.Column("headers_json", sa.Text(), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("idempotent_answer", "headers_json")
