"""Use cases of the register. Each is one transaction (``@use_case``) that checks roles and
data scope through :mod:`civicgrid.register.access`, writes its rows and an audit row.

Errors: Forbidden (role, or a grid outside the scope on writes), NotFound (missing or out of
scope on reads), Invalid (bad input), Conflict (a natural key or an ID number already taken).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.kit.crypto import FieldCipher
from civicgrid.kit.masking import mask_id_number, mask_phone
from civicgrid.register import access, idcard, patrol, queries, rules
from civicgrid.register.grids import GridRef, grids_by_code
from civicgrid.register.models import (
    Address,
    Building,
    House,
    HouseTag,
    PatrolPoint,
    PatrolTrack,
    Residence,
    Resident,
    ResidentTag,
    Tag,
    Visit,
    VisitSubject,
)
from civicgrid.register.tags import default_tags


def _grid(session: Session, grid_code: str) -> GridRef:
    grid = grids_by_code(session, [grid_code]).get(grid_code)
    if grid is None:
        raise NotFound(f"网格 {grid_code} 不存在")
    return grid


def _audit(
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


# --- tags ------------------------------------------------------------------------------------


@use_case
def ensure_default_tags(session: Session, *, actor: Actor, now: datetime) -> int:
    """Create the shipped tags that are missing (idempotent); returns how many were added."""
    access.require_role(actor, rules.TAG_ADMIN_ROLES, "管理标签")
    existing = set(session.scalars(select(Tag.code)))
    added = 0
    for t in default_tags():
        if t.code in existing:
            continue
        session.add(
            Tag(
                code=t.code,
                name=t.name,
                family=t.family.value,
                level=t.level.value,
                target=t.target.value,
                is_sensitive=t.is_sensitive,
                created_at=now,
            )
        )
        added += 1
    session.flush()
    _audit(session, actor, "tags.seed", "tag", "", now, added=added)
    return added


@use_case
def create_tag(
    session: Session,
    *,
    code: str,
    name: str,
    family: str,
    level: str,
    target: str,
    is_sensitive: bool = False,
    actor: Actor,
    now: datetime,
) -> Tag:
    """Add a tag to the catalogue (admin)."""
    access.require_role(actor, rules.TAG_ADMIN_ROLES, "管理标签")
    try:
        fam, lvl, tgt = rules.TagFamily(family), rules.TagLevel(level), rules.TagTarget(target)
    except ValueError as exc:
        raise Invalid(f"标签分类、层级或对象无效: {exc}") from exc
    if not code.strip() or not name.strip():
        raise Invalid("标签代码和名称不能为空")
    taken = session.scalar(select(Tag.id).where((Tag.code == code) | (Tag.name == name)))
    if taken is not None:
        raise Conflict(f"标签代码「{code}」或名称「{name}」已存在")
    tag = Tag(
        code=code.strip(),
        name=name.strip(),
        family=fam.value,
        level=lvl.value,
        target=tgt.value,
        is_sensitive=is_sensitive,
        created_at=now,
    )
    session.add(tag)
    session.flush()
    _audit(session, actor, "tag.create", "tag", tag.id, now, code=tag.code)
    return tag


def _tag(session: Session, key: str, target: rules.TagTarget) -> Tag:
    tag = queries.tags_by_key(session).get(key)
    if tag is None:
        raise NotFound(f"标签「{key}」不存在")
    if tag.target != target.value:
        raise Invalid(f"标签「{tag.name}」不能用于{'居民' if target == 'resident' else '房屋'}")
    return tag


@use_case
def tag_resident(
    session: Session, *, resident_id: int, tag: str, actor: Actor, now: datetime
) -> ResidentTag:
    """Put a tag on a resident in scope."""
    resident = access.get_for_write(session, Resident, resident_id, actor)
    found = _tag(session, tag, rules.TagTarget.RESIDENT)
    existing = session.scalar(
        select(ResidentTag).where(
            ResidentTag.resident_id == resident.id, ResidentTag.tag_id == found.id
        )
    )
    if existing is not None:
        raise Conflict(f"居民已有标签「{found.name}」")
    link = ResidentTag(
        resident_id=resident.id,
        tag_id=found.id,
        grid_id=resident.grid_id,
        region_path=resident.region_path,
        created_at=now,
    )
    session.add(link)
    session.flush()
    _audit(session, actor, "resident.tag", "resident", resident.id, now, tag=found.code)
    return link


@use_case
def untag_resident(
    session: Session, *, resident_id: int, tag: str, actor: Actor, now: datetime
) -> None:
    """Remove a tag from a resident in scope."""
    resident = access.get_for_write(session, Resident, resident_id, actor)
    found = _tag(session, tag, rules.TagTarget.RESIDENT)
    link = session.scalar(
        select(ResidentTag).where(
            ResidentTag.resident_id == resident.id, ResidentTag.tag_id == found.id
        )
    )
    if link is None:
        raise NotFound(f"居民没有标签「{found.name}」")
    session.delete(link)
    session.flush()
    _audit(session, actor, "resident.untag", "resident", resident.id, now, tag=found.code)


@use_case
def tag_house(
    session: Session, *, house_id: int, tag: str, actor: Actor, now: datetime
) -> HouseTag:
    """Put a tag on a house in scope."""
    house = access.get_for_write(session, House, house_id, actor)
    found = _tag(session, tag, rules.TagTarget.HOUSE)
    existing = session.scalar(
        select(HouseTag).where(HouseTag.house_id == house.id, HouseTag.tag_id == found.id)
    )
    if existing is not None:
        raise Conflict(f"房屋已有标签「{found.name}」")
    link = HouseTag(
        house_id=house.id,
        tag_id=found.id,
        grid_id=house.grid_id,
        region_path=house.region_path,
        created_at=now,
    )
    session.add(link)
    session.flush()
    _audit(session, actor, "house.tag", "house", house.id, now, tag=found.code)
    return link


# --- addresses, buildings, houses --------------------------------------------------------------


@use_case
def create_address(
    session: Session,
    *,
    grid_code: str,
    name: str,
    lon: float | None = None,
    lat: float | None = None,
    actor: Actor,
    now: datetime,
) -> Address:
    """Add a standard address in a grid of the actor's scope."""
    access.require_role(actor, rules.WRITE_ROLES, "登记地址")
    name = name.strip()
    if not name:
        raise Invalid("地址名称不能为空")
    grid = _grid(session, grid_code)
    access.require_path_in_scope(actor, grid.path, f"网格 {grid_code}")
    if session.scalar(select(Address.id).where(Address.grid_id == grid.id, Address.name == name)):
        raise Conflict(f"网格 {grid_code} 中已有地址「{name}」")
    codes = session.scalars(select(Address.code).where(Address.grid_id == grid.id))
    seq = max((int(c[-5:]) for c in codes if c[-5:].isdigit()), default=0) + 1
    address = Address(
        code=f"{grid.code}{seq:05d}",
        name=name,
        grid_id=grid.id,
        grid_code=grid.code,
        region_path=grid.path,
        lon=lon,
        lat=lat,
        created_at=now,
    )
    session.add(address)
    session.flush()
    _audit(session, actor, "address.create", "address", address.id, now, code=address.code)
    return address


@use_case
def create_building(
    session: Session,
    *,
    address_id: int,
    name: str,
    floors: int | None = None,
    actor: Actor,
    now: datetime,
) -> Building:
    """Add a building at an address in scope."""
    address = access.get_for_write(session, Address, address_id, actor)
    name = name.strip()
    if not name:
        raise Invalid("楼栋名称不能为空")
    if floors is not None and not 1 <= floors <= 200:
        raise Invalid("楼层数应在 1–200 之间")
    if session.scalar(
        select(Building.id).where(Building.address_id == address.id, Building.name == name)
    ):
        raise Conflict(f"地址「{address.name}」已有楼栋「{name}」")
    building = Building(
        address_id=address.id,
        name=name,
        floors=floors,
        grid_id=address.grid_id,
        region_path=address.region_path,
        created_at=now,
    )
    session.add(building)
    session.flush()
    _audit(session, actor, "building.create", "building", building.id, now)
    return building


@use_case
def create_house(
    session: Session,
    *,
    building_id: int,
    unit: str = "",
    room: str,
    area_m2: float | None = None,
    use: str = "residential",
    is_vacant: bool = False,
    actor: Actor,
    now: datetime,
) -> House:
    """Add a house (room) to a building in scope."""
    building = access.get_for_write(session, Building, building_id, actor)
    room, unit = room.strip(), unit.strip()
    if not room:
        raise Invalid("房号不能为空")
    try:
        house_use = rules.HouseUse(use)
    except ValueError as exc:
        raise Invalid(f"房屋用途「{use}」无效") from exc
    if area_m2 is not None and not 0 < area_m2 < 100_000:
        raise Invalid("建筑面积应大于 0")
    if session.scalar(
        select(House.id).where(
            House.building_id == building.id, House.unit == unit, House.room == room
        )
    ):
        raise Conflict(f"楼栋「{building.name}」已有房屋 {unit}{room}")
    house = House(
        building_id=building.id,
        unit=unit,
        room=room,
        area_m2=area_m2,
        use=house_use.value,
        is_vacant=is_vacant,
        grid_id=building.grid_id,
        region_path=building.region_path,
        created_at=now,
    )
    session.add(house)
    session.flush()
    _audit(session, actor, "house.create", "house", house.id, now)
    return house


@use_case
def set_house_vacancy(
    session: Session, *, house_id: int, is_vacant: bool, actor: Actor, now: datetime
) -> House:
    """Mark a house as empty (空房) or occupied."""
    house = access.get_for_write(session, House, house_id, actor)
    house.is_vacant = is_vacant
    session.flush()
    _audit(session, actor, "house.vacancy", "house", house.id, now, is_vacant=is_vacant)
    return house


# --- residents -------------------------------------------------------------------------------


@use_case
def register_resident(
    session: Session,
    *,
    house_id: int,
    name: str,
    id_no: str,
    phone: str = "",
    ethnicity: str = "",
    household_place: str = "",
    kind: str,
    relation_to_owner: str = "",
    from_on: date | None = None,
    tags: Sequence[str] = (),
    actor: Actor,
    cipher: FieldCipher,
    now: datetime,
) -> Resident:
    """Register a person living in a house in scope: validates the ID number (GB 11643) and
    phone, refuses an ID number already registered (Conflict), stores them encrypted."""
    house = access.get_for_write(session, House, house_id, actor)
    name = name.strip()
    if not name or len(name) > 50:
        raise Invalid("姓名不能为空且不超过 50 个字")
    try:
        info = idcard.parse(id_no, today=now.date())
    except idcard.IdNumberError as exc:
        raise Invalid(str(exc)) from exc
    phone = rules.normalise_phone(phone) if phone else ""
    if phone and not rules.is_valid_phone(phone):
        raise Invalid("手机号格式错误（应为 11 位手机号或带区号的固话）")
    try:
        residence_kind = rules.ResidenceKind.from_text(kind)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    if from_on is not None and from_on > now.date():
        raise Invalid("入住日期不能晚于今天")
    id_hash = cipher.keyed_hash(info.number)
    if session.scalar(select(Resident.id).where(Resident.id_no_hash == id_hash)) is not None:
        raise Conflict("该身份证号已登记")
    tag_rows = [_tag(session, t, rules.TagTarget.RESIDENT) for t in dict.fromkeys(tags)]
    resident = Resident(
        name=name,
        gender=info.gender,
        birth_on=info.birth_on,
        id_no_enc=cipher.encrypt(info.number),
        id_no_hash=id_hash,
        id_no_masked=mask_id_number(info.number),
        phone_enc=cipher.encrypt(phone) if phone else None,
        phone_hash=cipher.keyed_hash(phone) if phone else None,
        phone_masked=mask_phone(phone),
        ethnicity=ethnicity.strip(),
        household_place=household_place.strip(),
        grid_id=house.grid_id,
        region_path=house.region_path,
        created_at=now,
        updated_at=now,
    )
    session.add(resident)
    session.flush()
    session.add(
        Residence(
            resident_id=resident.id,
            house_id=house.id,
            kind=residence_kind.value,
            relation_to_owner=relation_to_owner.strip(),
            from_on=from_on,
            to_on=None,
            grid_id=house.grid_id,
            region_path=house.region_path,
        )
    )
    for tag in tag_rows:
        session.add(
            ResidentTag(
                resident_id=resident.id,
                tag_id=tag.id,
                grid_id=house.grid_id,
                region_path=house.region_path,
                created_at=now,
            )
        )
    house.is_vacant = False
    session.flush()
    _audit(session, actor, "resident.create", "resident", resident.id, now, house_id=house.id)
    return resident


@use_case
def move_resident(
    session: Session,
    *,
    resident_id: int,
    house_id: int,
    kind: str,
    relation_to_owner: str = "",
    on: date,
    actor: Actor,
    now: datetime,
) -> Residence:
    """End the resident's current residences on ``on`` and start a new one in ``house_id``;
    the resident's grid follows the new house. Both must be in the actor's scope."""
    resident = access.get_for_write(session, Resident, resident_id, actor)
    house = access.get_for_write(session, House, house_id, actor)
    try:
        residence_kind = rules.ResidenceKind.from_text(kind)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    current = session.scalars(
        select(Residence).where(Residence.resident_id == resident.id, Residence.to_on.is_(None))
    ).all()
    for res in current:
        if res.house_id == house.id:
            raise Conflict("居民已居住在该房屋")
        if res.from_on is not None and on < res.from_on:
            raise Invalid("迁出日期不能早于入住日期")
        res.to_on = on
    residence = Residence(
        resident_id=resident.id,
        house_id=house.id,
        kind=residence_kind.value,
        relation_to_owner=relation_to_owner.strip(),
        from_on=on,
        to_on=None,
        grid_id=house.grid_id,
        region_path=house.region_path,
    )
    session.add(residence)
    resident.grid_id, resident.region_path, resident.updated_at = (
        house.grid_id,
        house.region_path,
        now,
    )
    for link in session.scalars(select(ResidentTag).where(ResidentTag.resident_id == resident.id)):
        link.grid_id, link.region_path = house.grid_id, house.region_path
    house.is_vacant = False
    session.flush()
    _audit(session, actor, "resident.move", "resident", resident.id, now, house_id=house.id)
    return residence


@use_case
def reveal_resident(
    session: Session,
    *,
    resident_id: int,
    reason: str,
    actor: Actor,
    cipher: FieldCipher,
    now: datetime,
) -> access.RevealedResident:
    """Show one resident's full ID number and phone: needs a reveal role, the resident in
    scope and a reason; writes an audit row naming actor, resident and reason."""
    resident = access.get_for(session, Resident, resident_id, actor)
    return access.reveal(
        session, resident=resident, actor=actor, reason=reason, cipher=cipher, now=now
    )


# --- visits and patrols ----------------------------------------------------------------------


@use_case
def record_visit(
    session: Session,
    *,
    visited_at: datetime,
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
    if not place.strip() or not content.strip():
        raise Invalid("走访地点和内容不能为空")
    if visited_at.tzinfo is None or visited_at > now:
        raise Invalid("走访时间必须带时区且不能晚于现在")
    residents = [
        access.get_for(session, Resident, rid, actor) for rid in dict.fromkeys(resident_ids)
    ]
    houses = [access.get_for(session, House, hid, actor) for hid in dict.fromkeys(house_ids)]
    if grid_code:
        grid = _grid(session, grid_code)
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
    _audit(
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
    grid = _grid(session, grid_code)
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
    _audit(session, actor, "patrol.create", "patrol_track", track.id, now, points=len(points))
    return track
