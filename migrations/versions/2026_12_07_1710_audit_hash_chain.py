"""audit: hash chain over the audit log, with its head row

Revision ID: 0012_audit_chain
Revises: 0011_accounts
Create Date: 2026-12-07 17:10:00+00:00

``audit_entry`` gains ``chain_seq`` (unique), ``prev_hash`` and ``row_hash``; the existing rows
are chained in id order here, and ``audit_chain_head`` gets its one row pointing at the last of
them (civicgrid.audit.chain describes the hash).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db
from civicgrid.audit import chain

revision: str = "0012_audit_chain"
down_revision: str | None = "0011_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(op.f("uq_audit_entry_chain_seq"), ["chain_seq"])
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    seq, prev = _chain_existing_rows()
    op.bulk_insert(head, [{"id": 1, "last_seq": seq, "last_hash": prev}])


def _chain_existing_rows() -> tuple[int, str]:
    entry = sa.table(
        "audit_entry",
        sa.column("id", sa.Integer()),
        sa.column("at", civicgrid.db.UTCDateTime(timezone=True)),
        sa.column("actor_user_id", sa.Integer()),
        sa.column("actor_label", sa.String()),
        sa.column("action", sa.String()),
        sa.column("subject_type", sa.String()),
        sa.column("subject_id", sa.String()),
        sa.column("outcome", sa.String()),
        sa.column("reason", sa.Text()),
        sa.column("detail", sa.JSON()),
        sa.column("chain_seq", sa.Integer()),
        sa.column("prev_hash", sa.String()),
        sa.column("row_hash", sa.String()),
    )
    conn = op.get_bind()
    seal = (
        entry.update()
        .where(entry.c.id == sa.bindparam("row_id"))
        .values(
            chain_seq=sa.bindparam("seq"),
            prev_hash=sa.bindparam("prev"),
            row_hash=sa.bindparam("hash"),
        )
    )
    seq, prev, after = 0, chain.GENESIS, 0
    while True:
        rows = conn.execute(
            sa.select(
                entry.c.id,
                entry.c.at,
                entry.c.actor_user_id,
                entry.c.actor_label,
                entry.c.action,
                entry.c.subject_type,
                entry.c.subject_id,
                entry.c.outcome,
                entry.c.reason,
                entry.c.detail,
            )
            .where(entry.c.id > after)
            .order_by(entry.c.id)
            .limit(_BATCH)
        ).all()
        params = []
        for r in rows:
            seq += 1
            digest = chain.row_hash(
                seq=seq,
                prev_hash=prev,
                at=r.at,
                actor_user_id=r.actor_user_id,
                actor_label=r.actor_label,
                action=r.action,
                subject_type=r.subject_type,
                subject_id=r.subject_id,
                outcome=r.outcome,
                reason=r.reason,
                detail=r.detail or {},
            )
            params.append({"row_id": r.id, "seq": seq, "prev": prev, "hash": digest})
            prev = digest
        if params:
            conn.execute(seal, params)
        if len(rows) < _BATCH:
            return seq, prev
        after = rows[-1].id


def downgrade() -> None:
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_constraint(op.f("uq_audit_entry_chain_seq"), type_="unique")
        batch.drop_column("row_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("chain_seq")
