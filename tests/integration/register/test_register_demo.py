"""The demo register: a deterministic spec loaded by create_register_bulk on every grid."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, MiniTerritory
from tests.builders.register import actor_at, cipher

from civicgrid.auth.roles import Role
from civicgrid.demo.people import GridInfo, build_register_spec
from civicgrid.errors import NotFound
from civicgrid.register import exchange, idcard, queries
from civicgrid.register.models import House, HouseTag, Resident
from civicgrid.register.queries import ResidentSearch


def test_the_spec_is_deterministic_and_valid() -> None:
    grids = [GridInfo("110105001001001"), GridInfo("110105001002001")]
    a = build_register_spec(7, grids, residents_per_grid=120)
    b = build_register_spec(7, list(reversed(grids)), residents_per_grid=120)
    assert a == b
    assert a != build_register_spec(8, grids, residents_per_grid=120)
    assert all(idcard.is_valid(r.id_no) for r in a.rows)
    assert len({r.id_no for r in a.rows}) == len(a.rows)
    for code in ("110105001001001", "110105001002001"):
        assert sum(r.grid_code == code for r in a.rows) >= 120
    assert all(r.phone == "" or (len(r.phone) == 11 and r.phone[0] == "1") for r in a.rows)
    assert any(h.is_vacant for h in a.houses)


def test_bulk_creation_loads_the_demo_register(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    grids = [GridInfo(territory.GRID_A1), GridInfo(territory.GRID_A2)]
    spec = build_register_spec(42, grids, residents_per_grid=80)
    counts = exchange.create_register_bulk(
        session, spec=spec, actor=SYSTEM, cipher=cipher(), now=now
    )
    assert counts.residents == len(spec.rows)
    assert session.scalar(select(func.count()).select_from(Resident)) == len(spec.rows)
    assert session.scalar(select(func.count()).select_from(House)) == len(spec.houses)
    vacant = session.scalar(select(func.count()).select_from(House).where(House.is_vacant))
    assert vacant == sum(h.is_vacant for h in spec.houses)
    assert session.scalar(select(func.count()).select_from(HouseTag)) == sum(
        len(h.tags) for h in spec.houses
    )
    worker = actor_at(territory, territory.COMMUNITY_A1, Role.GRID_WORKER)
    first = next(r for r in spec.rows if r.grid_code == territory.GRID_A1)
    rows, total = queries.search_residents_for(
        session, worker, ResidentSearch(id_no=first.id_no), cipher=cipher()
    )
    assert total == 1
    assert rows[0].name == first.name
    other = next(r for r in spec.rows if r.grid_code == territory.GRID_A2)
    assert (
        queries.search_residents_for(
            session, worker, ResidentSearch(id_no=other.id_no), cipher=cipher()
        )[1]
        == 0
    )


def test_bulk_creation_refuses_unknown_grids(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    spec = build_register_spec(1, [GridInfo("110105001001777")], residents_per_grid=5)
    with pytest.raises(NotFound):
        exchange.create_register_bulk(session, spec=spec, actor=SYSTEM, cipher=cipher(), now=now)
