"""notify: notices to people — encrypted addresses on outbox rows, templates, opt-outs and
staff preferences

Revision ID: notify_0002
Revises: events_0001
Create Date: 2026-12-07 18:00:00+00:00

``outbox_message.address_enc`` (nullable; plain ``ADD COLUMN``) holds the encrypted phone or
e-mail of a notice; ``notice_template`` the admins' wording per kind; ``notice_opt_out`` the
keyed hashes of addresses that asked for no notices; ``notice_preference`` how staff want
deadline warnings.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "notify_0002"
down_revision: str | None = "events_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox_message", sa.Column("address_enc", sa.Text(), nullable=True))
    op.create_table(
        "notice_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_label", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_template")),
        sa.UniqueConstraint("kind", name=op.f("uq_notice_template_kind")),
    )
    op.create_table(
        "notice_opt_out",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_label", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_opt_out")),
        sa.UniqueConstraint("address_hash", name=op.f("uq_notice_opt_out_address_hash")),
    )
    op.create_table(
        "notice_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address_enc", sa.Text(), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("deadline_warnings", sa.Boolean(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("updated_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notice_preference_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notice_preference")),
    )


def downgrade() -> None:
    op.drop_table("notice_preference")
    op.drop_table("notice_opt_out")
    op.drop_table("notice_template")
    # SQLite ≥ 3.35 drops a plain column in place (no table rebuild).
    op.drop_column("outbox_message", "address_enc")
