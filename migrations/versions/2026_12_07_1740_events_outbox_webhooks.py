"""events: outbox retries and delivery log, webhook subscriptions and secrets

Revision ID: events_0001
Revises: open311_0001
Create Date: 2026-12-07 17:40:00+00:00

``outbox_message`` gains ``next_attempt_at`` (a retry waits out its backoff) and ``source_id``
(a delivery fanned out from an event row points at it; batch mode on SQLite for the foreign
key). ``outbox_attempt`` is the delivery log; ``webhook_subscription`` and ``webhook_secret``
hold who receives which events and the encrypted signing secrets.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "events_0001"
down_revision: str | None = "open311_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(
            sa.Column("next_attempt_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_outbox_message_source_id_outbox_message"),
            "outbox_message",
            ["source_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(batch.f("ix_outbox_message_source_id"), ["source_id"])
    op.create_table(
        "outbox_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_message.id"],
            name=op.f("fk_outbox_attempt_message_id_outbox_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attempt")),
    )
    op.create_index(op.f("ix_outbox_attempt_message_id"), "outbox_attempt", ["message_id"])
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_label", sa.String(length=200), nullable=False),
        sa.Column("updated_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscription")),
    )
    op.create_table(
        "webhook_secret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("secret_enc", sa.Text(), nullable=False),
        sa.Column("created_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscription.id"],
            name=op.f("fk_webhook_secret_subscription_id_webhook_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_secret")),
    )
    op.create_index(
        op.f("ix_webhook_secret_subscription_id"), "webhook_secret", ["subscription_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_secret_subscription_id"), table_name="webhook_secret")
    op.drop_table("webhook_secret")
    op.drop_table("webhook_subscription")
    op.drop_index(op.f("ix_outbox_attempt_message_id"), table_name="outbox_attempt")
    op.drop_table("outbox_attempt")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index(batch.f("ix_outbox_message_source_id"))
        batch.drop_constraint(
            batch.f("fk_outbox_message_source_id_outbox_message"), type_="foreignkey"
        )
        batch.drop_column("source_id")
        batch.drop_column("next_attempt_at")
