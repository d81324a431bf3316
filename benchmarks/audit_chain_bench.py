"""Audit hash chain: audited commits while the sealer runs, the sealer's speed and the speed of
``audit verify``.

Writes N audited transactions (one audit row each, through ``audit.record`` and a commit; the
writers insert rows unsealed and take no chain lock) with T threads while a sealer thread seals
every ``--seal-every`` seconds like the ``audit.seal`` job, then seals the rest, and verifies
the whole chain. ``--no-seal`` runs the writers alone (the baseline). On SQLite (a file) or
PostgreSQL (its own database, created and dropped).

    .venv/bin/python benchmarks/audit_chain_bench.py --engine sqlite --rows 20000
    .venv/bin/python benchmarks/audit_chain_bench.py --engine postgresql --rows 20000 --threads 4
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text

from civicgrid import migrate
from civicgrid.audit import sealing
from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.db import make_engine, make_session_factory

PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432"
WHO = Actor(user_id=1, username="bench", display_name="基准")
AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _write(engine: Engine, rows: int, threads: int) -> float:
    factory = make_session_factory(engine)
    per = rows // threads

    def work(k: int) -> None:
        with factory() as s:
            for i in range(per):
                record(
                    s,
                    actor=WHO,
                    action="bench.write",
                    subject_type="thing",
                    subject_id=f"{k}-{i}",
                    now=AT,
                    detail={"k": k, "i": i},
                )
                s.commit()

    started = time.perf_counter()
    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - started


class _Sealer:
    """Seals every ``every`` seconds until stopped, like the ``audit.seal`` job; counts the rows
    and the seconds spent sealing."""

    def __init__(self, engine: Engine, every: float) -> None:
        self.factory = make_session_factory(engine)
        self.every = every
        self.stop = threading.Event()
        self.rows = 0
        self.busy = 0.0
        self.thread = threading.Thread(target=self._loop)

    def seal_once(self) -> None:
        started = time.perf_counter()
        with self.factory() as s:
            self.rows += sealing.seal_all(s)
        self.busy += time.perf_counter() - started

    def _loop(self) -> None:
        while not self.stop.wait(self.every):
            self.seal_once()


def _run(engine: Engine, rows: int, threads: int, *, sealed: bool, every: float) -> None:
    migrate.upgrade(engine)
    sealer = _Sealer(engine, every)
    if sealed:
        sealer.thread.start()
    seconds = _write(engine, rows, threads)
    sealer.stop.set()
    print(
        f"audited commits: {rows} in {seconds:.2f} s = {rows / seconds:,.0f}/s ({threads} threads"
        f"{f', sealer every {every:g} s' if sealed else ', no sealer'})"
    )
    if not sealed:
        return
    sealer.thread.join()
    during = sealer.rows
    sealer.seal_once()
    print(
        f"sealed: {sealer.rows} rows ({during} while writing) in {sealer.busy:.2f} s of sealing"
        f" = {sealer.rows / sealer.busy:,.0f} rows/s"
    )
    with make_session_factory(engine)() as s:
        started = time.perf_counter()
        verdict = sealing.verify(s)
        took = time.perf_counter() - started
    assert verdict.problem is None, verdict.problem
    print(f"verify: {verdict.rows} rows in {took:.2f} s = {verdict.rows / took:,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--no-seal", action="store_true", help="baseline: writers alone, no sealer (no chain)"
    )
    parser.add_argument("--seal-every", type=float, default=5.0, help="seconds between sealings")
    args = parser.parse_args()
    if args.engine == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
            _run(engine, args.rows, args.threads, sealed=not args.no_seal, every=args.seal_every)
            engine.dispose()
        return
    name = f"civicgrid_bench_audit_{uuid.uuid4().hex[:6]}"
    admin = make_engine(f"{PG_BASE}/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(f"{PG_BASE}/{name}")
    try:
        _run(engine, args.rows, args.threads, sealed=not args.no_seal, every=args.seal_every)
    finally:
        engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
