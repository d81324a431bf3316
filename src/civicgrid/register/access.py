"""The only road to register rows for an actor: role checks, territorial data-scope filters
and the audited reveal of encrypted personal data (PIPL Art. 51 least privilege; DOMAIN §4.2).

Rows outside the actor's scope are reported as missing (NotFound), never as forbidden, so the
API does not confirm that a person exists in another community.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from civicgrid.audit.service import note_refusal, record
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.errors import Forbidden, Invalid, NotFound
from civicgrid.kit.crypto import FieldCipher
from civicgrid.register import rules
from civicgrid.register.models import (
    Address,
    Building,
    House,
    PatrolTrack,
    Resident,
    Visit,
)

M = TypeVar("M", Address, Building, House, Resident, Visit, PatrolTrack)

_LABELS: dict[type, str] = {
    Address: "地址",
    Building: "楼栋",
    House: "房屋",
    Resident: "居民",
    Visit: "走访记录",
    PatrolTrack: "巡查轨迹",
}


def require_role(actor: Actor, roles: frozenset[Role], what: str) -> None:
    """Raise Forbidden unless the actor holds one of ``roles``."""
    if not actor.has_role(*roles):
        labels = "、".join(r.label for r in sorted(roles))
        raise Forbidden(f"没有权限{what}：需要以下角色之一：{labels}")


def scope_filter(column: InstrumentedAttribute[str], actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause keeping rows whose ``region_path`` lies inside the actor's scope."""
    scope = actor.scope
    if scope.is_global:
        return true()
    prefixes = scope.minimal_paths()
    if not prefixes:
        return false()
    return or_(*(column.startswith(p, autoescape=True) for p in prefixes))


def covers(actor: Actor, region_path: str) -> bool:
    """Whether a row with this region path lies inside the actor's scope."""
    return actor.scope.covers_path(region_path)


def get_for(session: Session, model: type[M], row_id: int, actor: Actor) -> M:
    """Load one scoped row for an actor with read rights; NotFound when missing or out of
    scope."""
    require_role(actor, rules.READ_ROLES, "查看人房信息")
    row = session.get(model, row_id)
    if row is None or not covers(actor, row.region_path):
        if row is not None:
            note_refusal(
                session,
                actor=actor,
                subject_type=model.__tablename__,
                subject_id=row_id,
                reason="out_of_scope",
            )
        label = _LABELS.get(model, "记录")
        raise NotFound(f"{label} {row_id} 不存在或不在您的数据范围内")
    return row


def get_for_write(session: Session, model: type[M], row_id: int, actor: Actor) -> M:
    """Like :func:`get_for`, for actors with write rights."""
    require_role(actor, rules.WRITE_ROLES, "修改人房信息")
    return get_for(session, model, row_id, actor)


def require_path_in_scope(actor: Actor, region_path: str, what: str) -> None:
    """Raise Forbidden when an actor writes to a grid outside the scope."""
    if not covers(actor, region_path):
        raise Forbidden(f"{what}不在您的数据范围内")


@dataclass(frozen=True)
class RevealedResident:
    """The plain ID number and phone of one resident, returned once per audited reveal."""

    resident_id: int
    name: str
    id_no: str
    phone: str


def reveal(
    session: Session,
    *,
    resident: Resident,
    actor: Actor,
    reason: str,
    cipher: FieldCipher,
    now: datetime,
) -> RevealedResident:
    """Decrypt a resident's ID number and phone and audit the reveal (who, whom, why).
    Joins the caller's transaction. The resident must already be loaded through
    :func:`get_for`. Raises Forbidden without a reveal role, Invalid without a reason."""
    require_role(actor, rules.REVEAL_ROLES, "查看完整身份信息")
    problem = rules.reason_problem(reason)
    if problem:
        raise Invalid(problem)
    if not covers(actor, resident.region_path):
        raise NotFound(f"居民 {resident.id} 不存在或不在您的数据范围内")
    revealed = RevealedResident(
        resident_id=resident.id,
        name=resident.name,
        id_no=cipher.decrypt(resident.id_no_enc),
        phone=cipher.decrypt(resident.phone_enc) if resident.phone_enc else "",
    )
    detail: dict[str, Any] = {"fields": ["id_no", "phone"], "grid_id": resident.grid_id}
    record(
        session,
        actor=actor,
        action="register.resident.reveal",
        subject_type="resident",
        subject_id=resident.id,
        now=now,
        reason=reason.strip(),
        detail=detail,
    )
    return revealed
