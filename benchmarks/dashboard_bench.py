"""Benchmark of the leader's dashboard, the workbench (landing page) of every role and the
community map: wall time per page view and the SQL statements each view runs.

Run: ``.venv/bin/python benchmarks/dashboard_bench.py --url postgresql+psycopg://...
[--repeat 30] [--warmup 3] [--users leader,street] [--year] [--pages /dashboard,/dashboard/grids]
[--slowest 5]``

Builds the app over ``--url`` (a database that ``civicgrid demo`` filled; the demo accounts
log in with the published password) with the in-process jobs off, logs each demo role in
through ``POST /login`` with an HTTP client (httpx over the app's ASGI interface, the whole
middleware stack included), requests each of its pages ``--warmup`` times unmeasured and then
``--repeat`` times, and prints per page: median and p95 wall time, the median CPU time of the
app process per view (``time.process_time``: the Python side, less sensitive to a busy machine
than wall time), the median wall time spent inside SQL statements, and the SQL statements of
one view (counted by a ``before_cursor_execute`` listener on the engine; transaction control
not counted). ``--year`` adds the dashboard over the last 365 days
(``?period=YYYY-MM-DD..YYYY-MM-DD``); ``--slowest N`` prints the N slowest statements of the
counted view. The 1-minute load average is printed before and after:
the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from civicgrid.app import create_app
from civicgrid.assessment.periods import local_date
from civicgrid.clock import SystemClock
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.accounts import DEMO_PASSWORD

ROLE_PAGES: dict[str, tuple[str, ...]] = {
    "leader": ("/", "/dashboard", "/dashboard/grids.json", "/dashboard/grids", "/community-map"),
    "supervisor": ("/", "/dashboard", "/dashboard/grids.json", "/community-map"),
    "admin": (
        "/",
        "/dashboard",
        "/dashboard/grids.json",
        "/dashboard/grids",
        "/community-map",
        "/community-map/boundaries.geojson",
    ),
    "dispatcher": ("/",),
    "operator": ("/",),
    "street": ("/", "/community-map"),
    "dept": ("/",),
    "utility": ("/",),
    "grid": ("/", "/community-map"),
    "resident": ("/",),
}
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@dataclass
class Result:
    user: str
    path: str
    median_ms: float
    p95_ms: float
    cpu_ms: float
    sql_ms: float
    statements: int
    size_kib: float


class StatementCounter:
    """Counts the SQL statements the engine runs while ``active``, and adds up the wall time
    spent in them (from before to after each cursor execution) in ``sql_seconds``."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.active = False
        self.sql_seconds = 0.0
        self.timed: list[tuple[float, str]] = []
        self._started = 0.0
        self._statement = ""
        event.listen(engine, "before_cursor_execute", self._on_execute)
        event.listen(engine, "after_cursor_execute", self._on_done)

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self._started = time.perf_counter()
        self._statement = statement
        if self.active and not statement.lstrip().upper().startswith(_CONTROL):
            self.count += 1

    def _on_done(self, *_args: Any) -> None:
        took = time.perf_counter() - self._started
        self.sql_seconds += took
        if self.active:
            self.timed.append((took, self._statement))

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.count, self.active, self.timed = 0, True, []
        try:
            yield
        finally:
            self.active = False


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def year_period() -> str:
    """The last 365 days up to today (Beijing date) as a custom period."""
    today = local_date(SystemClock().now())
    return f"{(today - timedelta(days=364)).isoformat()}..{today.isoformat()}"


def login(client: TestClient, username: str) -> None:
    r = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD},
        follow_redirects=False,
    )
    if r.status_code != 303:
        raise SystemExit(f"{username}: login failed ({r.status_code})")


def measure(
    client: TestClient,
    counter: StatementCounter,
    user: str,
    path: str,
    warmup: int,
    repeat: int,
    slowest: int = 0,
) -> Result:
    for _ in range(warmup):
        r = client.get(path)
        if r.status_code != 200:
            raise SystemExit(f"{user} {path}: {r.status_code}")
    with counter.counting():
        r = client.get(path)
    statements, size = counter.count, len(r.content) / 1024
    for took, statement in sorted(counter.timed, reverse=True)[:slowest]:
        print(f"    {took * 1000:7.1f} ms  {' '.join(statement.split())[:150]}")
    times, cpu, sql = [], [], []
    for _ in range(repeat):
        counter.sql_seconds = 0.0
        t0, c0 = time.perf_counter(), time.process_time()
        r = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        sql.append(counter.sql_seconds * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{user} {path}: {r.status_code}")
    return Result(
        user,
        path,
        statistics.median(times),
        p95(times),
        statistics.median(cpu),
        statistics.median(sql),
        statements,
        size,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of a demo database")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--users", default="", help="comma-separated demo users (default all)")
    parser.add_argument("--year", action="store_true", help="also the dashboard over 12 months")
    parser.add_argument("--pages", default="", help="comma-separated paths to keep (default all)")
    parser.add_argument(
        "--slowest", type=int, default=0, help="print the N slowest statements of one view"
    )
    args = parser.parse_args()

    engine = make_engine(args.url)
    counter = StatementCounter(engine)
    settings = Settings(database_url=args.url, run_jobs_in_process=False, throttle_enabled=False)
    app = create_app(settings, session_factory=make_session_factory(engine))
    users = [u for u in args.users.split(",") if u] or list(ROLE_PAGES)
    print(f"load before: {os.getloadavg()[0]:.2f}  cpus: {os.cpu_count()}", flush=True)
    results: list[Result] = []
    for user in users:
        pages = list(ROLE_PAGES[user])
        if args.year and "/dashboard" in pages:
            pages.append(f"/dashboard?period={year_period()}")
        if args.pages:
            keep = args.pages.split(",")
            pages = [p for p in pages if p.split("?")[0] in keep]
        with TestClient(app) as client:
            login(client, user)
            for path in pages:
                result = measure(
                    client, counter, user, path, args.warmup, args.repeat, args.slowest
                )
                results.append(result)
                print(
                    f"{user:<11} {path:<40} median {result.median_ms:7.1f} ms  "
                    f"p95 {result.p95_ms:7.1f} ms  app CPU {result.cpu_ms:6.1f} ms  "
                    f"in SQL {result.sql_ms:6.1f} ms  {result.statements:3d} SQL  "
                    f"{result.size_kib:6.1f} KiB",
                    flush=True,
                )
    print(f"load after: {os.getloadavg()[0]:.2f}")
    engine.dispose()


if __name__ == "__main__":
    main()
