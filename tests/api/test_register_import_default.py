"""``POST /api/v1/register/import`` is all-or-nothing unless the caller chooses otherwise: without
``mode`` a file with one invalid row stores nothing (422 with the row report), ``valid-rows``
imports the good rows and reports the rest."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.builders.auth import MiniTerritory
from tests.builders.register import csv_file, import_row

from civicgrid.register.models import Address, Building, House, Residence, Resident

P = "/api/v1/register/import"


def _stored(session: Session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(
        session.scalar(select(func.count()).select_from(m)) or 0
        for m in (Address, Building, House, Resident, Residence)
    )


def _file(rows: list[dict[str, str]]) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("people.csv", csv_file(rows), "text/csv")}


def _one_good_one_bad() -> list[dict[str, str]]:
    return [
        import_row(grid_code=MiniTerritory.GRID_A1, room="201"),
        import_row(grid_code=MiniTerritory.GRID_A1, room="202", id_no="110105198003040221"),
    ]


def test_an_import_without_mode_stores_nothing_when_a_row_is_invalid(
    client: TestClient, session: Session, world: World
) -> None:
    before = _stored(session)
    r = client.post(P, files=_file(_one_good_one_bad()), headers=world["admin"].headers)
    assert r.status_code == 422, r.text
    body = r.json()
    assert (body["mode"], body["rejected"], body["imported"]) == ("all-or-nothing", True, 0)
    assert (body["valid_rows"], body["error_rows"]) == (1, 1)
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "id_no")]
    assert _stored(session) == before


def test_valid_rows_is_an_explicit_choice_that_imports_the_good_rows(
    client: TestClient, session: Session, world: World
) -> None:
    before = _stored(session)
    r = client.post(
        P,
        files=_file(_one_good_one_bad()),
        data={"mode": "valid-rows"},
        headers=world["admin"].headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["mode"], body["rejected"], body["imported"], body["error_rows"]) == (
        "valid-rows",
        False,
        1,
        1,
    )
    after = _stored(session)
    assert after[3] == before[3] + 1  # one resident more
    assert after[4] == before[4] + 1  # and their residence


def test_an_import_without_mode_stores_a_file_whose_rows_are_all_valid(
    client: TestClient, session: Session, world: World
) -> None:
    before = _stored(session)
    rows = [import_row(grid_code=MiniTerritory.GRID_A1, room=str(n)) for n in (301, 302)]
    r = client.post(P, files=_file(rows), headers=world["admin"].headers)
    assert r.status_code == 200, r.text
    assert (r.json()["mode"], r.json()["imported"]) == ("all-or-nothing", 2)
    assert _stored(session)[3] == before[3] + 2
