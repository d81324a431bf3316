"""Facts of many appeals at once within the viewer's data scope (``access.scope_condition``): a
few columns per appeal, as analysis (proactive governance, hot problems) needs them. Read-only.
Its unscoped counterpart for the assessment is ``unscoped_facts``.

Import from this module (``from civicgrid.appeals.queries import scoped_facts``); the functions are
named for what they return, and each takes the actor whose scope applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from civicgrid.appeals.models import Appeal, AppealUnit
from civicgrid.appeals.queries.access import path_under, visible_condition
from civicgrid.auth.actor import Actor

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class AppealFacts:
    """The columns of one appeal that analysis uses (no personal data: the caller is a keyed
    phone hash or a user id)."""

    id: int
    number: str
    title: str
    content: str
    address: str
    received_at: datetime
    region_path: str
    category: str
    caller_hash: str
    resident_user_id: int | None
    level: str
    satisfaction: str | None
    reopen_count: int
    lead_unit: str = ""


def _conditions(
    session: Session,
    actor: Actor,
    *,
    start: datetime,
    end: datetime,
    region_path: str | None,
    category: str | None,
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [
        visible_condition(session, actor),
        Appeal.received_at >= start,
        Appeal.received_at < end,
    ]
    if region_path:
        conds.append(path_under(Appeal.region_path, region_path))
    if category:
        conds.append(Appeal.category == category)
    return conds


def appeal_facts_for(
    session: Session,
    actor: Actor,
    *,
    start: datetime,
    end: datetime,
    region_path: str | None = None,
    category: str | None = None,
    with_units: bool = False,
) -> list[AppealFacts]:
    """The appeals ``actor`` may see received in [start, end) (under ``region_path`` and of
    ``category`` when given), oldest first; with ``with_units`` each carries its current lead
    unit as ``"<kind>:<id>:<name>"``."""
    stmt = (
        select(
            Appeal.id,
            Appeal.number,
            Appeal.title,
            Appeal.content,
            Appeal.address,
            Appeal.received_at,
            Appeal.region_path,
            Appeal.category,
            Appeal.caller_phone_hash.label("caller_hash"),
            Appeal.resident_user_id,
            Appeal.level,
            Appeal.satisfaction,
            Appeal.reopen_count,
        )
        .where(
            *_conditions(
                session, actor, start=start, end=end, region_path=region_path, category=category
            )
        )
        .order_by(Appeal.received_at, Appeal.id)
    )
    rows = [AppealFacts(**r._asdict()) for r in session.execute(stmt)]
    if not with_units or not rows:
        return rows
    leads = lead_units(session, [r.id for r in rows])
    return [replace(r, lead_unit=leads.get(r.id, "")) for r in rows]


def lead_units(session: Session, appeal_ids: Iterable[int]) -> dict[int, str]:
    """The current lead unit of each appeal that has one, as ``"<kind>:<id>:<name>"``."""
    ids = sorted(set(appeal_ids))
    found: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        stmt = select(
            AppealUnit.appeal_id, AppealUnit.unit_kind, AppealUnit.unit_id, AppealUnit.unit_name
        ).where(
            AppealUnit.appeal_id.in_(chunk),
            AppealUnit.role == "lead",
            AppealUnit.released_at.is_(None),
        )
        for appeal_id, kind, unit_id, name in session.execute(stmt):
            found[appeal_id] = f"{kind}:{unit_id}:{name}"
    return found


def received_facts_for(
    session: Session,
    actor: Actor,
    *,
    start: datetime,
    end: datetime,
    region_path: str | None = None,
    category: str | None = None,
) -> list[tuple[datetime, str, str]]:
    """(received_at, category, region_path) of the appeals ``actor`` may see in [start, end)."""
    stmt = select(Appeal.received_at, Appeal.category, Appeal.region_path).where(
        *_conditions(
            session, actor, start=start, end=end, region_path=region_path, category=category
        )
    )
    return [(at, cat, path) for at, cat, path in session.execute(stmt)]


def count_received_in(
    session: Session,
    actor: Actor,
    *,
    start: datetime,
    end: datetime,
    region_path: str | None = None,
) -> int:
    """How many appeals ``actor`` may see were received in [start, end) (under
    ``region_path`` when given)."""
    stmt = select(func.count(Appeal.id)).where(
        *_conditions(session, actor, start=start, end=end, region_path=region_path, category=None)
    )
    return int(session.scalar(stmt) or 0)


def visible_ids_for(session: Session, actor: Actor, appeal_ids: Iterable[int]) -> set[int]:
    """Those of ``appeal_ids`` that exist and ``actor`` may see."""
    ids = sorted(set(appeal_ids))
    found: set[int] = set()
    visible = visible_condition(session, actor)  # decided once, not per chunk
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        stmt = select(Appeal.id).where(Appeal.id.in_(chunk), visible)
        found.update(session.scalars(stmt))
    return found


def received_times_of(session: Session, appeal_ids: Iterable[int]) -> list[datetime]:
    """When each of ``appeal_ids`` was received (no scope: for ids the caller already holds,
    e.g. the appeals linked to a governance task)."""
    ids = sorted(set(appeal_ids))
    found: list[datetime] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found.extend(session.scalars(select(Appeal.received_at).where(Appeal.id.in_(chunk))))
    return found
