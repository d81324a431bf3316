"""register: a visit's kind (走访类型: 日常走访, 关爱探访 …)

Revision ID: register_0001
Revises: dispatch_0001
Create Date: 2026-12-07 20:00:00+00:00

Grid workers record what kind of visit they made, so that visits can be counted by kind
(care visits to people living alone, mediation, checks of register data). Existing visits
become ``routine`` (日常走访), which is what they were recorded as.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "register_0001"
down_revision: str | None = "dispatch_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("register_visit") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="routine"))


def downgrade() -> None:
    with op.batch_alter_table("register_visit") as batch:
        batch.drop_column("kind")
