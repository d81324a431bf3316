"""Read-side building blocks over the audit log for other packages, which never import
:mod:`civicgrid.audit.models` themselves."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnExpressionArgument, Exists, String, cast, exists

from civicgrid.audit.models import AuditEntry


def entry_exists(
    *, action: str, subject_type: str, subject_id: ColumnExpressionArgument[Any]
) -> Exists:
    """A correlated ``EXISTS``: true when the audit log holds a row ``action`` about the
    subject whose id is the caller's column ``subject_id`` (an integer key is compared as the
    log's text id). Negate it (``~``) to keep the subjects without such a row; it uses the
    ``(subject_type, subject_id)`` index."""
    return exists().where(
        AuditEntry.subject_type == subject_type,
        AuditEntry.subject_id == cast(subject_id, String),
        AuditEntry.action == action,
    )
