"""Use cases of the register, grid work: visits to residents and houses (走访) and patrol tracks
(巡查轨迹)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Invalid
from civicgrid.register import access, patrol, rules
from civicgrid.register.models import House, PatrolPoint, PatrolTrack, Resident, Visit, VisitSubject
from civicgrid.register.service.common import audit, get_grid


@use_case
def record_visit(
    session: Session,
    *,
    visited_at: datetime,
    kind: str = "routine",
    place: str,
    content: str,
    resident_ids: Sequence[int] = (),
    house_ids: Sequence[int] = (),
    grid_code: str | None = None,
    actor: Actor,
    now: datetime,
) -> Visit:
    """Record a grid worker's visit. Every visited resident and house must be in scope; the
    visit's grid is ``grid_code`` or that of the first subject."""
    access.require_role(actor, rules.WRITE_ROLES, "登记走访")
    try:
        visit_kind = rules.VisitKind.from_text(kind)
    except ValueError as exc:
        raise Invalid(str(exc), detail={"field": "kind"}) from exc
    if not place.strip():
        raise Invalid("走访地点不能为空", detail={"field": "place"})
    if not content.strip():
        raise Invalid("请填写走访情况", detail={"field": "content"})
    if visited_at.tzinfo is None or visited_at > now:
        raise Invalid("走访时间必须带时区且不能晚于现在", detail={"field": "visited_on"})
    residents = [
        access.get_for(session, Resident, rid, actor) for rid in dict.fromkeys(resident_ids)
    ]
    houses = [access.get_for(session, House, hid, actor) for hid in dict.fromkeys(house_ids)]
    if grid_code:
        grid = get_grid(session, grid_code)
        access.require_path_in_scope(actor, grid.path, f"网格 {grid_code}")
        grid_id, path = grid.id, grid.path
    elif residents or houses:
        first: Resident | House = residents[0] if residents else houses[0]
        grid_id, path = first.grid_id, first.region_path
    else:
        raise Invalid("请指定走访网格或走访对象")
    visit = Visit(
        worker_user_id=actor.user_id,
        worker_label=actor.label,
        visited_at=visited_at,
        kind=visit_kind.value,
        place=place.strip(),
        content=content.strip(),
        grid_id=grid_id,
        region_path=path,
        created_at=now,
    )
    session.add(visit)
    session.flush()
    for r in residents:
        session.add(VisitSubject(visit_id=visit.id, resident_id=r.id))
    for h in houses:
        session.add(VisitSubject(visit_id=visit.id, house_id=h.id))
    session.flush()
    audit(
        session,
        actor,
        "visit.create",
        "visit",
        visit.id,
        now,
        residents=[r.id for r in residents],
        houses=[h.id for h in houses],
    )
    return visit


@use_case
def record_patrol(
    session: Session,
    *,
    grid_code: str,
    points: Sequence[patrol.GpsPoint],
    actor: Actor,
    now: datetime,
) -> PatrolTrack:
    """Store a patrol track (GPS points in time order) for a grid in scope."""
    access.require_role(actor, rules.WRITE_ROLES, "上传巡查轨迹")
    problem = patrol.track_problem(points)
    if problem:
        raise Invalid(problem)
    grid = get_grid(session, grid_code)
    access.require_path_in_scope(actor, grid.path, f"网格 {grid_code}")
    track = PatrolTrack(
        worker_user_id=actor.user_id,
        worker_label=actor.label,
        started_at=points[0].at,
        ended_at=points[-1].at,
        distance_m=round(patrol.track_length_m(points), 1),
        grid_id=grid.id,
        region_path=grid.path,
        created_at=now,
    )
    session.add(track)
    session.flush()
    session.add_all(
        PatrolPoint(track_id=track.id, seq=i, at=p.at, lon=p.lon, lat=p.lat)
        for i, p in enumerate(points)
    )
    session.flush()
    audit(session, actor, "patrol.create", "patrol_track", track.id, now, points=len(points))
    return track
