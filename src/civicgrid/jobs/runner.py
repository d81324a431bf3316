"""Run periodic jobs: once (tests, cron) or in a loop (``civicgrid worker`` or a thread inside
``civicgrid serve``). On PostgreSQL each run takes an advisory lock named after the job, so any
number of app replicas and workers can run the loop and a job still runs once at a time; under
that lock the shared schedule (``job_run``) says whether the job's interval has passed since
it last started anywhere, so it also runs once per interval."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from civicgrid.clock import Clock
from civicgrid.db import make_session_factory
from civicgrid.jobs.models import JobRun
from civicgrid.protect.unreachable import first_line, is_unreachable

log = logging.getLogger("civicgrid.jobs")


@dataclass(frozen=True)
class Job:
    """A periodic job: ``run(session, now)`` calls one use case and returns a summary."""

    name: str
    interval: timedelta
    run: Callable[[Session, datetime], object]


@dataclass
class JobResult:
    name: str
    ran: bool
    result: object = None
    error: str = ""


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock`` derived from the job name."""
    digest = hashlib.sha256(f"civicgrid.job.{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _claim(session: Session, job: Job, now: datetime, *, force: bool) -> bool:
    """Record a start of ``job`` in the shared schedule unless it started less than its
    interval ago (in any process); commits. Runs under the job's lock on PostgreSQL; on
    SQLite the write lock of the transaction serialises it."""
    row = session.get(JobRun, job.name, with_for_update=True)
    if row is None:
        session.add(JobRun(name=job.name, first_started_at=now, last_started_at=now, runs=1))
    elif force or now - row.last_started_at >= job.interval:
        row.last_started_at = now
        row.runs += 1
    else:
        session.rollback()
        return False
    session.commit()
    return True


def run_job(engine: Engine, job: Job, now: datetime, *, force: bool = False) -> JobResult:
    """Run ``job`` once, unless another process holds its lock (PostgreSQL) or it started less
    than its interval ago anywhere (``force`` skips that check: ``worker --once``, tests).

    While the database cannot be reached the job is skipped with one warning line (no
    traceback), and the loop tries again at its next tick."""
    try:
        return _run_job(engine, job, now, force=force)
    except SQLAlchemyError as exc:
        if not is_unreachable(exc):
            raise
        log.warning("job %s skipped: database unreachable (%s)", job.name, first_line(exc))
        return JobResult(job.name, ran=False, error="database unreachable")


def _run_job(engine: Engine, job: Job, now: datetime, *, force: bool) -> JobResult:
    with engine.connect() as conn:
        locked = False
        if conn.dialect.name == "postgresql":
            locked = bool(
                conn.execute(select(func.pg_try_advisory_lock(advisory_key(job.name)))).scalar()
            )
            conn.commit()
            if not locked:
                return JobResult(job.name, ran=False)
        session = make_session_factory(engine)(bind=conn)
        try:
            if not _claim(session, job, now, force=force):
                return JobResult(job.name, ran=False)
            result = job.run(session, now)
            return JobResult(job.name, ran=True, result=result)
        except Exception as exc:  # one failing job must not stop the others
            if is_unreachable(exc):
                raise  # one line from run_job, not a traceback per job and tick
            log.exception("job %s failed", job.name)
            session.rollback()
            return JobResult(job.name, ran=True, error=str(exc))
        finally:
            session.close()
            if locked:
                conn.execute(select(func.pg_advisory_unlock(advisory_key(job.name))))
                conn.commit()


def run_all_once(engine: Engine, jobs: Sequence[Job], now: datetime) -> list[JobResult]:
    return [run_job(engine, job, now, force=True) for job in jobs]


@dataclass
class JobLoop:
    """Runs each job whenever its interval has passed, until ``stop`` is set."""

    engine: Engine
    jobs: Sequence[Job]
    clock: Clock
    tick_seconds: float = 5.0
    stop: threading.Event = field(default_factory=threading.Event)
    _last: dict[str, datetime] = field(default_factory=dict)

    def tick(self) -> list[JobResult]:
        now = self.clock.now()
        results = []
        for job in self.jobs:
            last = self._last.get(job.name)
            if last is None or now - last >= job.interval:
                self._last[job.name] = now
                results.append(run_job(self.engine, job, now))
        return results

    def run_forever(self) -> None:
        while not self.stop.is_set():
            self.tick()
            self.stop.wait(self.tick_seconds)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="civicgrid-jobs", daemon=True)
        thread.start()
        return thread
