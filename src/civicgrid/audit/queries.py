"""Read-side building blocks over the audit log for other packages, which never import
:mod:`civicgrid.audit.models` themselves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnExpressionArgument, Exists, String, cast, exists

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
