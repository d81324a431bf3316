"""Use cases of the register, places: addresses, buildings and houses (人房 — the 房), and a
house's vacancy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Invalid
from civicgrid.register import access, rules
from civicgrid.register.models import Address, Building, House
from civicgrid.register.service.common import audit, get_grid


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
    grid = get_grid(session, grid_code)
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
    audit(session, actor, "address.create", "address", address.id, now, code=address.code)
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
    audit(session, actor, "building.create", "building", building.id, now)
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
    audit(session, actor, "house.create", "house", house.id, now)
    return house


@use_case
def set_house_vacancy(
    session: Session, *, house_id: int, is_vacant: bool, actor: Actor, now: datetime
) -> House:
    """Mark a house as empty (空房) or occupied."""
    house = access.get_for_write(session, House, house_id, actor)
    house.is_vacant = is_vacant
    session.flush()
    audit(session, actor, "house.vacancy", "house", house.id, now, is_vacant=is_vacant)
    return house
