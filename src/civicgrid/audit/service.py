"""Writing and reading the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, insert, select
from sqlalchemy.orm import Session

from civicgrid.audit.models import AuditEntry
from civicgrid.auth.actor import Actor


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str | int = "",
    now: datetime,
    outcome: str = "success",
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row. Joins the caller's transaction (never commits)."""
    entry = AuditEntry(
        at=now,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        outcome=outcome,
        reason=reason,
        detail=detail or {},
    )
    session.add(entry)
    session.flush()
    return entry


_APPEND_COLUMNS = (
    "at",
    "actor_user_id",
    "actor_label",
    "action",
    "subject_type",
    "subject_id",
    "outcome",
    "reason",
    "detail",
)


def append_statement(prefix: str = "") -> Insert:
    """A Core INSERT of one audit row whose values are bind parameters named ``prefix`` +
    column name (see :func:`append_params`); a caller may compose it with other inserts in one
    statement. It never fetches the new id. The row is inserted unsealed and put into the hash
    chain later by the sealer (:mod:`civicgrid.audit.sealing`). Rows are only ever inserted:
    the append-only guard on :class:`AuditEntry` still refuses updates and deletes."""
    table = cast(Table, AuditEntry.__table__)
    values = {c: bindparam(prefix + c, type_=table.c[c].type) for c in _APPEND_COLUMNS}
    return insert(table).values(values).inline()


def append_params(
    prefix: str = "",
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str | int = "",
    now: datetime,
    outcome: str = "success",
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The parameters of :func:`append_statement` for one row, as :func:`record` fills it."""
    values: dict[str, Any] = {
        "at": now,
        "actor_user_id": actor.user_id,
        "actor_label": actor.label,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "outcome": outcome,
        "reason": reason,
        "detail": detail or {},
    }
    return {prefix + k: v for k, v in values.items()}


def list_entries(
    session: Session,
    *,
    subject_type: str | None = None,
    subject_id: str | int | None = None,
    action: str | None = None,
    limit: int = 100,
) -> Sequence[AuditEntry]:
    """Newest audit rows first, optionally filtered by subject or action."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if subject_type is not None:
        stmt = stmt.where(AuditEntry.subject_type == subject_type)
    if subject_id is not None:
        stmt = stmt.where(AuditEntry.subject_id == str(subject_id))
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    return session.scalars(stmt).all()


_REFUSALS = "civicgrid.audit.refusals"


def note_refusal(
    session: Session,
    *,
    actor: Actor,
    subject_type: str,
    subject_id: str | int,
    reason: str,
    detail: dict[str, Any] | None = None,
    action: str = "access.refused",
    outcome: str = "denied",
) -> None:
    """Note a refusal (an object outside the actor's data scope, a rejected import file …)
    to be audited as ``action`` with ``outcome`` even though the request's transaction is
    rolled back: the edge writes the notes in a transaction of their own when it ends the
    request or command (:func:`write_refusals`). Writes nothing now."""
    notes: list[dict[str, Any]] = session.info.setdefault(_REFUSALS, [])
    notes.append(
        {
            "action": action,
            "outcome": outcome,
            "actor": actor,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "reason": reason,
            "detail": detail or {},
        }
    )


def has_refusals(session: Session) -> bool:
    """Whether :func:`note_refusal` left notes to write."""
    return bool(session.info.get(_REFUSALS))


def write_refusals(session: Session, *, now: datetime) -> int:
    """Write the noted refusals as audit rows in a transaction of their own (after the
    request's own work was rolled back) and commit; returns how many. For the edges that end a
    request or command."""
    notes: list[dict[str, Any]] = session.info.pop(_REFUSALS, [])
    if not notes:
        return 0
    session.rollback()
    for note in notes:
        record(session, now=now, **note)
    session.commit()
    return len(notes)
