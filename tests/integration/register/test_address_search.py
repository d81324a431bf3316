"""Substring search over standard addresses (the address list and residents by address): every
fragment matches literally — ``%`` and ``_`` in the typed text are characters, not wildcards —
on SQLite and PostgreSQL; on PostgreSQL the query's expression is the one the trigram index
(migration search_0001) covers, so the planner can answer it from the index."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from tests.builders.auth import MiniTerritory
from tests.builders.register import actor_at, cipher, make_house, make_resident

from civicgrid.auth.roles import Role
from civicgrid.register import queries
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
