"""Substring search over standard addresses (the address list and residents by address): every
fragment matches literally — ``%`` and ``_`` in the typed text are characters, not wildcards —
on SQLite and PostgreSQL; on PostgreSQL the query's expression is the one the trigram index
(migration search_0001) covers, so the planner can answer it from the index."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, MiniTerritory
from tests.builders.register import actor_at, cipher, make_house, make_resident

from civicgrid.auth.roles import Role
from civicgrid.register import queries, service
from civicgrid.register.models import Address, Building, House, Resident
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
    admin = actor_at(territory, territory.CITY, Role.ADMIN)
    return {a.name for a in queries.list_addresses_for(session, admin, q=q)}


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
    admin = actor_at(territory, territory.CITY, Role.ADMIN)
    stmt = queries.address_search_stmt(admin, q="幸福路12")
    dialect = session.get_bind().dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    # A handful of rows: make the planner show whether the index can serve the query at all.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    rows = session.connection().exec_driver_sql("EXPLAIN " + sql).all()
    plan = "\n".join(str(r[0]) for r in rows)
    assert "ix_register_address_name_trgm" in plan, plan
    assert {a.name for a in session.scalars(stmt)} == {"幸福路12号院"}


# --- residents by address: addresses first, a chunk of addresses at a time ---------------------

STREETS = ("幸福路1号", "幸福路2号", "和平里3号", "幸福路4号院", "阳光花园5期")


def _address_of(session: Session, house: House) -> int:
    return session.get_one(Building, house.building_id).address_id


def _residents_at_addresses(
    session: Session, now: datetime, territory: MiniTerritory
) -> dict[int, list[int]]:
    """Three residents per address name in turn over grids A1 and A2 (an address is a name in a
    grid: ids by address id), and one who moved from 幸福路1号 to 和平里3号 (listed at the new
    address only)."""
    by_address: dict[int, list[int]] = {}
    n = 0
    for round_ in range(3):
        for i, name in enumerate(STREETS):
            grid = territory.GRID_A1 if (i + round_) % 2 == 0 else territory.GRID_A2
            house = make_house(session, grid_code=grid, now=now, address=name, room=f"{round_}0{i}")
            n += 1
            resident = make_resident(session, house=house, now=now, name=f"居民{n}", phone="")
            by_address.setdefault(_address_of(session, house), []).append(resident.id)
    first = make_house(session, grid_code=territory.GRID_A1, now=now, address="幸福路1号", room="9")
    moved = make_resident(session, house=first, now=now, name="搬家", phone="")
    target = make_house(
        session, grid_code=territory.GRID_A1, now=now, address="和平里3号", room="9"
    )
    service.move_resident(
        session, resident_id=moved.id, house_id=target.id, kind="自住",
        on=now.date(), actor=SYSTEM, now=now,
    )  # fmt: skip
    by_address[_address_of(session, target)].append(moved.id)
    return by_address


def _expected_residents(
    session: Session,
    by_address: dict[int, list[int]],
    q: str,
    actor_path: str,
    *,
    by_address_first: bool = True,
) -> list[int]:
    """The rule read plainly: residents in scope at a matching address; by address (by id),
    then by resident id (a city-wide scope), or by id (a narrower one)."""
    addresses = session.scalars(select(Address).order_by(Address.id)).all()
    out: list[int] = []
    for address in addresses:
        if q not in address.name:
            continue
        for rid in sorted(by_address.get(address.id, [])):
            resident = session.get_one(Resident, rid)
            if resident.region_path.startswith(actor_path) and rid not in out:
                out.append(rid)
    return out if by_address_first else sorted(out)


@pytest.mark.parametrize("chunk", [1, 2, 1024])
@pytest.mark.parametrize("where", ["CITY", "GRID_A1"])
def test_residents_by_address_in_address_order_for_every_chunk_size(
    session: Session,
    now: datetime,
    territory: MiniTerritory,
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
    where: str,
) -> None:
    by_address = _residents_at_addresses(session, now, territory)
    monkeypatch.setattr(queries, "ADDRESS_CHUNK", chunk)
    actor = actor_at(territory, getattr(territory, where), Role.ADMIN)
    path = territory.region(getattr(territory, where)).path
    for q in ("幸福路", "号", "和平里3号", "阳光", "不存在"):
        expected = _expected_residents(
            session, by_address, q, path, by_address_first=where == "CITY"
        )
        rows, total = queries.search_residents_for(
            session, actor, ResidentSearch(address=q), cipher=cipher(), limit=500
        )
        assert [r.id for r in rows] == expected, q
        assert total == len(expected), q
        # Page by page, the same order.
        paged: list[int] = []
        for offset in range(0, len(expected) + 2, 2):
            page, page_total = queries.search_residents_for(
                session, actor, ResidentSearch(address=q), cipher=cipher(), limit=2,
                offset=offset,
            )  # fmt: skip
            assert page_total == total
            paged.extend(r.id for r in page)
        assert paged == expected, q
    # Not vacuous: the grid worker's scope leaves residents of grid A2 out.
    assert where == "CITY" or len(_expected_residents(session, by_address, "号", path)) < 16


def test_address_with_other_criteria(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    by_address = _residents_at_addresses(session, now, territory)
    admin = actor_at(territory, territory.CITY, Role.ADMIN)
    rows, total = queries.search_residents_for(
        session, admin, ResidentSearch(address="幸福路", name="居民1"), cipher=cipher()
    )
    wanted = [
        rid
        for rid in _expected_residents(session, by_address, "幸福路", "/")
        if session.get_one(Resident, rid).name.startswith("居民1")
    ]
    assert [r.id for r in rows] == wanted
    assert total == len(wanted) > 0


def test_counts_stop_at_the_cap(
    session: Session, now: datetime, territory: MiniTerritory, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_address = _residents_at_addresses(session, now, territory)
    admin = actor_at(territory, territory.CITY, Role.ADMIN)
    monkeypatch.setattr(queries, "RESIDENT_COUNT_CAP", 4)
    expected = _expected_residents(session, by_address, "幸福路", "/")
    assert len(expected) > 5
    rows, total = queries.search_residents_for(
        session, admin, ResidentSearch(address="幸福路"), cipher=cipher(), limit=3
    )
    assert ([r.id for r in rows], total) == (expected[:3], 5)  # 5 = "more than 4"
    rows, total = queries.search_residents_for(
        session, admin, ResidentSearch(address="幸福路"), cipher=cipher(), limit=3, offset=6
    )
    assert [r.id for r in rows] == expected[6:9]
    assert total == 5
    rows, total = queries.search_residents_for(
        session, admin, ResidentSearch(name="居民"), cipher=cipher(), limit=2
    )
    assert total == 5
    assert len(rows) == 2
    rows, total = queries.search_residents_for(
        session, admin, ResidentSearch(address="阳光"), cipher=cipher()
    )
    assert total == 3
