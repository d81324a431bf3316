"""The hot-problems refresh must not hold SQLite's write lock while it mines: every SQLite
transaction starts with ``BEGIN IMMEDIATE``, so a refresh that mined inside its transaction
would make intake and every other write wait (and fail past ``busy_timeout``).

These tests need a database file of their own with committed data (the shared test session
keeps one transaction open for the whole test, which holds the lock itself)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from tests.builders.appeals import make_world
from tests.integration.insight.conftest import file_appeal

from civicgrid.db import make_engine, make_session_factory
from civicgrid.insight import service, snapshots
from civicgrid.insight.models import HotspotSnapshot
from civicgrid.jobs.runner import Job, run_job

NOISE = [
    "建国里小区旁工地夜间施工噪音扰民",
    "建国里工地夜间施工噪音太大睡不着",
    "投诉建国里附近工地夜间施工噪音",
]


@pytest.fixture
def db_file(sqlite_engine: Engine, tmp_path: Path) -> Path:
    """A copy of the migrated template database (the shared engine's file sits next to it)."""
    assert sqlite_engine.url.database is not None
    template = Path(sqlite_engine.url.database).parent / "template.db"
    target = tmp_path / "locking.db"
    shutil.copy(template, target)
    return target


@pytest.fixture
def file_engine(db_file: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{db_file}")
    yield engine
    engine.dispose()


def _write_now(db_file: Path, number: str) -> str:
    """Take the write lock and update an appeal through a connection of its own that does not
    wait for a lock (``busy_timeout`` 0): "written", or SQLite's refusal."""
    raw = sqlite3.connect(db_file, timeout=0, isolation_level=None)
    try:
        raw.execute("PRAGMA busy_timeout=0")
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("UPDATE appeal SET title = title WHERE number = ?", (number,))
        raw.execute("COMMIT")
        return "written"
    except sqlite3.OperationalError as exc:
        return str(exc)
    finally:
        raw.close()


def test_other_writes_go_through_while_the_refresh_mines(
    file_engine: Engine, db_file: Path, now: datetime, tmp_path: Path
) -> None:
    with make_session_factory(file_engine)() as session:
        world = make_world(session, now=now, media_root=tmp_path / "media")
        numbers = [
            file_appeal(
                session,
                world,
                at=now - timedelta(days=3 - i),
                title=title,
                content=f"{title}，已经持续一周。",
                phone=f"1390000100{i}",
            ).number
            for i, title in enumerate(NOISE)
        ]
    writes: list[str] = []

    def probe(facts: snapshots.PeriodFacts) -> list[snapshots.MinedRegion]:
        writes.append(_write_now(db_file, numbers[0]))
        return snapshots.mine_period(facts)

    job = Job(
        "insight.hotspots",
        snapshots.REFRESH_INTERVAL,
        lambda session, at: service.refresh_hotspot_snapshots(session, now=at, mine=probe),
    )
    result = run_job(file_engine, job, now)

    assert result.error == ""
    assert writes == ["written", "written"]  # one per month mined, neither blocked
    assert isinstance(result.result, service.SnapshotRefresh)
    assert result.result.periods == {"2026-11": 3, "2026-10": 0}
    with make_session_factory(file_engine)() as session:
        city = session.scalars(
            select(HotspotSnapshot).where(
                HotspotSnapshot.period_key == "2026-11", HotspotSnapshot.region_path == ""
            )
        ).one()
        assert [sorted(g["members"]) for g in city.hotspots] == [sorted(numbers)]
        # the stored places are named after the read, as before the split
        assert all(not a.startswith(("#", "/")) for g in city.hotspots for a in g["areas"])
