"""A house's stored full address text (``House.label``, migration perf_0002) and the house
picker that matches it: every use case that creates or changes a house keeps the label equal
to address + building + unit + room; the migration fills it for houses that existed before;
the picker finds the same houses, by label, whether it starts from a small scope or from the
trigram index, and asks for a longer term when the scope is large. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, MiniTerritory
from tests.builders.register import actor_at, cipher, csv_file, import_row, make_house

from civicgrid import migrate
from civicgrid.auth.roles import Role
from civicgrid.errors import Invalid
from civicgrid.kit import spreadsheet
from civicgrid.register import exchange, lookups, rules, service
from civicgrid.register.models import Address, Building, House
from civicgrid.register.rows import ALIASES
from civicgrid.register.rules import ImportMode


def _plain_labels(session: Session) -> dict[int, str]:
    """Every house's full address text read from its building and address."""
    rows = session.execute(
        select(House.id, Address.name, Building.name, House.unit, House.room)
        .join(Building, Building.id == House.building_id)
        .join(Address, Address.id == Building.address_id)
    )
    return {int(i): a + b + u + r for i, a, b, u, r in rows}


def _stored_labels(session: Session) -> dict[int, str]:
    return {int(i): str(label) for i, label in session.execute(select(House.id, House.label))}


def test_every_writer_keeps_the_label(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    made = make_house(session, grid_code=territory.GRID_A1, now=now, room="501")
    assert made.label == "幸福路12号院3号楼2单元501"
    address_id = session.get_one(Building, made.building_id).address_id
    new_building = service.register_house(
        session, address_id=address_id, building="5号楼", room="101", actor=SYSTEM, now=now
    )
    same_building = service.register_house(
        session, address_id=address_id, building="3号楼", unit="1单元", room="102",
        actor=SYSTEM, now=now,
    )  # fmt: skip
    assert (new_building.label, same_building.label) == (
        "幸福路12号院5号楼101",
        "幸福路12号院3号楼1单元102",
    )
    service.update_house(
        session, house_id=made.id, unit="", room="601", area_m2=None, use="residential",
        is_vacant=False, actor=SYSTEM, now=now,
    )  # fmt: skip
    assert made.label == "幸福路12号院3号楼601"
    table = spreadsheet.read_table(
        csv_file([import_row(grid_code=territory.GRID_A2, address="和平里5号院", room="303")]),
        "csv",
        ALIASES,
    )
    report = exchange.import_register(
        session, table=table, mode=ImportMode.ALL_OR_NOTHING, actor=SYSTEM, cipher=cipher(),
        now=now,
    )  # fmt: skip
    assert report.imported == 1
    session.expire_all()
    assert "和平里5号院1号楼1单元303" in _stored_labels(session).values()
    assert _stored_labels(session) == _plain_labels(session)


@pytest.mark.slow
def test_the_migration_fills_the_labels_of_existing_houses(
    connection: Connection, session: Session, now: datetime, territory: MiniTerritory
) -> None:
    make_house(session, grid_code=territory.GRID_A1, now=now, room="501")
    make_house(session, grid_code=territory.GRID_A2, now=now, address="和平里5号院", unit="")
    session.commit()
    cfg = migrate.alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, "perf_0001")
    command.upgrade(cfg, "perf_0002")
    session.expire_all()
    labels = _stored_labels(session)
    assert "幸福路12号院3号楼2单元501" in labels.values()
    assert all(labels.values())
    assert labels == _plain_labels(session)


def _houses(session: Session, now: datetime, territory: MiniTerritory) -> None:
    for grid, address, room in (
        (territory.GRID_A1, "幸福路12号院", "501"),
        (territory.GRID_A1, "幸福路12号院", "502"),
        (territory.GRID_A1, "幸福路2号", "501"),
        (territory.GRID_A1, "百分之50%公寓", "101"),
        (territory.GRID_A2, "幸福路8号院", "501"),
    ):
        make_house(session, grid_code=grid, now=now, address=address, room=room)


@pytest.mark.parametrize("start", ["scope", "index"])
@pytest.mark.parametrize("where", ["GRID_A1", "STREET_A"])
def test_picker_the_same_from_scope_or_index(
    session: Session,
    now: datetime,
    territory: MiniTerritory,
    monkeypatch: pytest.MonkeyPatch,
    start: str,
    where: str,
) -> None:
    _houses(session, now, territory)
    if start == "index":
        monkeypatch.setattr(rules, "SMALL_SCOPE_ROWS", 0)
    actor = actor_at(territory, getattr(territory, where), Role.GRID_WORKER)
    path = territory.region(getattr(territory, where)).path
    mine = {i: v for i, v in _stored_labels(session).items()
            if session.get_one(House, i).region_path.startswith(path)}  # fmt: skip
    for q in ("幸福路 501", "12号院3号楼", "幸福路", "50%公寓", "不存在的路", "院3号楼2单元50"):
        expected = sorted(
            (label, i) for i, label in mine.items() if all(p in label for p in q.split())
        )
        found = lookups.search_houses_for(session, actor, q)
        assert [(h.label, h.id) for h in found] == expected, q
        assert [(h.label, h.id) for h in lookups.search_houses_for(session, actor, q, limit=1)] == (
            expected[:1]
        )
    assert lookups.search_houses_for(session, actor, "   ") == []


def test_picker_asks_for_a_longer_term_in_a_large_scope(
    session: Session, now: datetime, territory: MiniTerritory, monkeypatch: pytest.MonkeyPatch
) -> None:
    _houses(session, now, territory)
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    assert len(lookups.search_houses_for(session, worker, "50")) == 4  # small scope: any term
    admin = actor_at(territory, territory.CITY, Role.ADMIN)
    with pytest.raises(Invalid, match="至少输入 3 个"):
        lookups.search_houses_for(session, admin, "50 1")
    assert len(lookups.search_houses_for(session, admin, "501")) == 3
    monkeypatch.setattr(rules, "SMALL_SCOPE_ROWS", 0)
    with pytest.raises(Invalid, match="至少输入 3 个"):
        lookups.search_houses_for(session, worker, "50")


def test_house_label_for_is_the_stored_label(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now, room="701")
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    assert lookups.house_label_for(session, worker, house.id).label == "幸福路12号院3号楼2单元701"
