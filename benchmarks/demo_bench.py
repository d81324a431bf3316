"""Benchmark of the demo year: what one appeal use case costs when the demo builder walks appeals
through the workflow.

Run: ``.venv/bin/python benchmarks/demo_bench.py [--appeals 2000] [--seed 42]``

Builds the ``tiny`` demo city without appeals on a fresh SQLite file in a temporary folder, then,
in one outer transaction as ``civicgrid demo`` does, runs :func:`build_appeals_year` for
``--appeals`` appeals at the ``small`` scale's mix. Listeners count the use cases (every use case
commits once) and the statements sent to SQLite by kind (they cost a little CPU themselves).

Printed figures: appeals, use cases and timeline events; CPU seconds (``time.process_time``) and
wall seconds of the year alone; CPU and wall milliseconds per use case; SQL statements per use
case by kind. The whole ``civicgrid demo`` command is timed with ``/usr/bin/time -v`` instead
(see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import event, func, select

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid import migrate
from civicgrid.appeals.models import TimelineEvent
from civicgrid.clock import FrozenClock, monotonic
from civicgrid.db import make_engine
from civicgrid.demo.appeals_year import build_appeals_year, create_demo_actors, plan_year
from civicgrid.demo.builder import DEMO_PASSWORD, build_demo_city, build_session

YEAR_END = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appeals", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    key = Fernet.generate_key().decode("ascii")
    with tempfile.TemporaryDirectory(prefix="civicgrid-demo-bench-") as tmp:
        root = Path(tmp)
        engine = make_engine(f"sqlite:///{root / 'demo.db'}")
        migrate.upgrade(engine)
        build_demo_city(
            engine, seed=args.seed, scale="tiny", clock=FrozenClock(YEAR_END), field_key=key,
            appeals=0, media_dir=root / "media", models_dir=root / "models",
        )  # fmt: skip
        statements: Counter[str] = Counter()

        @event.listens_for(engine, "before_cursor_execute")
        def _count(*call: Any) -> None:
            statements[str(call[2]).split(None, 1)[0].upper()] += 1

        with engine.connect() as conn:
            outer = conn.begin()
            session = build_session(conn)
            actors = create_demo_actors(
                session, seed=args.seed, password=DEMO_PASSWORD, grid_workers=4, now=YEAR_END
            )
            commits = [0]

            @event.listens_for(session, "after_commit")
            def _committed(_session: Any) -> None:
                commits[0] += 1

            statements.clear()
            cpu0, wall0 = time.process_time(), monotonic()
            plan = plan_year(seed=args.seed, scale="small", year_end=YEAR_END, count=args.appeals)
            created = 0
            for part in ("recent", "history"):
                created += build_appeals_year(
                    session, seed=args.seed, scale="small", plan=plan, part=part,
                    actors=actors, field_key=key, media_dir=root / "media",
                ).created  # fmt: skip
            cpu, wall = time.process_time() - cpu0, monotonic() - wall0
            events = session.scalar(select(func.count()).select_from(TimelineEvent)) or 0
            session.close()
            outer.commit()
        engine.dispose()
    use_cases = commits[0]
    print(f"python {platform.python_version()}, SQLite, seed {args.seed}")
    print(f"appeals {created}, use cases {use_cases}, timeline events {events}")
    print(f"year: CPU {cpu:.1f} s, wall {wall:.1f} s")
    if use_cases:
        print(
            f"per use case: CPU {cpu / use_cases * 1000:.2f} ms, wall "
            f"{wall / use_cases * 1000:.2f} ms, statements "
            f"{sum(statements.values()) / use_cases:.2f}"
        )
        kinds = ", ".join(f"{k} {n / use_cases:.2f}" for k, n in statements.most_common())
        print(f"statements per use case: {kinds}")


if __name__ == "__main__":
    main()
