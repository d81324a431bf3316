"""appeals tables (接诉即办) and the notification outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appeal_daily_sequence",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_appeal_daily_sequence")),
    )
    op.create_table(
        "knowledge_article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("keywords", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_article")),
    )
    with op.batch_alter_table("knowledge_article", schema=None) as batch_op:
        batch_op.create_index("ix_knowledge_article_title", ["title"], unique=False)

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recipient_kind", sa.String(length=16), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sent_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("read_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_message_recipient", ["recipient_kind", "recipient_id"], unique=False
        )
        batch_op.create_index("ix_outbox_message_status", ["status"], unique=False)

    op.create_table(
        "working_day_override",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("updated_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_working_day_override")),
    )
    op.create_table(
        "appeal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("flow", sa.String(length=16), nullable=False),
        sa.Column("appeal_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("region_path", sa.String(length=255), nullable=False),
        sa.Column("caller_name_enc", sa.Text(), nullable=False),
        sa.Column("caller_phone_enc", sa.Text(), nullable=False),
        sa.Column("caller_phone_hash", sa.String(length=64), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("resident_user_id", sa.Integer(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("received_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("contacted_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("replied_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dispatch_due_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_due_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finish_due_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dispatch_overdue_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finish_overdue_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disposition", sa.String(length=32), nullable=False),
        sa.Column("disposition_note", sa.Text(), nullable=False),
        sa.Column("knowledge_article_id", sa.Integer(), nullable=True),
        sa.Column("reply_text", sa.Text(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("satisfaction", sa.String(length=20), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("reporter_grid_id", sa.Integer(), nullable=True),
        sa.Column("excluded_from_rates", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_appeal_created_by_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["knowledge_article_id"],
            ["knowledge_article.id"],
            name=op.f("fk_appeal_knowledge_article_id_knowledge_article"),
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["appeal.id"], name=op.f("fk_appeal_merged_into_id_appeal")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_appeal_region_id_region")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_grid_id"], ["region.id"], name=op.f("fk_appeal_reporter_grid_id_region")
        ),
        sa.ForeignKeyConstraint(
            ["resident_user_id"],
            ["user_account.id"],
            name=op.f("fk_appeal_resident_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal")),
        sa.UniqueConstraint("number", name=op.f("uq_appeal_number")),
    )
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_caller_phone_hash", ["caller_phone_hash"], unique=False)
        batch_op.create_index("ix_appeal_merged_into_id", ["merged_into_id"], unique=False)
        batch_op.create_index("ix_appeal_received_at", ["received_at"], unique=False)
        batch_op.create_index("ix_appeal_region_path", ["region_path"], unique=False)
        batch_op.create_index("ix_appeal_resident_user_id", ["resident_user_id"], unique=False)
        batch_op.create_index("ix_appeal_status", ["status"], unique=False)

    op.create_table(
        "appeal_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("media_key", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_appeal_attachment_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_attachment")),
    )
    with op.batch_alter_table("appeal_attachment", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_attachment_appeal_id", ["appeal_id"], unique=False)

    op.create_table(
        "appeal_callback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("satisfaction", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_appeal_callback_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_callback")),
    )
    with op.batch_alter_table("appeal_callback", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_callback_appeal_id", ["appeal_id"], unique=False)

    op.create_table(
        "appeal_tracking_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_tracking_failure")),
    )
    with op.batch_alter_table("appeal_tracking_failure", schema=None) as batch_op:
        batch_op.create_index(
            "ix_appeal_tracking_failure_number_at", ["number", "at"], unique=False
        )

    op.create_table(
        "appeal_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=False),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_appeal_event_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_event")),
    )
    with op.batch_alter_table("appeal_event", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_event_appeal_id", ["appeal_id", "id"], unique=False)

    op.create_table(
        "appeal_extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("old_due_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("requested_due_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_appeal_extension_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_extension")),
    )
    with op.batch_alter_table("appeal_extension", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_extension_appeal_id", ["appeal_id"], unique=False)

    op.create_table(
        "appeal_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("unit_kind", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_appeal_return_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_return")),
    )
    with op.batch_alter_table("appeal_return", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_return_appeal_id", ["appeal_id"], unique=False)

    op.create_table(
        "appeal_supervision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("by_label", sa.String(length=200), nullable=False),
        sa.Column("sweep_key", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_appeal_supervision_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_supervision")),
        sa.UniqueConstraint(
            "appeal_id", "sweep_key", name=op.f("uq_appeal_supervision_appeal_id_sweep_key")
        ),
    )
    with op.batch_alter_table("appeal_supervision", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_supervision_appeal_id", ["appeal_id"], unique=False)

    op.create_table(
        "appeal_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("unit_kind", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_name", sa.String(length=100), nullable=False),
        sa.Column("unit_path", sa.String(length=255), nullable=False),
        sa.Column("assigned_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_appeal_unit_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_unit")),
    )
    with op.batch_alter_table("appeal_unit", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_unit_appeal_id", ["appeal_id"], unique=False)
        batch_op.create_index("ix_appeal_unit_unit", ["unit_kind", "unit_id"], unique=False)
        batch_op.create_index("ix_appeal_unit_unit_path", ["unit_path"], unique=False)

    op.create_table(
        "appeal_whistle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("called_at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("arrive_by", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("called_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_appeal_whistle_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_whistle")),
    )
    with op.batch_alter_table("appeal_whistle", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_whistle_appeal_id", ["appeal_id"], unique=False)

    op.create_table(
        "appeal_whistle_summons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("whistle_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("department_name", sa.String(length=100), nullable=False),
        sa.Column("arrived_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("arrival_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_appeal_whistle_summons_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["whistle_id"],
            ["appeal_whistle.id"],
            name=op.f("fk_appeal_whistle_summons_whistle_id_appeal_whistle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_whistle_summons")),
        sa.UniqueConstraint(
            "whistle_id",
            "department_id",
            name=op.f("uq_appeal_whistle_summons_whistle_id_department_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("appeal_whistle_summons")
    with op.batch_alter_table("appeal_whistle", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_whistle_appeal_id")

    op.drop_table("appeal_whistle")
    with op.batch_alter_table("appeal_unit", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_unit_unit_path")
        batch_op.drop_index("ix_appeal_unit_unit")
        batch_op.drop_index("ix_appeal_unit_appeal_id")

    op.drop_table("appeal_unit")
    with op.batch_alter_table("appeal_supervision", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_supervision_appeal_id")

    op.drop_table("appeal_supervision")
    with op.batch_alter_table("appeal_return", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_return_appeal_id")

    op.drop_table("appeal_return")
    with op.batch_alter_table("appeal_extension", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_extension_appeal_id")

    op.drop_table("appeal_extension")
    with op.batch_alter_table("appeal_event", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_event_appeal_id")

    op.drop_table("appeal_event")
    with op.batch_alter_table("appeal_tracking_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_tracking_failure_number_at")

    op.drop_table("appeal_tracking_failure")
    with op.batch_alter_table("appeal_callback", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_callback_appeal_id")

    op.drop_table("appeal_callback")
    with op.batch_alter_table("appeal_attachment", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_attachment_appeal_id")

    op.drop_table("appeal_attachment")
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_status")
        batch_op.drop_index("ix_appeal_resident_user_id")
        batch_op.drop_index("ix_appeal_region_path")
        batch_op.drop_index("ix_appeal_received_at")
        batch_op.drop_index("ix_appeal_merged_into_id")
        batch_op.drop_index("ix_appeal_caller_phone_hash")

    op.drop_table("appeal")
    op.drop_table("working_day_override")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_status")
        batch_op.drop_index("ix_outbox_message_recipient")

    op.drop_table("outbox_message")
    with op.batch_alter_table("knowledge_article", schema=None) as batch_op:
        batch_op.drop_index("ix_knowledge_article_title")

    op.drop_table("knowledge_article")
    op.drop_table("appeal_daily_sequence")
