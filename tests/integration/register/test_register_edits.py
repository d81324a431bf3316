"""The register's editing use cases and the detail/picker reads behind the 人房 pages:
corrections to residents and houses (audited by field name, never by value), a house added
by address and building name, house tags removed, visits with a kind, the house picker's
search and a house's residents — all inside the actor's data scope."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.auth import MiniTerritory
from tests.builders.register import actor_at, cipher, make_house, make_resident

from civicgrid.audit.models import AuditEntry
from civicgrid.auth.roles import Role
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.register import lookups, queries, service
from civicgrid.register.models import Address, Building

pytestmark = pytest.mark.postgres


def _audits(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_update_resident_changes_phone_encrypted_and_audits_field_names_only(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    resident = make_resident(session, house=house, now=now, name="张伟", phone="13812345678")
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    c = cipher()
    service.update_resident(
        session, resident_id=resident.id, name="张维", phone="139 0000 1111", ethnicity="汉族",
        actor=worker, cipher=c, now=now,
    )  # fmt: skip
    assert (resident.name, resident.ethnicity, resident.phone_masked) == (
        "张维",
        "汉族",
        "139****1111",
    )
    assert c.decrypt(resident.phone_enc or "") == "13900001111"
    assert resident.phone_hash == c.keyed_hash("13900001111")
    entry = _audits(session, "register.resident.update")[-1]
    assert sorted(entry.detail["fields"]) == ["ethnicity", "name", "phone"]
    assert "13900001111" not in str(entry.detail)
    service.update_resident(
        session, resident_id=resident.id, name="张维", phone=None, ethnicity="汉族",
        actor=worker, cipher=c, now=now,
    )  # fmt: skip
    assert resident.phone_masked == "139****1111"  # None keeps the phone
    service.update_resident(
        session, resident_id=resident.id, name="张维", phone="", ethnicity="汉族",
        actor=worker, cipher=c, now=now,
    )  # fmt: skip
    assert resident.phone_enc is None
    assert not resident.phone_hash
    assert resident.phone_masked == ""


def test_update_resident_refuses_bad_input_naming_the_field(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    resident = make_resident(session, house=house, now=now)
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    for kwargs, field in (({"name": " "}, "name"), ({"name": "张伟", "phone": "123"}, "phone")):
        with pytest.raises(Invalid) as caught:
            service.update_resident(
                session, resident_id=resident.id, actor=worker, cipher=cipher(), now=now,
                **kwargs,
            )  # fmt: skip
        assert caught.value.detail == {"field": field}
    other = actor_at(territory, territory.GRID_A2, Role.GRID_WORKER)
    with pytest.raises(NotFound):
        service.update_resident(
            session, resident_id=resident.id, name="李四", actor=other, cipher=cipher(), now=now
        )
    leader = actor_at(territory, territory.CITY, Role.LEADER)
    with pytest.raises(Forbidden):
        service.update_resident(
            session, resident_id=resident.id, name="李四", actor=leader, cipher=cipher(), now=now
        )


def test_register_house_creates_the_building_once_and_refuses_a_taken_room(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    first = make_house(session, grid_code=territory.GRID_A1, now=now, address="幸福路12号院")
    address_id = session.scalars(
        select(Building.address_id).where(Building.id == first.building_id)
    ).one()
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    made = [
        service.register_house(
            session,
            address_id=address_id,
            building="9号楼",
            unit="1单元",
            room=room,
            use="住宅",
            actor=worker,
            now=now,
        )
        for room in ("101", "102")
    ]
    assert made[0].building_id == made[1].building_id
    count = select(func.count()).select_from(Building).where(Building.address_id == address_id)
    assert session.scalar(count) == 2  # 3号楼 from the builder and 9号楼
    with pytest.raises(Conflict) as taken:
        service.register_house(
            session, address_id=address_id, building="9号楼", unit="1单元", room="101",
            actor=worker, now=now,
        )  # fmt: skip
    assert taken.value.detail == {"field": "room"}
    with pytest.raises(Invalid) as bad_use:
        service.register_house(
            session, address_id=address_id, building="9号楼", room="103", use="仓库",
            actor=worker, now=now,
        )  # fmt: skip
    assert bad_use.value.detail == {"field": "use"}
    outsider = actor_at(territory, territory.GRID_A2, Role.GRID_WORKER)
    with pytest.raises(NotFound):
        service.register_house(
            session, address_id=address_id, building="9号楼", room="104", actor=outsider, now=now
        )


def test_update_house_and_untag_house(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now, room="501")
    make_house(session, grid_code=territory.GRID_A1, now=now, room="502")
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    with pytest.raises(Conflict):
        service.update_house(
            session, house_id=house.id, unit="2单元", room="502", area_m2=None, use="residential",
            is_vacant=False, actor=worker, now=now,
        )  # fmt: skip
    service.update_house(
        session, house_id=house.id, unit="2单元", room="501", area_m2=88.5, use="商业",
        is_vacant=True, actor=worker, now=now,
    )  # fmt: skip
    assert (house.area_m2, house.use, house.is_vacant) == (88.5, "commercial", True)
    entry = _audits(session, "register.house.update")[-1]
    assert sorted(entry.detail["fields"]) == ["area_m2", "is_vacant", "use"]
    service.tag_house(session, house_id=house.id, tag="出租房", actor=worker, now=now)
    service.untag_house(session, house_id=house.id, tag="出租房", actor=worker, now=now)
    assert queries.house_tags(session, [house.id]) == {}
    with pytest.raises(NotFound):
        service.untag_house(session, house_id=house.id, tag="出租房", actor=worker, now=now)
    assert _audits(session, "register.house.untag")


def test_visits_carry_a_kind_and_are_found_by_resident_and_house(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    resident = make_resident(session, house=house, now=now)
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    visit = service.record_visit(
        session, visited_at=now - timedelta(days=1), kind="关爱探访", place="入户",
        content="身体好", resident_ids=[resident.id], house_ids=[house.id], actor=worker, now=now,
    )  # fmt: skip
    assert visit.kind == "care"
    with pytest.raises(Invalid) as caught:
        service.record_visit(
            session, visited_at=now, kind="闲聊", place="入户", content="x",
            house_ids=[house.id], actor=worker, now=now,
        )  # fmt: skip
    assert caught.value.detail == {"field": "kind"}
    assert [v.id for v in lookups.visits_of(session, worker, resident_id=resident.id)] == [visit.id]
    assert [v.id for v in lookups.visits_of(session, worker, house_id=house.id)] == [visit.id]
    other = actor_at(territory, territory.GRID_A2, Role.GRID_WORKER)
    assert list(lookups.visits_of(session, other, house_id=house.id)) == []


def test_house_search_is_scoped_and_matches_every_part(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    mine = make_house(
        session, grid_code=territory.GRID_A1, now=now, address="幸福路12号院", room="501"
    )
    make_house(session, grid_code=territory.GRID_A1, now=now, address="幸福路12号院", room="602")
    make_house(session, grid_code=territory.GRID_A2, now=now, address="幸福路8号院", room="501")
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    found = lookups.search_houses_for(session, worker, "幸福 501")
    assert [(h.id, h.label) for h in found] == [(mine.id, "幸福路12号院3号楼2单元501")]
    assert len(lookups.search_houses_for(session, worker, "幸福路")) == 2
    assert lookups.search_houses_for(session, worker, "   ") == []
    assert lookups.search_houses_for(session, worker, "%") == []  # LIKE wildcards are literal


def test_house_detail_lists_current_and_former_residents(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    old = make_house(session, grid_code=territory.GRID_A1, now=now)
    new = make_house(session, grid_code=territory.GRID_A1, now=now)
    resident = make_resident(session, house=old, now=now, name="王芳")
    stays = make_resident(session, house=old, now=now, name="赵强")
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    service.move_resident(
        session, resident_id=resident.id, house_id=new.id, kind="租住", on=now.date(),
        actor=worker, now=now,
    )  # fmt: skip
    detail = lookups.house_detail_for(session, worker, old.id)
    assert [o.resident_id for o in detail.current] == [stays.id]
    assert [(o.resident_id, o.to_on) for o in detail.former] == [(resident.id, now.date())]
    assert detail.address_text.endswith(old.room)
    assert session.get(Address, detail.address.id) is not None
    with pytest.raises(NotFound):
        lookups.house_detail_for(
            session, actor_at(territory, territory.GRID_A2, Role.GRID_WORKER), old.id
        )
    with pytest.raises(Invalid):
        service.move_resident(
            session, resident_id=stays.id, house_id=new.id, kind="自住",
            on=now.date() + timedelta(days=3), actor=worker, now=now,
        )  # fmt: skip
