"""Benchmark of the deadline sweep (``appeals.jobs.sweep_deadlines``) on PostgreSQL.

Fills a scratch database with ``--appeals`` open appeals (default 100,000): 30 % waiting for
dispatch (2-hour dispatch limit), 20 % dispatched (24-hour response and 7-day feedback limits),
50 % in progress (7-day feedback limit), each with a lead unit. The time used of the running
limit is drawn so that about 90 % are green, 3 % yellow and 2 % red at ``NOW`` (the rest lie
between; see ``_share``). The filled database is kept as a template (``--template``) and copied
for each run, so the code before and after a change sweeps identical data.

Three sweeps are timed on a fresh copy, each its own transaction:

1. at ``NOW``: the first sweep, which flags and reminds every yellow and red appeal;
2. at ``NOW`` again: nothing new (the steady state of the 5-minute job);
3. at ``NOW`` + 5 minutes: the next run of the job (a few deadlines cross a threshold).

Printed per sweep: wall and CPU time, SQL statements sent, and the sweep's result.

    .venv/bin/python benchmarks/sweep_bench.py [--appeals 100000] [--rebuild]

Run the code of another checkout on the same data with ``PYTHONPATH=<checkout>/src``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, insert, make_url, select, text

import civicgrid
import civicgrid.models_index  # registers every table
from civicgrid import migrate
from civicgrid.appeals.jobs import sweep_deadlines
from civicgrid.appeals.models import Appeal, AppealUnit
from civicgrid.clock import monotonic
from civicgrid.db import make_engine, make_session_factory

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Beijing
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEMPLATE_DB = "civicgrid_bench_sweep_template"
RUN_DB = "civicgrid_bench_sweep"
BATCH = 5000
DISPATCH_LIMIT = timedelta(hours=2)
RESPONSE_LIMIT = timedelta(hours=24)
FEEDBACK_LIMIT = timedelta(days=7)


def _admin(base_url: str) -> Engine:
    return make_engine(make_url(base_url).render_as_string(hide_password=False))


def _exists(base_url: str, name: str) -> bool:
    admin = _admin(base_url)
    with admin.connect() as conn:
        found = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
    admin.dispose()
    return found is not None


def _create(base_url: str, name: str, template: str | None = None) -> str:
    admin = _admin(base_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def _share(rng: random.Random) -> float:
    """Share of the running limit used at NOW: ~90 % green, 3 % yellow, 2 % red."""
    roll = rng.random()
    if roll < 0.95:
        return rng.uniform(0.0, 0.78)
    if roll < 0.98:
        return rng.uniform(0.82, 0.98)
    return rng.uniform(1.05, 3.0)


def _appeal_row(i: int, rng: random.Random) -> dict[str, Any]:
    share = _share(rng)
    row: dict[str, Any] = {
        "id": i,
        "number": f"B{i:012d}",
        "channel": "hotline",
        "flow": "standard",
        "appeal_type": "complaint",
        "level": "general",
        "title": f"噪声扰民 {i}",
        "content": "夜间施工噪声扰民，请尽快处理。",
        "version": 1,
        "dispatched_at": None,
        "dispatch_due_at": None,
        "response_due_at": None,
        "finish_due_at": None,
    }
    kind = rng.random()
    if kind < 0.3:
        received = NOW - DISPATCH_LIMIT * share
        row |= {"status": "pending_dispatch", "received_at": received,
                "dispatch_due_at": received + DISPATCH_LIMIT}  # fmt: skip
        return row
    dispatched = NOW - FEEDBACK_LIMIT * share
    row |= {
        "status": "dispatched" if kind < 0.5 else "in_progress",
        "received_at": dispatched - timedelta(minutes=30),
        "dispatched_at": dispatched,
        "response_due_at": dispatched + RESPONSE_LIMIT,
        "finish_due_at": dispatched + FEEDBACK_LIMIT,
    }
    return row


def _unit_row(appeal: dict[str, Any]) -> dict[str, Any]:
    return {
        "appeal_id": appeal["id"],
        "role": "lead",
        "unit_kind": "region",
        "unit_id": 1000 + appeal["id"] % 72,
        "unit_name": "某街道",
        "unit_path": f"/1/{1000 + appeal['id'] % 72}/",
        "assigned_at": appeal["received_at"],
    }


def _fill(url: str, n: int, seed: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    rng = random.Random(seed)
    t0 = monotonic()
    with engine.begin() as conn:
        for start in range(1, n + 1, BATCH):
            appeals = [_appeal_row(i, rng) for i in range(start, min(start + BATCH, n + 1))]
            conn.execute(insert(Appeal), appeals)
            units = [_unit_row(a) for a in appeals if a["status"] != "pending_dispatch"]
            conn.execute(insert(AppealUnit), units)
        conn.execute(text("SELECT setval('appeal_id_seq', :n)"), {"n": n})
        conn.execute(text("ANALYZE"))
    engine.dispose()
    print(f"filled {n:,} open appeals in {monotonic() - t0:.1f} s")


@contextmanager
def _counting(engine: Engine) -> Iterator[list[int]]:
    count = [0]

    def before(*_: object) -> None:
        count[0] += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appeals", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rebuild", action="store_true", help="refill the template database")
    args = parser.parse_args()
    base_url = os.environ.get("CIVICGRID_BENCH_DATABASE_URL", DEFAULT_URL)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, "
          f"code from {os.path.dirname(civicgrid.__file__)}, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    if args.rebuild or not _exists(base_url, TEMPLATE_DB):
        _fill(_create(base_url, TEMPLATE_DB), args.appeals, args.seed)
    url = _create(base_url, RUN_DB, template=TEMPLATE_DB)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        open_count = session.scalar(select(text("count(*)")).select_from(Appeal))
    print(f"run database copied from the template: {open_count:,} appeals")
    for label, now in (
        ("1 first sweep at NOW", NOW),
        ("2 again at NOW (steady state)", NOW),
        ("3 at NOW + 5 min (next run)", NOW + timedelta(minutes=5)),
    ):
        with factory() as session, _counting(engine) as statements:
            t0, c0 = monotonic(), time.process_time()
            result = sweep_deadlines(session, now=now)
            wall, cpu = monotonic() - t0, time.process_time() - c0
        print(f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU, {statements[0]:,} statements, "
              f"scanned {result.scanned:,}, flagged {result.flagged:,}, "
              f"reminders {result.reminders:,}")  # fmt: skip
    engine.dispose()


if __name__ == "__main__":
    main()
