"""Substring search over standard addresses (the address list) and residents by address (the
full address text of their current house, ``House.label``): every fragment matches literally —
``%`` and ``_`` in the typed text are characters, not wildcards — on SQLite and PostgreSQL; on
PostgreSQL the queries' expressions are the ones the trigram indexes (migrations search_0001,
perf_0002) cover. Residents by address give the same answer whether the search starts from the
actor's scope (a small one) or from the index (a large one)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, MiniTerritory
from tests.builders.register import actor_at, cipher, make_house, make_resident

from civicgrid.auth.roles import Role
from civicgrid.errors import Invalid
from civicgrid.register import queries, rules, service
from civicgrid.register.models import Address, Building, House, Residence, Resident
from civicgrid.register.queries import ResidentSearch

NAMES = (
    "幸福路12号院",
    "幸福路1_2号院",
    "幸福路1x2号院",
    "百分之50%公寓",
    "百分之500公寓",
    "和平里5号院",
)


def _addresses(session: Session, now: datetime, territory: MiniTerritory) -> None:
    for name in NAMES:
        make_house(session, grid_code=territory.GRID_A1, now=now, address=name)


def _found(session: Session, territory: MiniTerritory, q: str) -> set[str]:
    """As a grid worker of the grid (a small scope: any term; the city needs three characters,
    see test_a_short_address_term_needs_a_small_scope)."""
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    return {a.name for a in queries.list_addresses_for(session, worker, q=q)}


def test_a_short_address_term_needs_a_small_scope(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    _addresses(session, now, territory)
    admin = actor_at(territory, territory.CITY, Role.ADMIN)
    with pytest.raises(Invalid, match="至少输入 3 个"):
        queries.list_addresses_for(session, admin, q="_")
    assert {a.name for a in queries.list_addresses_for(session, admin, q="1_2")} == {
        "幸福路1_2号院"
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("幸福路", {"幸福路12号院", "幸福路1_2号院", "幸福路1x2号院"}),
        ("12号", {"幸福路12号院"}),
        ("1_2", {"幸福路1_2号院"}),
        ("_", {"幸福路1_2号院"}),
        ("50%", {"百分之50%公寓"}),
        ("%", {"百分之50%公寓"}),
        ("0%公", {"百分之50%公寓"}),
        ("和平里5号院", {"和平里5号院"}),
        ("不存在的路", set()),
    ],
)
def test_address_fragments_match_literally(
    session: Session,
    now: datetime,
    territory: MiniTerritory,
    q: str,
    expected: set[str],
) -> None:
    _addresses(session, now, territory)
    assert _found(session, territory, q) == expected


def test_residents_by_address_fragment_match_literally(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    at_wildcard = make_house(session, grid_code=territory.GRID_A1, now=now, address="幸福路1_2号院")
    elsewhere = make_house(session, grid_code=territory.GRID_A1, now=now, address="幸福路1x2号院")
    target = make_resident(session, house=at_wildcard, now=now, name="赵敏", phone="13911112222")
    make_resident(session, house=elsewhere, now=now, name="钱多", phone="13733334444")
    admin = actor_at(territory, territory.CITY, Role.ADMIN)
    rows, total = queries.search_residents_for(
        session, admin, ResidentSearch(address="1_2号"), cipher=cipher()
    )
    assert [r.id for r in rows] == [target.id]
    assert total == 1


def test_postgresql_answers_the_address_search_from_the_trigram_index(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the trigram index exists on PostgreSQL only")
    _addresses(session, now, territory)
    # The whole territory (no scope prefix: on a handful of rows the planner would as well
    # take the region-path index, which says nothing about the trigram one).
    stmt = queries.address_search_stmt(SYSTEM, q="幸福路12")
    dialect = session.get_bind().dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    # A handful of rows: make the planner show whether the index can serve the query at all.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    rows = session.connection().exec_driver_sql("EXPLAIN " + sql).all()
    plan = "\n".join(str(r[0]) for r in rows)
    assert "ix_register_address_name_trgm" in plan, plan
    assert {a.name for a in session.scalars(stmt)} == {"幸福路12号院"}


# --- residents by address: from the scope or from the index, the same answer ------------------

STREETS = ("幸福路1号", "幸福路2号", "和平里3号", "幸福路4号院", "阳光花园5期")


def _residents_at_addresses(session: Session, now: datetime, territory: MiniTerritory) -> None:
    """Three residents per address name in turn over grids A1 and A2, and one who moved from
    幸福路1号 to 和平里3号 (found at the new address only)."""
    n = 0
    for round_ in range(3):
        for i, name in enumerate(STREETS):
            grid = territory.GRID_A1 if (i + round_) % 2 == 0 else territory.GRID_A2
            house = make_house(session, grid_code=grid, now=now, address=name, room=f"{round_}0{i}")
            n += 1
            make_resident(session, house=house, now=now, name=f"居民{n}", phone="")
    first = make_house(session, grid_code=territory.GRID_A1, now=now, address="幸福路1号", room="9")
    moved = make_resident(session, house=first, now=now, name="搬家", phone="")
    target = make_house(
        session, grid_code=territory.GRID_A1, now=now, address="和平里3号", room="9"
    )
    service.move_resident(
        session, resident_id=moved.id, house_id=target.id, kind="自住",
        on=now.date(), actor=SYSTEM, now=now,
    )  # fmt: skip


def _expected_residents(session: Session, q: str, actor_path: str) -> list[int]:
    """The rule read plainly: residents in scope with a current residence in a house whose
    full address text (address, building, unit, room) contains every part of ``q``, by id."""
    out: set[int] = set()
    for residence in session.scalars(select(Residence).where(Residence.to_on.is_(None))):
        house = session.get_one(House, residence.house_id)
        building = session.get_one(Building, house.building_id)
        address = session.get_one(Address, building.address_id)
        text_ = address.name + building.name + house.unit + house.room
        resident = session.get_one(Resident, residence.resident_id)
        if all(p in text_ for p in q.split()) and resident.region_path.startswith(actor_path):
            out.add(resident.id)
    return sorted(out)


STARTS = [
    ("CITY", "index"),
    ("GRID_A1", "scope"),
    ("GRID_A1", "index"),
    ("STREET_A", "index"),
    ("STREET_A", "scope"),
]


@pytest.mark.parametrize(("where", "start"), STARTS)
def test_residents_by_address_the_same_from_scope_or_index(
    session: Session,
    now: datetime,
    territory: MiniTerritory,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    start: str,
) -> None:
    _residents_at_addresses(session, now, territory)
    if start == "index":  # every scope counts as large
        monkeypatch.setattr(rules, "SMALL_SCOPE_ROWS", 0)
    actor = actor_at(territory, getattr(territory, where), Role.ADMIN)
    path = territory.region(getattr(territory, where)).path
    for q in (
        "幸福路",
        "幸福路1号3号楼",
        "号楼 2单元 00",
        "和平里3号",
        "阳光花园",
        "不存在的路",
        "1_2号",
    ):
        expected = _expected_residents(session, q, path)
        rows, total = queries.search_residents_for(
            session, actor, ResidentSearch(address=q), cipher=cipher(), limit=500
        )
        assert [r.id for r in rows] == expected, q
        assert total == len(expected), q
        paged: list[int] = []
        for offset in range(0, len(expected) + 2, 2):
            page, page_total = queries.search_residents_for(
                session, actor, ResidentSearch(address=q), cipher=cipher(), limit=2,
                offset=offset,
            )  # fmt: skip
            assert page_total == total
            paged.extend(r.id for r in page)
        assert paged == expected, q
    # Not vacuous: the grid's scope leaves residents of grid A2 out.
    assert where != "GRID_A1" or len(_expected_residents(session, "幸福路", path)) < len(
        _expected_residents(session, "幸福路", "/")
    )


def test_a_short_term_needs_a_small_scope(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    _residents_at_addresses(session, now, territory)
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    path = territory.region(territory.GRID_A1).path
    rows, total = queries.search_residents_for(
        session, worker, ResidentSearch(address="1号"), cipher=cipher(), limit=500
    )
    assert [r.id for r in rows] == _expected_residents(session, "1号", path)
    admin = actor_at(territory, territory.CITY, Role.ADMIN)
    with pytest.raises(Invalid, match="至少输入 3 个"):
        queries.search_residents_for(session, admin, ResidentSearch(address="1号"), cipher=cipher())
    # An exact key (phone, ID number) makes any term cheap: the search starts from it.
    house = make_house(session, grid_code=territory.GRID_A2, now=now, address="幸福路2号")
    someone = make_resident(session, house=house, now=now, name="孙丽", phone="13966667777")
    rows, total = queries.search_residents_for(
        session, admin, ResidentSearch(address="2号", phone="13966667777"), cipher=cipher()
    )
    assert ([r.id for r in rows], total) == ([someone.id], 1)


def test_address_with_other_criteria(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    _residents_at_addresses(session, now, territory)
    admin = actor_at(territory, territory.CITY, Role.ADMIN)
    rows, total = queries.search_residents_for(
        session, admin, ResidentSearch(address="幸福路", name="居民1"), cipher=cipher()
    )
    wanted = [
        rid
        for rid in _expected_residents(session, "幸福路", "/")
        if session.get_one(Resident, rid).name.startswith("居民1")
    ]
    assert [r.id for r in rows] == wanted
    assert total == len(wanted) > 0


@pytest.mark.parametrize("start", ["scope", "index"])
def test_counts_stop_at_the_cap(
    session: Session,
    now: datetime,
    territory: MiniTerritory,
    monkeypatch: pytest.MonkeyPatch,
    start: str,
) -> None:
    _residents_at_addresses(session, now, territory)
    monkeypatch.setattr(queries, "RESIDENT_COUNT_CAP", 4)
    if start == "index":
        monkeypatch.setattr(rules, "SMALL_SCOPE_ROWS", 0)
    district = actor_at(territory, territory.STREET_A, Role.ADMIN)
    expected = _expected_residents(session, "幸福路", "/")
    assert len(expected) > 5
    rows, total = queries.search_residents_for(
        session, district, ResidentSearch(address="幸福路"), cipher=cipher(), limit=3
    )
    # More than the cap: "more than 4", a page of three of the matches, by id.
    assert total == 5
    ids = [r.id for r in rows]
    assert ids == sorted(ids)
    assert set(ids) <= set(expected)
    assert len(ids) == 3
    if start == "scope":  # read whole: the first by id
        assert ids == expected[:3]
    rows, total = queries.search_residents_for(
        session, district, ResidentSearch(address="阳光花园"), cipher=cipher()
    )
    assert total == 3
    rows, total = queries.search_residents_for(
        session, district, ResidentSearch(name="居民"), cipher=cipher(), limit=2
    )
    assert (total, len(rows)) == (5, 2)


def test_postgresql_answers_the_house_label_search_from_the_trigram_index(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the trigram index exists on PostgreSQL only")
    _residents_at_addresses(session, now, territory)
    stmt = select(House.id).where(*queries.label_conditions(House.label, ["幸福路1号3号楼"]))
    sql = str(stmt.compile(dialect=session.get_bind().dialect,
                           compile_kwargs={"literal_binds": True}))  # fmt: skip
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(str(r[0]) for r in session.connection().exec_driver_sql("EXPLAIN " + sql))
    assert "ix_register_house_label_trgm" in plan, plan


def test_quotes_and_backslashes_in_a_term_are_text(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    """The pattern is written into the statement (not bound): quoting must hold."""
    house = make_house(session, grid_code=territory.GRID_A1, now=now, address="奥'布\\莱恩路1号")
    make_resident(session, house=house, now=now, name="王五", phone="")
    admin = actor_at(territory, territory.CITY, Role.ADMIN)
    for q in ("'布\\莱", "奥'布", "\\莱恩"):
        assert [a.id for a in queries.list_addresses_for(session, admin, q=q)] != [], q
        _rows, total = queries.search_residents_for(
            session, admin, ResidentSearch(address=q), cipher=cipher()
        )
        assert total == 1, q
    assert queries.list_addresses_for(session, admin, q="'; DROP TABLE x; --") == []
