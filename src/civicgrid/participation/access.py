"""Who may do what in participation, and the roads to the rows of other packages it needs:
regions (territory.queries), residents and their current residences (register), resident
accounts linked to register residents (our ResidentLink).

Staff manage consultations, orders and projects of the regions in their data scope; rows
outside the scope are reported as missing (NotFound), as the register does. Residents act
through the register resident linked to their account.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from civicgrid.audit.service import record
from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.participation.models import ResidentLink
from civicgrid.register import queries as register_queries
from civicgrid.register.queries import ResidentRef
from civicgrid.territory import queries as territory_queries
from civicgrid.territory.hierarchy import path_ids
from civicgrid.territory.models import Region

# Community and street staff, grid workers and admins run consultations, orders and projects.
MANAGE_ROLES = frozenset({Role.ADMIN, Role.STREET_HANDLER, Role.GRID_WORKER})
# Who may read the staff views (lists, details, totals) within their scope.
STAFF_READ_ROLES = MANAGE_ROLES | {Role.SUPERVISOR, Role.LEADER}
RESIDENT_ROLES = frozenset({Role.RESIDENT})


def require_roles(actor: Actor, roles: frozenset[Role], what: str) -> None:
    """Forbidden (403) unless the actor holds one of ``roles``."""
    if not actor.has_role(*roles):
        labels = "、".join(r.label for r in sorted(roles))
        raise Forbidden(f"没有权限{what}：需要以下角色之一：{labels}")


def require_manager(actor: Actor, what: str) -> None:
    require_roles(actor, MANAGE_ROLES, what)


def is_staff(actor: Actor) -> bool:
    return actor.has_role(*STAFF_READ_ROLES)


def check_scope(actor: Actor, region_path: str, what: str, row_id: int | str) -> None:
    """NotFound unless the row's region lies inside the actor's scope."""
    if not actor.scope.covers_path(region_path):
        raise NotFound(f"{what} {row_id} 不存在或不在您的数据范围内")


def region_in_scope(
    session: Session, actor: Actor, code: str, levels: Iterable[str], what: str
) -> Region:
    """The region with ``code`` inside the actor's scope, of one of ``levels``."""
    region = territory_queries.get_region_for(session, actor, code.strip())
    wanted = frozenset(levels)
    if region.level not in wanted:
        raise Invalid(_level_message(what, wanted, region.level))
    return region


def region_any(session: Session, code: str, levels: Iterable[str], what: str) -> Region:
    """The region with ``code`` (for residents, who have no territorial scope)."""
    region = territory_queries.get_region_by_code(session, code.strip())
    wanted = frozenset(levels)
    if region.level not in wanted:
        raise Invalid(_level_message(what, wanted, region.level))
    return region


def _level_message(what: str, wanted: frozenset[str], level: str) -> str:
    return f"{what}应选择以下层级的区域：{'、'.join(sorted(wanted))}（当前为 {level}）"


def region_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Region names by id."""
    return {rid: r.name for rid, r in territory_queries.regions_by_ids(session, ids).items()}


def region_code(session: Session, region_id: int) -> str:
    found = territory_queries.regions_by_ids(session, [region_id]).get(region_id)
    if found is None:
        raise NotFound(f"区域 {region_id} 不存在")
    return found.code


# --- residents ----------------------------------------------------------------------------------


def current_residence_paths(session: Session, resident_id: int, today: date) -> list[str]:
    """Region paths of the resident's current residences; unscoped, so that eligibility does
    not depend on the voter's own scope (``register.queries``)."""
    return register_queries.current_residence_paths(session, resident_id, today)


def home_communities(session: Session, resident_id: int, today: date) -> list[Region]:
    """The communities the resident currently lives in (for the resident's forms)."""
    ids = {i for p in current_residence_paths(session, resident_id, today) for i in path_ids(p)}
    regions = territory_queries.regions_by_ids(session, ids).values()
    return sorted((r for r in regions if r.level == "community"), key=lambda r: r.code)


def residents_living_in(session: Session, region_path: str, today: date, limit: int) -> list[int]:
    """Ids of residents with a current residence inside the region (demo data, eligibility
    lists), lowest id first."""
    return register_queries.resident_ids_living_in(session, region_path, today, limit=limit)


def resident_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    return register_queries.resident_names(session, list(ids))


def staff_resident(session: Session, actor: Actor, resident_id: int) -> ResidentRef:
    """A register resident the staff actor may see (register.access: role and scope)."""
    return register_queries.resident_ref_for(session, actor, resident_id)


def linked_resident_id(session: Session, user_id: int | None) -> int | None:
    """The register resident linked to a resident account, or None."""
    if user_id is None:
        return None
    return session.scalar(select(ResidentLink.resident_id).where(ResidentLink.user_id == user_id))


def require_linked_resident(session: Session, actor: Actor) -> int:
    """The register resident of a resident account; Forbidden when the account is not linked
    yet (the community links it after checking the person)."""
    resident_id = linked_resident_id(session, actor.user_id)
    if resident_id is None:
        raise Forbidden("您的账号尚未关联实有人口登记，请联系社区办理关联")
    return resident_id


def link_resident(
    session: Session, *, user_id: int, resident_id: int, actor: Actor, now: datetime
) -> ResidentLink:
    """Link a resident account to a register resident in the actor's scope. Joins the
    caller's transaction."""
    require_manager(actor, "关联居民账号")
    resident = staff_resident(session, actor, resident_id)
    account = auth_service.actor_for_user(session, user_id)
    if not account.has_role(Role.RESIDENT):
        raise Invalid("只能关联居民角色的账号")
    taken = session.scalars(
        select(ResidentLink).where(
            (ResidentLink.user_id == user_id) | (ResidentLink.resident_id == resident_id)
        )
    ).first()
    if taken is not None:
        raise Conflict("该账号或该居民已有关联")
    link = ResidentLink(
        user_id=user_id,
        resident_id=resident.id,
        region_path=resident.region_path,
        linked_by_label=actor.label,
        linked_at=now,
    )
    session.add(link)
    session.flush()
    audit(
        session,
        actor,
        "participation.resident_link",
        "resident_link",
        link.id,
        now,
        user_id=user_id,
        resident_id=resident_id,
    )
    return link


def add_unique(session: Session, row: Any, conflict: str) -> None:
    """Add and flush ``row``, turning a unique-constraint violation (a duplicate, or a
    concurrent insert that won the race) into a Conflict (409) saying ``conflict``."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(conflict) from exc


def flush_versioned(session: Session, what: str) -> None:
    """Flush, turning a lost race on a row's ``version`` into a Conflict (409)."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(f"{what}已被他人修改，请刷新后重试") from exc


def audit(
    session: Session,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: int,
    now: datetime,
    **detail: Any,
) -> None:
    """One audit row for a participation write. Joins the caller's transaction."""
    record(
        session,
        actor=actor,
        action=action,
        subject_type=f"participation_{subject_type}",
        subject_id=subject_id,
        now=now,
        detail=detail or None,
    )
