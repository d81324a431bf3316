"""12345 import on SQLite and PostgreSQL: the 承办单位 become the appeal's lead unit and
co-units (AppealUnit rows, as dispatch writes them) and 所属区/街道 the region the appeal lies
in, matched by name to the mini territory; unmatched names are reported, re-imports add no
unit rows, and the export writes the same names back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import StoredWorld, World
from tests.builders.auth import MiniTerritory
from tests.builders.exchange import (
    ADMIN,
    CIPHER,
    HEADERS,
    csv_bytes,
    load_catalogue,
    order_row,
    run_import,
)

from civicgrid.appeals.models import Appeal, AppealUnit
from civicgrid.exchange import export, rules, service
from civicgrid.exchange.models import ExchangeOrder
from civicgrid.kit import spreadsheet
from civicgrid.register.rules import ImportMode

MAPPING = rules.default_mapping()


@pytest.fixture
def world(session: Session, stored_world: StoredWorld, tmp_path: Path, now: datetime) -> World:
    attached = stored_world.attach(session, media_root=tmp_path / "media")
    load_catalogue(session, now)
    return attached


def _import(
    session: Session,
    rows: list[dict[str, str]],
    now: datetime,
    tmp_path: Path,
    *,
    mapping: rules.ColumnMapping = MAPPING,
    headers: list[str] = HEADERS,
    dry_run: bool = False,
) -> service.ExchangeReport:
    data = csv_bytes(rows, headers=headers)
    return run_import(
        session,
        data,
        now=now,
        media_root=tmp_path,
        mapping=mapping,
        mode=ImportMode.VALID_ROWS,
        dry_run=dry_run,
    )


def _appeal(session: Session, number: str) -> Appeal:
    return session.scalars(
        select(Appeal)
        .join(ExchangeOrder, ExchangeOrder.appeal_id == Appeal.id)
        .where(ExchangeOrder.external_no == number)
    ).one()


def _units(session: Session, appeal: Appeal) -> list[tuple[str, str, str, bool]]:
    rows = session.scalars(
        select(AppealUnit).where(AppealUnit.appeal_id == appeal.id).order_by(AppealUnit.id)
    )
    return [(u.role, u.unit_kind, u.unit_name, u.released_at is None) for u in rows]


def test_units_become_the_lead_unit_and_co_units(
    session: Session, world: World, now: datetime, tmp_path: Path
) -> None:
    row = order_row(
        "GD100", units="北京自来水集团、建外街道（主办）、朝阳区 城管执法局", district="朝阳区"
    )
    report = _import(session, [row], now, tmp_path)
    assert report.unmatched_names == []
    appeal = _appeal(session, "GD100")
    assert _units(session, appeal) == [
        ("lead", "region", "建外街道", True),
        ("co", "utility", "北京自来水集团", True),
        ("co", "department", "朝阳区城管执法局", True),
    ]
    lead = session.scalars(select(AppealUnit).where(AppealUnit.role == "lead")).one()
    street = world.territory.region(MiniTerritory.STREET_A)
    assert (lead.unit_id, lead.unit_path) == (street.id, street.path)
    dispatched = appeal.dispatched_at
    assert dispatched is not None
    assert lead.assigned_at == dispatched


def test_a_street_office_name_matches_its_street_and_the_district_locates_the_appeal(
    session: Session, world: World, now: datetime, tmp_path: Path
) -> None:
    row = order_row("GD101", units="建外街道办事处", district="朝阳区/建外街道")
    report = _import(session, [row], now, tmp_path)
    assert report.unmatched_names == []
    appeal = _appeal(session, "GD101")
    street = world.territory.region(MiniTerritory.STREET_A)
    assert (appeal.region_id, appeal.region_path) == (street.id, street.path)
    assert _units(session, appeal) == [("lead", "region", "建外街道", True)]


@pytest.mark.parametrize(
    ("district", "code"),
    [
        ("朝阳区建外街道", MiniTerritory.STREET_A),
        ("建外街道", MiniTerritory.STREET_A),
        ("海淀区", MiniTerritory.DISTRICT_B),
        ("海淀区 中关村街道", MiniTerritory.STREET_B),
    ],
)
def test_district_and_street_forms_are_matched(
    session: Session, world: World, now: datetime, tmp_path: Path, district: str, code: str
) -> None:
    _import(session, [order_row("GD102", district=district)], now, tmp_path)
    assert _appeal(session, "GD102").region_id == world.territory.region(code).id


def test_unmatched_names_are_reported_and_nothing_is_guessed(
    session: Session, world: World, now: datetime, tmp_path: Path
) -> None:
    rows = [
        order_row("GD110", units="东城街道办事处、朝阳区城管执法局", district="朝阳区/中关村街道"),
        order_row("GD111", units="建外街道、火星办事处", district="东城区"),
    ]
    report = _import(session, rows, now, tmp_path)
    assert (report.created, report.errors) == (2, [])
    assert [(e.row, e.field) for e in report.unmatched_names] == [
        (2, "units"),
        (2, "district"),
        (3, "units"),
        (3, "district"),
    ]
    assert "东城街道办事处" in report.unmatched_names[0].message
    assert "朝阳区/中关村街道" in report.unmatched_names[1].message  # 中关村 is in 海淀区
    # the lead unit is unknown: no units at all, not the co-unit promoted to lead
    first = _appeal(session, "GD110")
    assert _units(session, first) == []
    assert first.region_id is None
    # a co-unit is unknown: the lead unit stays, the unknown one is left out
    assert _units(session, _appeal(session, "GD111")) == [("lead", "region", "建外街道", True)]


def test_dry_run_reports_unmatched_names_and_stores_nothing(
    session: Session, world: World, now: datetime, tmp_path: Path
) -> None:
    report = _import(session, [order_row("GD120")], now, tmp_path, dry_run=True)
    assert [e.field for e in report.unmatched_names] == ["units", "district"]
    assert session.scalar(select(func.count()).select_from(AppealUnit)) == 0


def test_reimport_adds_no_unit_rows_and_a_changed_unit_releases_the_old_one(
    session: Session, world: World, now: datetime, tmp_path: Path
) -> None:
    row = order_row("GD130", units="建外街道、朝阳区城管执法局", district="朝阳区")
    _import(session, [row], now, tmp_path)
    _import(session, [row], now, tmp_path)
    appeal = _appeal(session, "GD130")
    assert _units(session, appeal) == [
        ("lead", "region", "建外街道", True),
        ("co", "department", "朝阳区城管执法局", True),
    ]
    _import(session, [order_row("GD130", units="中关村街道", district="朝阳区")], now, tmp_path)
    assert _units(session, appeal) == [
        ("lead", "region", "建外街道", False),
        ("co", "department", "朝阳区城管执法局", False),
        ("lead", "region", "中关村街道", True),
    ]
    _import(session, [order_row("GD130", units="中关村街道", district="朝阳区")], now, tmp_path)
    assert len(_units(session, appeal)) == 3


def test_export_writes_units_and_places_back_and_reimports_unchanged(
    session: Session, world: World, now: datetime, tmp_path: Path
) -> None:
    rows = [
        order_row("GD140", units="建外街道（主办）、朝阳区城管执法局", district="朝阳区建外街道"),
        order_row("GD141", units="火星办事处", district="海淀区"),
    ]
    _import(session, rows, now, tmp_path)
    data = export.export_orders(
        session, fmt="csv", mapping=MAPPING, actor=ADMIN, cipher=CIPHER, now=now
    )
    table = spreadsheet.read_table(data, "csv", rules.aliases(MAPPING))
    by_no = {r["external_no"]: r for r in table.rows}
    assert (by_no["GD140"]["units"], by_no["GD140"]["district"]) == (
        "建外街道、朝阳区城管执法局",
        "朝阳区/建外街道",
    )
    # an unmatched unit is written back as the order named it
    assert (by_no["GD141"]["units"], by_no["GD141"]["district"]) == ("火星办事处", "海淀区")
    units_before = session.scalar(select(func.count()).select_from(AppealUnit))
    report = run_import(session, data, now=now, media_root=tmp_path)
    assert (report.created, report.updated) == (0, 2)
    assert session.scalar(select(func.count()).select_from(AppealUnit)) == units_before


def test_a_street_column_of_its_own_is_read_and_written(
    session: Session, world: World, now: datetime, tmp_path: Path
) -> None:
    text = rules.default_mapping_text().replace(
        'district = "所属区/街道"', 'district = "所属区"\nstreet = "所属街道"'
    )
    mapping = rules.parse_mapping(text)
    headers = mapping.headers()
    row = {mapping.columns[k]: v for k, v in _fields(order_row("GD150")).items() if k != "district"}
    row |= {"所属区": "海淀区", "所属街道": "中关村街道"}
    _import(session, [row], now, tmp_path, mapping=mapping, headers=headers)
    street = world.territory.region(MiniTerritory.STREET_B)
    assert _appeal(session, "GD150").region_id == street.id
    data = export.export_orders(
        session, fmt="csv", mapping=mapping, actor=ADMIN, cipher=CIPHER, now=now
    )
    [exported] = spreadsheet.read_table(data, "csv", rules.aliases(mapping)).rows
    assert (exported["district"], exported["street"]) == ("海淀区", "中关村街道")


def _fields(row: dict[str, str]) -> dict[str, str]:
    return {rules.aliases(MAPPING)[h]: v for h, v in row.items()}
