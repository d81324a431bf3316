"""open311: client applications (hashed API keys) and the request record beside each appeal

Revision ID: open311_0001
Revises: protect_0002
Create Date: 2026-12-07 17:30:00+00:00

``open311_client`` holds the applications allowed to file requests (name, key prefix, SHA-256
of the key, own rate limit, revocation); ``open311_request`` records, for every appeal filed
through Open311, which application sent it and what it sent beside the appeal. The appeal's
``channel`` column is a plain string without a check constraint, so the new channel value
``open311`` needs no change to it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "open311_0001"
down_revision: str | None = "protect_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "open311_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("created_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_label", sa.String(length=200), nullable=False),
        sa.Column("last_used_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_client")),
        sa.UniqueConstraint("name", name=op.f("uq_open311_client_name")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_client_key_hash")),
    )
    op.create_table(
        "open311_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("service_request_id", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=6), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("media_url", sa.String(length=1000), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("email_enc", sa.Text(), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=100), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("requested_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_open311_request_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["open311_client.id"],
            name=op.f("fk_open311_request_client_id_open311_client"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_request")),
        sa.UniqueConstraint("appeal_id", name=op.f("uq_open311_request_appeal_id")),
        sa.UniqueConstraint(
            "service_request_id", name=op.f("uq_open311_request_service_request_id")
        ),
    )
    op.create_index("ix_open311_request_requested_at", "open311_request", ["requested_at"])
    op.create_index("ix_open311_request_client_id", "open311_request", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_open311_request_client_id", table_name="open311_request")
    op.drop_index("ix_open311_request_requested_at", table_name="open311_request")
    op.drop_table("open311_request")
    op.drop_table("open311_client")
