"""Addresses, houses and residents through the use cases: encryption at rest, lookup by keyed
hash, reveal with reason and audit, tags, moves, visits, patrols, data scope."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from tests.builders.auth import MiniTerritory
from tests.builders.register import (
    actor_at,
    cipher,
    id_number,
    make_house,
    make_resident,
)

from civicgrid.audit.models import AuditEntry
from civicgrid.auth.roles import Role
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.register import patrol, queries, service
from civicgrid.register.models import House, Residence, Resident
from civicgrid.register.queries import ResidentSearch


def test_id_number_and_phone_are_encrypted_at_rest(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    id_no = id_number()
    resident = make_resident(session, house=house, now=now, id_no=id_no, phone="13812345678")
    raw = session.execute(
        text(
            "SELECT id_no_enc, id_no_hash, phone_enc, id_no_masked"
            " FROM register_resident WHERE id = :i"
        ),
        {"i": resident.id},
    ).one()
    assert id_no not in raw[0]
    assert "13812345678" not in raw[2]
    assert raw[1] == cipher().keyed_hash(id_no)
    assert raw[3] == id_no[:6] + "********" + id_no[-4:]
    assert cipher().decrypt(raw[0]) == id_no
    assert resident.gender in ("M", "F")
    residence = session.scalar(select(Residence).where(Residence.resident_id == resident.id))
    assert residence is not None
    assert residence.kind == "owner"


def test_search_by_exact_id_phone_name_tag_and_address(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now, address="幸福路12号院")
    id_no = id_number()
    target = make_resident(
        session,
        house=house,
        now=now,
        name="赵敏",
        id_no=id_no,
        phone="13911112222",
        tags=["低保"],
    )
    make_resident(session, house=house, now=now, name="钱多", phone="13733334444")
    admin = actor_at(territory, territory.CITY, Role.ADMIN)
    c = cipher()
    for criteria in (
        ResidentSearch(id_no=id_no.lower()),
        ResidentSearch(phone="139 1111 2222"),
        ResidentSearch(name="赵"),
        ResidentSearch(tag="低保"),
        ResidentSearch(tag="low_income"),
        ResidentSearch(address="幸福路", name="赵"),
    ):
        rows, total = queries.search_residents_for(session, admin, criteria, cipher=c)
        assert [r.id for r in rows] == [target.id], criteria
        assert total == 1
    rows, total = queries.search_residents_for(
        session, admin, ResidentSearch(address="幸福路"), cipher=c
    )
    assert total == 2


def test_the_same_id_number_cannot_be_registered_twice(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    id_no = id_number()
    make_resident(session, house=house, now=now, id_no=id_no)
    with pytest.raises(Conflict, match="已登记"):
        make_resident(session, house=house, now=now, id_no=id_no)


@pytest.mark.parametrize(
    ("id_no", "phone", "kind", "message"),
    [
        ("110105198003040221", "13812345678", "自住", "校验位"),
        (None, "12345", "自住", "手机号"),
        (None, "13812345678", "借住", "居住类型"),
    ],
)
def test_bad_resident_input_is_invalid(
    session: Session,
    now: datetime,
    territory: MiniTerritory,
    id_no: str | None,
    phone: str,
    kind: str,
    message: str,
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    with pytest.raises(Invalid, match=message):
        make_resident(session, house=house, now=now, id_no=id_no, phone=phone, kind=kind)


def test_reveal_needs_reason_and_writes_an_audit_row(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    id_no = id_number()
    resident = make_resident(session, house=house, now=now, id_no=id_no, phone="13812345678")
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER, user_id=None)
    with pytest.raises(Invalid, match="事由"):
        service.reveal_resident(
            session, resident_id=resident.id, reason=" ", actor=worker, cipher=cipher(), now=now
        )
    shown = service.reveal_resident(
        session,
        resident_id=resident.id,
        reason="入户核实低保申请",
        actor=worker,
        cipher=cipher(),
        now=now,
    )
    assert (shown.id_no, shown.phone) == (id_no, "13812345678")
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "register.resident.reveal")
    ).all()
    assert len(entries) == 1
    assert entries[0].subject_id == str(resident.id)
    assert entries[0].reason == "入户核实低保申请"
    assert entries[0].actor_label == worker.label


def test_roles_without_reveal_right_cannot_reveal(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    resident = make_resident(session, house=house, now=now)
    leader = actor_at(territory, territory.STREET_A, Role.LEADER)
    with pytest.raises(Forbidden):
        service.reveal_resident(
            session,
            resident_id=resident.id,
            reason="想看看",
            actor=leader,
            cipher=cipher(),
            now=now,
        )
    assert queries.resident_detail_for(session, leader, resident.id).resident.id == resident.id


def test_worker_of_one_community_cannot_see_or_touch_another(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house_a2 = make_house(session, grid_code=territory.GRID_A2, now=now)
    other = make_resident(session, house=house_a2, now=now, name="孙丽")
    worker = actor_at(territory, territory.COMMUNITY_A1, Role.GRID_WORKER)
    c = cipher()
    rows, total = queries.search_residents_for(session, worker, ResidentSearch(), cipher=c)
    assert other.id not in [r.id for r in rows]
    assert total == 0
    with pytest.raises(NotFound):
        queries.resident_detail_for(session, worker, other.id)
    with pytest.raises(NotFound):
        service.reveal_resident(
            session, resident_id=other.id, reason="越权尝试查看", actor=worker, cipher=c, now=now
        )
    with pytest.raises(NotFound):
        service.tag_resident(session, resident_id=other.id, tag="低保", actor=worker, now=now)
    with pytest.raises(Forbidden):
        service.create_address(
            session, grid_code=territory.GRID_A2, name="越界路1号", actor=worker, now=now
        )
    assert queries.list_houses_for(session, worker) == []
    street = actor_at(territory, territory.STREET_A, Role.STREET_HANDLER)
    assert [
        r.id for r in queries.search_residents_for(session, street, ResidentSearch(), cipher=c)[0]
    ] == [other.id]


def test_tags_move_and_vacancy(session: Session, now: datetime, territory: MiniTerritory) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    target = make_house(session, grid_code=territory.GRID_A1, now=now, room="902")
    assert target.is_vacant is False
    service.set_house_vacancy(
        session,
        house_id=target.id,
        is_vacant=True,
        actor=actor_at(territory, territory.GRID_A1, Role.GRID_WORKER),
        now=now,
    )
    resident = make_resident(session, house=house, now=now)
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    service.tag_resident(session, resident_id=resident.id, tag="党员", actor=worker, now=now)
    with pytest.raises(Conflict):
        service.tag_resident(session, resident_id=resident.id, tag="党员", actor=worker, now=now)
    with pytest.raises(Invalid):
        service.tag_resident(session, resident_id=resident.id, tag="空房", actor=worker, now=now)
    service.tag_house(session, house_id=target.id, tag="出租房", actor=worker, now=now)
    assert queries.house_tags(session, [target.id]) == {target.id: ["出租房"]}
    service.move_resident(
        session,
        resident_id=resident.id,
        house_id=target.id,
        kind="租住",
        on=now.date(),
        actor=worker,
        now=now,
    )
    detail = queries.resident_detail_for(session, worker, resident.id)
    assert [r.to_on for r in detail.residences] == [now.date(), None]
    assert detail.tags == ["党员"]
    assert session.get(House, target.id).is_vacant is False  # type: ignore[union-attr]
    service.untag_resident(session, resident_id=resident.id, tag="党员", actor=worker, now=now)
    assert queries.resident_detail_for(session, worker, resident.id).tags == []


def test_visits_and_patrols_are_recorded_in_scope(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    resident = make_resident(session, house=house, now=now)
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    visit = service.record_visit(
        session,
        visited_at=now - timedelta(hours=1),
        place="幸福路12号院3号楼",
        content="走访独居老人，身体状况良好",
        resident_ids=[resident.id],
        house_ids=[house.id],
        actor=worker,
        now=now,
    )
    assert visit.grid_id == territory.region(territory.GRID_A1).id
    assert [v.id for v in queries.list_visits_for(session, worker, resident_id=resident.id)] == [
        visit.id
    ]
    other_worker = actor_at(territory, territory.GRID_A2, Role.GRID_WORKER)
    assert queries.list_visits_for(session, other_worker) == []
    with pytest.raises(NotFound):
        service.record_visit(
            session,
            visited_at=now,
            place="x",
            content="y",
            resident_ids=[resident.id],
            actor=other_worker,
            now=now,
        )
    points = [
        patrol.GpsPoint(now - timedelta(minutes=10), 116.44, 39.91),
        patrol.GpsPoint(now - timedelta(minutes=5), 116.45, 39.91),
        patrol.GpsPoint(now, 116.45, 39.92),
    ]
    track = service.record_patrol(
        session, grid_code=territory.GRID_A1, points=points, actor=worker, now=now
    )
    assert track.distance_m > 1000
    assert len(queries.track_points(session, track.id)) == 3
    assert queries.list_tracks_for(session, other_worker) == []
    with pytest.raises(Forbidden):
        service.record_patrol(
            session, grid_code=territory.GRID_A1, points=points, actor=other_worker, now=now
        )


def test_every_write_is_audited(session: Session, now: datetime, territory: MiniTerritory) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    make_resident(session, house=house, now=now)
    actions = set(
        session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("register.%")))
    )
    assert {
        "register.address.create",
        "register.building.create",
        "register.house.create",
        "register.resident.create",
    } <= actions


def test_resident_counts_in_scope_are_consistent(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    for _ in range(3):
        make_resident(session, house=house, now=now)
    assert session.scalar(select(Resident.id).where(Resident.grid_id != house.grid_id)) is None
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    assert len(queries.house_residents_for(session, worker, house.id)) == 3
