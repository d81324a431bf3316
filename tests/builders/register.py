"""Builders for the register: actors posted at a region, houses and residents made through the
register use cases, valid ID numbers and import files."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.auth.scope import DataScope
from civicgrid.kit import spreadsheet
from civicgrid.kit.crypto import FieldCipher
from civicgrid.register import idcard, service
from civicgrid.register.models import Address, Building, House, Resident
from civicgrid.register.rows import HEADERS
from tests.builders.auth import SYSTEM, MiniTerritory

FIELD_KEY = "b2u_3ZQZ8j0yJ6s9f0m7qX2yTqkzG7pB6w0b2uQZ9yQ="

_seq = itertools.count(1)
_rooms = itertools.count(101)


def cipher() -> FieldCipher:
    return FieldCipher(FIELD_KEY)


def actor_at(
    territory: MiniTerritory, code: str, role: Role, *, user_id: int | None = None
) -> Actor:
    """An actor holding ``role`` at the region with ``code`` (scope = that region and below)."""
    n = next(_seq)
    return Actor(
        user_id=user_id,
        username=f"{role.value}_{n}",
        display_name=f"{role.label}{n}",
        roles=frozenset({role}),
        scope=DataScope(region_paths=frozenset({territory.region(code).path})),
    )


def id_number(
    n: int | None = None, *, birth: date = date(1985, 6, 15), area: str = "110105"
) -> str:
    """A valid GB 11643 ID number; ``n`` picks the sequence (unique per test run by default)."""
    seq = next(_seq) if n is None else n
    day = date(birth.year, birth.month, 1 + (seq // 1000) % 28)
    return idcard.make_number(area, day, seq % 1000)


def make_house(
    session: Session,
    *,
    grid_code: str,
    now: datetime,
    address: str = "幸福路12号院",
    building: str = "3号楼",
    unit: str = "2单元",
    room: str | None = None,
    actor: Actor = SYSTEM,
) -> House:
    """A house made through create_address / create_building / create_house (reusing the
    address and building when they exist)."""
    addr = session.scalar(
        select(Address).where(Address.name == address, Address.grid_code == grid_code)
    )
    if addr is None:
        addr = service.create_address(
            session, grid_code=grid_code, name=address, actor=actor, now=now
        )
    bld = session.scalar(
        select(Building).where(Building.address_id == addr.id, Building.name == building)
    )
    if bld is None:
        bld = service.create_building(
            session, address_id=addr.id, name=building, actor=actor, now=now
        )
    return service.create_house(
        session, building_id=bld.id, unit=unit, room=room or str(next(_rooms)), actor=actor, now=now
    )


def make_resident(
    session: Session,
    *,
    house: House,
    now: datetime,
    name: str = "张伟",
    id_no: str | None = None,
    phone: str = "13812345678",
    kind: str = "自住",
    tags: Sequence[str] = (),
    actor: Actor = SYSTEM,
) -> Resident:
    """A resident registered in ``house`` through register_resident."""
    return service.register_resident(
        session,
        house_id=house.id,
        name=name,
        id_no=id_no or id_number(),
        phone=phone,
        kind=kind,
        tags=tags,
        actor=actor,
        cipher=cipher(),
        now=now,
    )


def import_row(
    *,
    grid_code: str,
    name: str = "李娜",
    id_no: str | None = None,
    phone: str = "13900001111",
    address: str = "和平里5号院",
    building: str = "1号楼",
    unit: str = "1单元",
    room: str = "101",
    kind: str = "租住",
    tags: str = "",
) -> dict[str, str]:
    """One import row keyed by Chinese header."""
    return {
        "姓名": name,
        "身份证号": id_no or id_number(),
        "手机号": phone,
        "民族": "汉族",
        "户籍地": "北京市朝阳区",
        "网格编码": grid_code,
        "地址": address,
        "楼栋": building,
        "单元": unit,
        "房号": room,
        "居住类型": kind,
        "与房主关系": "本人",
        "入住日期": "2020-05-01",
        "标签": tags,
    }


def csv_file(rows: Sequence[dict[str, str]]) -> bytes:
    """CSV bytes with the standard headers."""
    return spreadsheet.write_csv(HEADERS, [[r.get(h, "") for h in HEADERS] for r in rows])


def xlsx_file(rows: Sequence[dict[str, str]]) -> bytes:
    """XLSX bytes with the standard headers."""
    return spreadsheet.write_xlsx(HEADERS, [[r.get(h, "") for h in HEADERS] for r in rows], "人房")
