"""dispatch: automatic routing's attempts in their own table, carried over from the audit log

Revision ID: dispatch_0001
Revises: exchange_0001
Create Date: 2026-12-07 18:30:00+00:00

Until now automatic routing wrote an audit row ``dispatch.auto_route`` (outcome ``manual``,
``detail.model_version``) when it left an appeal to the dispatcher, and its job read those rows
back as its queue. The table ``dispatch_routing_attempt`` takes that role; every such marker
is copied into it (appeal, model version — empty when the marker predates versions —, outcome,
reason, time). The audit rows stay where they are: the audit log is append-only and keeps its
history; nothing reads them as a queue any more. The downgrade drops the table (the audit rows
it was copied from are still there).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "dispatch_0001"
down_revision: str | None = "exchange_0001"
branch_labels: str | Sequence[str] | None = ("dispatch",)
depends_on: str | Sequence[str] | None = None

MARKER = "dispatch.auto_route"
BATCH = 1000

audit = sa.table(
    "audit_entry",
    sa.column("id", sa.Integer()),
    sa.column("at", civicgrid.db.UTCDateTime()),
    sa.column("action", sa.String()),
    sa.column("subject_type", sa.String()),
    sa.column("subject_id", sa.String()),
    sa.column("outcome", sa.String()),
    sa.column("reason", sa.Text()),
    sa.column("detail", sa.JSON()),
)
appeal = sa.table("appeal", sa.column("id", sa.Integer()))


def upgrade() -> None:
    attempt = op.create_table(
        "dispatch_routing_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", civicgrid.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_dispatch_routing_attempt_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_routing_attempt")),
    )
    assert attempt is not None
    op.create_index(
        "ix_dispatch_routing_attempt_appeal_model",
        "dispatch_routing_attempt",
        ["appeal_id", "model_version"],
    )
    op.create_index("ix_dispatch_routing_attempt_at", "dispatch_routing_attempt", ["at"])
    _carry_markers_over(attempt)


def _carry_markers_over(attempt: sa.Table) -> None:
    """Copy every ``dispatch.auto_route`` audit marker of an appeal that still exists, oldest
    first, in batches (the detail's JSON is read in Python: one code path for both engines)."""
    bind = op.get_bind()
    appeal_exists = sa.exists().where(sa.cast(appeal.c.id, sa.String) == audit.c.subject_id)
    last = 0
    while True:
        rows = bind.execute(
            sa.select(audit.c.id, audit.c.at, audit.c.subject_id, audit.c.outcome)
            .add_columns(audit.c.reason, audit.c.detail)
            .where(
                audit.c.action == MARKER,
                audit.c.subject_type == "appeal",
                audit.c.id > last,
                appeal_exists,
            )
            .order_by(audit.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1].id
        values = [
            {
                "appeal_id": int(r.subject_id),
                "model_version": str((r.detail or {}).get("model_version", ""))[:64],
                "outcome": (r.outcome or "manual")[:16],
                "reason": r.reason or "",
                "at": r.at,
            }
            for r in rows
        ]
        bind.execute(sa.insert(attempt), values)


def downgrade() -> None:
    op.drop_index("ix_dispatch_routing_attempt_at", table_name="dispatch_routing_attempt")
    op.drop_index("ix_dispatch_routing_attempt_appeal_model", table_name="dispatch_routing_attempt")
    op.drop_table("dispatch_routing_attempt")
