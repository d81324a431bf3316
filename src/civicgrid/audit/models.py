"""The append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from civicgrid.db import Base, UTCDateTime


class AuditEntry(Base):
    """One audited event: every write and every reveal of personal data (who, what, when,
    outcome). Rows are never updated or deleted (等保 2.0 安全审计; 网络安全法 Art. 21 keeps
    logs ≥ 6 months). There is deliberately no foreign key to users, so the log outlives them.

    ``chain_seq``, ``prev_hash`` and ``row_hash`` link the rows into a hash chain
    (:mod:`civicgrid.audit.chain`); the sealer fills them after the writing transaction
    commits."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_subject", "subject_type", "subject_id"),
        Index("ix_audit_entry_at", "at"),
        Index("ix_audit_entry_actor_user_id", "actor_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_user_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(16), default="success")
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    chain_seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """The one row saying where the audit hash chain ends: the last place and its hash.
    Locked while a sealer seals rows, so that the chain never forks (writers never touch it)."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove an append-only row."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(_mapper: Mapper[Any], _conn: Any, target: AuditEntry) -> None:
    raise AppendOnlyError(f"audit entry {target.id} is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(_mapper: Mapper[Any], _conn: Any, target: AuditEntry) -> None:
    raise AppendOnlyError(f"audit entry {target.id} is append-only")
