"""Audit hash chain: the cost of sealing at commit and the speed of ``audit verify``.

Writes N audited transactions (one audit row each, through ``audit.record`` and a commit, so
every commit seals its row: lock the head, seal, move the head) with T threads, then verifies
the whole chain. On SQLite (a file) or PostgreSQL (its own database, created and dropped).

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

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

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


def _run(engine: Engine, rows: int, threads: int, *, sealed: bool) -> None:
    migrate.upgrade(engine)
    seconds = _write(engine, rows, threads)
    print(
        f"audited commits: {rows} in {seconds:.2f} s = {rows / seconds:,.0f}/s ({threads} threads)"
    )
    if not sealed:
        return
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
        "--no-seal", action="store_true", help="baseline: commits without sealing (no chain)"
    )
    args = parser.parse_args()
    if args.no_seal:
        event.remove(Session, "before_commit", sealing._seal_before_commit)
    if args.engine == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
            _run(engine, args.rows, args.threads, sealed=not args.no_seal)
            engine.dispose()
        return
    name = f"civicgrid_bench_audit_{uuid.uuid4().hex[:6]}"
    admin = make_engine(f"{PG_BASE}/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(f"{PG_BASE}/{name}")
    try:
        _run(engine, args.rows, args.threads, sealed=not args.no_seal)
    finally:
        engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
