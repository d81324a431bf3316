"""The bulk load behind the register import reports how many residents are written after every
batch: counts rise and the last call is the total."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, MiniTerritory
from tests.builders.register import cipher, csv_file, import_row

from civicgrid.kit import spreadsheet
from civicgrid.register import bulk, exchange
from civicgrid.register.rows import ALIASES
from civicgrid.register.rules import ImportMode


@pytest.mark.parametrize(("rows", "batch"), [(7, 3), (6, 3), (2, 5000)])
def test_import_reports_every_batch_up_to_the_total(
    session: Session,
    now: datetime,
    territory: MiniTerritory,
    monkeypatch: pytest.MonkeyPatch,
    rows: int,
    batch: int,
) -> None:
    monkeypatch.setattr(bulk, "BATCH", batch)
    data = csv_file(
        [
            import_row(grid_code=territory.GRID_A1, room=str(100 + i), name=f"住户{i}")
            for i in range(rows)
        ]
    )
    heard: list[tuple[int, int]] = []
    report = exchange.import_register(
        session,
        table=spreadsheet.read_table(data, "csv", ALIASES),
        mode=ImportMode.ALL_OR_NOTHING,
        actor=SYSTEM,
        cipher=cipher(),
        now=now,
        progress=lambda done, total: heard.append((done, total)),
    )
    assert report.imported == rows
    expected = [0, *range(batch, rows, batch), rows]
    assert heard == [(done, rows) for done in expected]
