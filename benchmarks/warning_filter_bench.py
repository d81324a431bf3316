"""Benchmark of the appeal list's warning filter (``GET /api/v1/appeals?warning=red``): the time
of :func:`civicgrid.appeals.queries.list_for` with ``warning`` set, as the supervisor of the demo
city sees it.

Run: ``.venv/bin/python benchmarks/warning_filter_bench.py --db PATH [--repeat 20]``

``PATH`` is a demo database (SQLite file, e.g. a copy of ``var/civicgrid.db`` after
``civicgrid demo --scale small``; it is migrated to the current heads first) or a
``postgresql://`` URL. For each colour the benchmark lists the first page (50) of the
supervisor's appeals with that warning colour at the wall-clock time, ``--repeat`` times after
one warm-up, and prints the total count, the median and the best time in milliseconds and the
number of SQL statements of one listing. For comparison the same page is then taken the way the
list took it before the warning colour became a SQL condition: the newest
``MAX_WARNING_SCAN`` (5,000) appeals in scope loaded with every column and coloured in Python
(``warning_for``); that path also counted at most those 5,000.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid import migrate
from civicgrid.appeals import queries
from civicgrid.appeals.deadlines import WarningLevel
from civicgrid.appeals.models import Appeal
from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.clock import SystemClock
from civicgrid.db import make_engine, make_session_factory


def _python_scan(
    session: Session, actor: Actor, level: WarningLevel, now: datetime
) -> list[Appeal]:
    """The list's former warning path: the newest appeals in scope, coloured in Python."""
    stmt = (
        select(Appeal)
        .where(queries.scope_condition(actor))
        .order_by(Appeal.received_at.desc(), Appeal.id.desc())
        .limit(queries.MAX_WARNING_SCAN)
    )
    rows = session.scalars(stmt).all()
    session.expunge_all()
    return [a for a in rows if queries.warning_for(a, now) is level]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLite file or postgresql:// URL")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--user", default="supervisor")
    args = parser.parse_args()
    url = args.db if "://" in args.db else f"sqlite:///{args.db}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*call: Any) -> None:
        statements.append(str(call[2]))

    now = SystemClock().now()
    with make_session_factory(engine)() as session:
        user_id = auth_service.find_user_id(session, args.user)
        if user_id is None:
            raise SystemExit(f"no user {args.user!r}: is this a demo database?")
        actor = auth_service.actor_for_user(session, user_id)
        print(f"{engine.dialect.name}, user {args.user}, now {now:%Y-%m-%d %H:%M} UTC")
        for level in WarningLevel:
            filters = queries.AppealFilters(warning=level, limit=50)
            page = queries.list_for(session, actor, filters, now=now)  # warm-up
            times = []
            for _ in range(args.repeat):
                statements.clear()
                started = time.perf_counter()
                page = queries.list_for(session, actor, filters, now=now)
                times.append((time.perf_counter() - started) * 1000)
            print(
                f"warning={level.value:<6} SQL   total {page.total:>6}  page {len(page.items):>3}  "
                f"median {statistics.median(times):7.1f} ms  best {min(times):7.1f} ms  "
                f"statements {len(statements)}"
            )
            scan_times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                found = _python_scan(session, actor, level, now)
                scan_times.append((time.perf_counter() - started) * 1000)
            print(
                f"warning={level.value:<6} scan  total {len(found):>6}  "
                f"page {min(50, len(found)):>3}  "
                f"median {statistics.median(scan_times):7.1f} ms  best {min(scan_times):7.1f} ms"
            )
    engine.dispose()


if __name__ == "__main__":
    main()
