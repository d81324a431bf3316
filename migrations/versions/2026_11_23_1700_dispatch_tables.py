"""dispatch tables: catalogue items and dispatch feedback

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 17:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalogue_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("parent_code", sa.String(length=6), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner_rule", sa.String(length=16), nullable=False),
        sa.Column("owner_unit", sa.String(length=50), nullable=False),
        sa.Column("default_level", sa.String(length=2), nullable=False),
        sa.Column("default_finish_days", sa.Integer(), nullable=False),
        sa.Column("requires_site_visit", sa.Boolean(), nullable=False),
        sa.Column("whistle_candidate", sa.Boolean(), nullable=False),
        sa.Column("keywords", sa.String(length=500), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("updated_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_item")),
        sa.UniqueConstraint("code", name=op.f("uq_catalogue_item_code")),
    )
    with op.batch_alter_table("catalogue_item", schema=None) as batch_op:
        batch_op.create_index("ix_catalogue_item_level", ["level"], unique=False)
        batch_op.create_index("ix_catalogue_item_parent_code", ["parent_code"], unique=False)

    op.create_table(
        "dispatch_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("predicted_label", sa.String(length=100), nullable=False),
        sa.Column("predicted_probability", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("chosen_code", sa.String(length=6), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_dispatch_feedback_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_feedback")),
    )
    with op.batch_alter_table("dispatch_feedback", schema=None) as batch_op:
        batch_op.create_index("ix_dispatch_feedback_appeal_id", ["appeal_id"], unique=False)
        batch_op.create_index("ix_dispatch_feedback_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dispatch_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_dispatch_feedback_at")
        batch_op.drop_index("ix_dispatch_feedback_appeal_id")

    op.drop_table("dispatch_feedback")
    with op.batch_alter_table("catalogue_item", schema=None) as batch_op:
        batch_op.drop_index("ix_catalogue_item_parent_code")
        batch_op.drop_index("ix_catalogue_item_level")

    op.drop_table("catalogue_item")
