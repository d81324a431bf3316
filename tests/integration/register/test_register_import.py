"""Imports (CSV and XLSX) with row reports: all-or-nothing vs valid rows, duplicates within the
file and against the database, scope and unknown grids/tags; export in the same format."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, MiniTerritory
from tests.builders.register import (
    actor_at,
    cipher,
    csv_file,
    id_number,
    import_row,
    make_house,
    make_resident,
    xlsx_file,
)

from civicgrid.audit.models import AuditEntry
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.errors import Forbidden, Invalid
from civicgrid.kit import spreadsheet
from civicgrid.register import exchange
from civicgrid.register.models import House, Resident, ResidentTag
from civicgrid.register.rows import ALIASES
from civicgrid.register.rules import ImportMode


def _import(
    session: Session,
    data: bytes,
    fmt: str,
    mode: ImportMode,
    now: datetime,
    actor: Actor = SYSTEM,
) -> exchange.ImportReport:
    table = spreadsheet.read_table(data, fmt, ALIASES)
    return exchange.import_register(
        session, table=table, mode=mode, actor=actor, cipher=cipher(), now=now
    )


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Resident)) or 0


def _mixed_rows(territory: MiniTerritory, taken_id: str) -> list[dict[str, str]]:
    dup = id_number()
    return [
        import_row(grid_code=territory.GRID_A1, room="101", tags="党员、低保"),
        import_row(grid_code=territory.GRID_A1, room="101", name="李娜之子"),
        import_row(grid_code=territory.GRID_A1, id_no="110105198003040221"),  # bad check digit
        import_row(grid_code=territory.GRID_A1, phone="1234"),
        import_row(grid_code=territory.GRID_A1, id_no=dup, room="102"),
        import_row(grid_code=territory.GRID_A1, id_no=dup, room="103"),  # dup in file
        import_row(grid_code=territory.GRID_A1, id_no=taken_id),  # dup against the database
        import_row(grid_code="110105001001999"),  # unknown grid
        import_row(grid_code=territory.GRID_A1, tags="火星人"),
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_valid_rows_mode_imports_the_good_rows_and_reports_the_rest(
    session: Session, now: datetime, territory: MiniTerritory, fmt: str
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    taken = id_number()
    make_resident(session, house=house, now=now, id_no=taken)
    rows = _mixed_rows(territory, taken)
    data = csv_file(rows) if fmt == "csv" else xlsx_file(rows)
    before = _count(session)
    report = _import(session, data, fmt, ImportMode.VALID_ROWS, now)
    assert not report.rejected
    assert report.total_rows == 9
    assert report.imported == 3
    assert _count(session) == before + 3
    by_row = {(e.row, e.field) for e in report.errors}
    assert by_row == {
        (4, "id_no"),
        (5, "phone"),
        (7, "id_no"),
        (8, "id_no"),
        (9, "grid_code"),
        (10, "tags"),
    }
    assert report.counts.houses == 2  # rooms 101 and 102 of 和平里5号院1号楼1单元
    assert session.scalar(select(func.count()).select_from(ResidentTag)) == 2
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "register.import"))
    assert audit is not None
    assert audit.detail["imported"] == 3


def test_all_or_nothing_writes_nothing_when_a_row_fails(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    house = make_house(session, grid_code=territory.GRID_A1, now=now)
    taken = id_number()
    make_resident(session, house=house, now=now, id_no=taken)
    before_houses = session.scalar(select(func.count()).select_from(House))
    before = _count(session)
    report = _import(
        session, csv_file(_mixed_rows(territory, taken)), "csv", ImportMode.ALL_OR_NOTHING, now
    )
    assert report.rejected
    assert report.imported == 0
    assert report.error_rows == 6
    assert _count(session) == before
    assert session.scalar(select(func.count()).select_from(House)) == before_houses
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "register.import"))
    assert audit is not None
    assert audit.outcome == "refused"


def test_all_or_nothing_imports_a_clean_file(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    rows = [import_row(grid_code=territory.GRID_A1, room=str(100 + i)) for i in range(5)]
    report = _import(session, csv_file(rows), "csv", ImportMode.ALL_OR_NOTHING, now)
    assert (report.rejected, report.imported, report.errors) == (False, 5, [])
    again = _import(session, csv_file(rows), "csv", ImportMode.ALL_OR_NOTHING, now)
    assert again.rejected
    assert {e.message for e in again.errors} == {"身份证号已在系统中登记"}


def test_rows_outside_the_importers_scope_are_refused(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    rows = [import_row(grid_code=territory.GRID_A1), import_row(grid_code=territory.GRID_A2)]
    report = _import(session, csv_file(rows), "csv", ImportMode.VALID_ROWS, now, actor=worker)
    assert report.imported == 1
    assert [(e.row, e.field) for e in report.errors] == [(3, "grid_code")]
    assert "数据范围" in report.errors[0].message
    leader = actor_at(territory, territory.CITY, Role.LEADER)
    with pytest.raises(Forbidden):
        _import(session, csv_file(rows), "csv", ImportMode.VALID_ROWS, now, actor=leader)


def test_a_file_without_required_columns_is_invalid(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    data = "姓名,手机号\r\n张三,13812345678\r\n".encode()
    with pytest.raises(Invalid, match="缺少必填列"):
        _import(session, data, "csv", ImportMode.VALID_ROWS, now)


def test_export_masks_by_default_and_reveals_with_reason_round_trip(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    rows = [
        import_row(grid_code=territory.GRID_A1, room="301", tags="党员"),
        import_row(grid_code=territory.GRID_A2, room="302"),
    ]
    _import(session, csv_file(rows), "csv", ImportMode.ALL_OR_NOTHING, now)
    street = actor_at(territory, territory.COMMUNITY_A1, Role.STREET_HANDLER)
    masked = spreadsheet.read_table(
        exchange.export_register(session, fmt="csv", actor=street, cipher=cipher(), now=now),
        "csv",
        ALIASES,
    )
    assert len(masked.rows) == 1
    assert "*" in masked.rows[0]["id_no"]
    assert masked.rows[0]["tags"] == "党员"
    with pytest.raises(Invalid):
        exchange.export_register(
            session, fmt="csv", reveal=True, actor=street, cipher=cipher(), now=now
        )
    plain = exchange.export_register(
        session,
        fmt="xlsx",
        reveal=True,
        reason="年度数据核对",
        actor=SYSTEM,
        cipher=cipher(),
        now=now,
    )
    table = spreadsheet.read_table(plain, "xlsx", ALIASES)
    assert sorted(r["id_no"] for r in table.rows) == sorted(r["身份证号"] for r in rows)
    assert {r["kind"] for r in table.rows} == {"租住"}
    worker = actor_at(territory, territory.GRID_A1, Role.GRID_WORKER)
    with pytest.raises(Forbidden):
        exchange.export_register(session, fmt="csv", actor=worker, cipher=cipher(), now=now)
