"""While the database cannot be reached the periodic jobs are skipped with one warning line
each (no traceback), the loop keeps running, and they run again once it is back."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url
from tests.builders.tcp_relay import TcpRelay

from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.db import make_engine
from civicgrid.jobs.registry import default_jobs
from civicgrid.jobs.runner import JobLoop


def _assert_skipped_quietly(loop: JobLoop, caplog: pytest.LogCaptureFixture) -> None:
    caplog.clear()
    caplog.set_level(logging.WARNING)
    results = loop.tick()
    assert results
    assert all(not r.ran and r.error == "database unreachable" for r in results)
    lines = [r for r in caplog.records if r.name == "civicgrid.jobs"]
    assert len(lines) == len(results)
    assert all(r.exc_info is None and "database unreachable" in r.getMessage() for r in lines)


def test_jobs_skip_an_unopenable_sqlite_file_with_one_line_each(
    tmp_path: Path, settings: Settings, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'civicgrid.db'}")
    try:
        _assert_skipped_quietly(JobLoop(engine, default_jobs(settings), clock), caplog)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_jobs_skip_while_postgres_is_cut_off_and_run_when_it_is_back(
    postgres_engine: Engine,
    settings: Settings,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = postgres_engine.url
    relay = TcpRelay((url.host or "127.0.0.1", url.port or 5432))
    relayed = make_url(url.render_as_string(hide_password=False)).set(
        host="127.0.0.1", port=relay.port
    )
    engine = make_engine(relayed.render_as_string(hide_password=False))
    jobs = [job for job in default_jobs(settings) if job.name == "appeals.sweep_deadlines"]
    loop = JobLoop(engine, jobs, clock)
    try:
        relay.cut()
        _assert_skipped_quietly(loop, caplog)
        relay.restore()
        loop._last.clear()
        assert [r.error for r in loop.tick()] == [""]
    finally:
        relay.cut()
        engine.dispose()
