"""Steps shared by the register's use cases: the grid by code, the tag by code or name, and
the audit row. Joiners: they take the session and never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.errors import Invalid, NotFound
from civicgrid.register import queries, rules
from civicgrid.register.grids import GridRef, grids_by_code
from civicgrid.register.models import Tag


def get_grid(session: Session, grid_code: str) -> GridRef:
    grid = grids_by_code(session, [grid_code]).get(grid_code)
    if grid is None:
        raise NotFound(f"网格 {grid_code} 不存在")
    return grid


def audit(
    session: Session,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: int | str,
    now: datetime,
    **detail: Any,
) -> None:
    record(
        session,
        actor=actor,
        action=f"register.{action}",
        subject_type=subject_type,
        subject_id=subject_id,
        now=now,
        detail=detail,
    )


def get_tag(session: Session, key: str, target: rules.TagTarget) -> Tag:
    tag = queries.tags_by_key(session).get(key)
    if tag is None:
        raise NotFound(f"标签「{key}」不存在")
    if tag.target != target.value:
        raise Invalid(f"标签「{tag.name}」不能用于{'居民' if target == 'resident' else '房屋'}")
    return tag
