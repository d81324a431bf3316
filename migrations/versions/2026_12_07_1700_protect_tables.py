"""protect: throttle counters and stored idempotent answers

Revision ID: protect_0001
Revises: 0013_job_run
Create Date: 2026-12-07 17:00:00+00:00

``throttle_counter`` holds the fixed-window counters of the database throttling store (one row
per limit and identity, restarted when its window has ended); ``idempotent_answer`` keeps the
first answer to a write sent with an ``Idempotency-Key`` header for 24 hours.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "protect_0001"
down_revision: str | None = "0013_job_run"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "throttle_counter",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_epoch_s", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle_counter")),
    )
    op.create_index(
        op.f("ix_throttle_counter_expires_epoch_s"),
        "throttle_counter",
        ["expires_epoch_s"],
    )
    op.create_table(
        "idempotent_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotent_answer")),
        sa.UniqueConstraint(
            "scope", "idempotency_key", name=op.f("uq_idempotent_answer_scope_idempotency_key")
        ),
    )
    op.create_index(op.f("ix_idempotent_answer_expires_at"), "idempotent_answer", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotent_answer_expires_at"), table_name="idempotent_answer")
    op.drop_table("idempotent_answer")
    op.drop_index(op.f("ix_throttle_counter_expires_epoch_s"), table_name="throttle_counter")
    op.drop_table("throttle_counter")
