"""appeals: reason, time and reviewer of the 不合理诉求 finding on the appeal

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 18:00:00+00:00

Existing appeals already marked unreasonable (``excluded_from_rates``) get the note of their
latest ``mark_unreasonable`` timeline event as the reason, with its time and actor; an appeal
without such an event gets a fixed text. The columns are added with plain ``ADD COLUMN`` (no
table rebuild on SQLite: rebuilding ``appeal`` with foreign keys on would cascade-delete the
rows that reference it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_REASON = "（本字段启用前已认定为不合理诉求，未记录理由）"

appeal = sa.table(
    "appeal",
    sa.column("id", sa.Integer()),
    sa.column("excluded_from_rates", sa.Boolean()),
    sa.column("unreasonable_reason", sa.Text()),
    sa.column("unreasonable_at", civicgrid.db.UTCDateTime(timezone=True)),
    sa.column("unreasonable_by_user_id", sa.Integer()),
    sa.column("unreasonable_by_label", sa.String(200)),
)
event = sa.table(
    "appeal_event",
    sa.column("id", sa.Integer()),
    sa.column("appeal_id", sa.Integer()),
    sa.column("at", civicgrid.db.UTCDateTime(timezone=True)),
    sa.column("action", sa.String(32)),
    sa.column("actor_user_id", sa.Integer()),
    sa.column("actor_label", sa.String(200)),
    sa.column("note", sa.Text()),
)


def _latest_mark(column: sa.ColumnElement[object]) -> sa.ScalarSelect[object]:
    """``column`` of the appeal's latest mark_unreasonable event with a reason."""
    return (
        sa.select(column)
        .where(
            event.c.appeal_id == appeal.c.id,
            event.c.action == "mark_unreasonable",
            event.c.note != "",
        )
        .order_by(event.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def upgrade() -> None:
    op.add_column("appeal", sa.Column("unreasonable_reason", sa.Text(), nullable=True))
    op.add_column(
        "appeal",
        sa.Column("unreasonable_at", civicgrid.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("appeal", sa.Column("unreasonable_by_user_id", sa.Integer(), nullable=True))
    op.add_column(
        "appeal", sa.Column("unreasonable_by_label", sa.String(length=200), nullable=True)
    )
    op.execute(
        sa.update(appeal)
        .where(appeal.c.excluded_from_rates == sa.true())
        .values(
            unreasonable_reason=sa.func.coalesce(
                _latest_mark(event.c.note), sa.literal(LEGACY_REASON)
            ),
            unreasonable_at=_latest_mark(event.c.at),
            unreasonable_by_user_id=_latest_mark(event.c.actor_user_id),
            unreasonable_by_label=_latest_mark(event.c.actor_label),
        )
    )


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a plain column in place (no table rebuild).
    op.drop_column("appeal", "unreasonable_by_label")
    op.drop_column("appeal", "unreasonable_by_user_id")
    op.drop_column("appeal", "unreasonable_at")
    op.drop_column("appeal", "unreasonable_reason")
