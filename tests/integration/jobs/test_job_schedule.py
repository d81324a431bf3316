"""The shared job schedule: a job started less than its interval ago (by any process) is
skipped; ``run_all_once`` (``worker --once``) runs it regardless. On a file database whose
transactions really commit, like the processes that share it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid import migrate
from civicgrid.db import make_engine, make_session_factory
from civicgrid.jobs.models import JobRun
from civicgrid.jobs.runner import Job, run_all_once, run_job


def test_a_job_runs_once_per_interval_across_runners(tmp_path: Path, now: datetime) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/jobs.db")
    migrate.upgrade(engine)
    calls: list[datetime] = []

    def work(_session: Session, at: datetime) -> int:
        calls.append(at)
        return len(calls)

    job = Job("test.work", timedelta(minutes=5), work)
    assert run_job(engine, job, now).ran
    # A second runner (another worker) ticking soon after skips it ...
    assert not run_job(engine, job, now + timedelta(minutes=4, seconds=59)).ran
    # ... until the interval has passed since the last start anywhere.
    assert run_job(engine, job, now + timedelta(minutes=5)).ran
    # worker --once runs every job regardless of the schedule.
    assert run_all_once(engine, [job], now + timedelta(minutes=5, seconds=1))[0].ran
    assert len(calls) == 3
    with make_session_factory(engine)() as s:
        row = s.get(JobRun, "test.work")
        assert row is not None
        assert (row.runs, row.first_started_at) == (3, now)
    engine.dispose()
