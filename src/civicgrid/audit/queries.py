"""Read-side building blocks over the audit log for other packages, which never import
:mod:`civicgrid.audit.models` themselves."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnExpressionArgument, Exists, String, cast, exists, func, select
from sqlalchemy.orm import Session

from civicgrid.audit.models import AuditEntry


def entry_exists(
    *,
    action: str,
    subject_type: str,
    subject_id: ColumnExpressionArgument[Any],
    detail: Mapping[str, str] | None = None,
) -> Exists:
    """A correlated ``EXISTS``: true when the audit log holds a row ``action`` about the
    subject whose id is the caller's column ``subject_id`` (an integer key is compared as the
    log's text id) and, when ``detail`` is given, whose detail holds each of its keys with
    that text value (a row without the key does not match). Negate it (``~``) to keep the
    subjects without such a row; it uses the ``(subject_type, subject_id)`` index."""
    conditions = [
        AuditEntry.subject_type == subject_type,
        AuditEntry.subject_id == cast(subject_id, String),
        AuditEntry.action == action,
    ]
    for key, value in (detail or {}).items():
        conditions.append(AuditEntry.detail[key].as_string() == value)
    return exists().where(*conditions)


REGISTER_ACTIONS = "register."  # prefix of every audit action the register's writers record


def last_id_at_or_before(session: Session, at_or_before: datetime, *, after: int = 0) -> int:
    """The highest audit id above ``after`` of a row written at or before ``at_or_before``
    (``after`` when there is none): ids below it belong to transactions that are settled
    (committed or gone) when no writer holds a transaction open longer than the gap."""
    found = session.scalar(
        select(func.max(AuditEntry.id)).where(AuditEntry.id > after, AuditEntry.at <= at_or_before)
    )
    return int(found) if found is not None else after


def register_writes_after(session: Session, after: int) -> tuple[int, ...]:
    """Ids above ``after`` of the audit rows the register's writers record (every create, edit,
    move, tag, import of the register writes one; a few reads too), ascending."""
    stmt = (
        select(AuditEntry.id)
        .where(AuditEntry.id > after, AuditEntry.action.startswith(REGISTER_ACTIONS))
        .order_by(AuditEntry.id)
    )
    return tuple(int(i) for i in session.scalars(stmt))
