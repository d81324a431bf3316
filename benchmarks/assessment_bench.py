"""Benchmark of the assessment rollups: load N synthetic appeals in bulk, then time the full
rebuild, the monthly ranking read from the rollup (p50/p95), the same month computed by a raw
aggregate over the appeals table, and the incremental refresh per changed appeal.

    .venv/bin/python benchmarks/assessment_bench.py --n 1000000            # PostgreSQL
    .venv/bin/python benchmarks/assessment_bench.py --n 100000 --engine sqlite

PostgreSQL: a scratch database (``--db``, default ``civicgrid_bench``) on the local server is
dropped and recreated; appeals are loaded with COPY (psycopg's ``cursor.copy``). SQLite: a file
under ``var/bench/``, loaded with ``executemany``. The data are deterministic per ``--seed``.
Appeal rows are synthetic and inserted directly (a benchmark fixture, not a test): ~5% answered
directly, 3% terminated, 2% flagged 不合理; lead units 70% streets, 20% departments, 10%
utilities; receipt times spread over ``--months`` months ending 2026-10-31 (Beijing).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from civicgrid import migrate
from civicgrid.assessment import rollup, service
from civicgrid.assessment.periods import parse_period
from civicgrid.assessment.ranking import UnitType
from civicgrid.auth.actor import Actor
from civicgrid.clock import monotonic
from civicgrid.config import PROJECT_ROOT
from civicgrid.db import make_engine, make_session_factory

END = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 2026-11-01 00:00 Beijing
NOW = END + timedelta(days=20)
APPEAL_COLUMNS = (
    "id", "number", "channel", "flow", "appeal_type", "status", "level", "title", "content",
    "category", "address", "region_id", "region_path", "caller_name_enc", "caller_phone_enc",
    "caller_phone_hash", "confidential", "anonymous", "received_at", "dispatched_at",
    "signed_at", "contacted_at", "replied_at", "closed_at", "response_due_at", "disposition",
    "disposition_note", "reply_text", "resolved", "satisfaction", "reopen_count",
    "excluded_from_rates", "version",
)  # fmt: skip
UNIT_COLUMNS = (
    "id", "appeal_id", "role", "unit_kind", "unit_id", "unit_name", "unit_path", "assigned_at",
)  # fmt: skip
CALLBACK_COLUMNS = (
    "id", "appeal_id", "round", "resolved", "satisfaction", "note", "channel", "at",
)  # fmt: skip


@dataclass
class Territory:
    streets: list[tuple[int, str, str]]  # id, name, path
    departments: list[tuple[int, str]]
    utilities: list[tuple[int, str]]


def build_territory(engine: Engine, districts: int, streets_per: int, depts: int) -> Territory:
    created = END - timedelta(days=400)
    rid = 1
    regions: list[dict[str, Any]] = [
        {"id": 1, "code": "110000000000", "name": "北京市", "level": "city", "parent_id": None,
         "path": "/1/", "created_at": created}
    ]  # fmt: skip
    streets: list[tuple[int, str, str]] = []
    for d in range(districts):
        rid += 1
        did, dpath = rid, f"/1/{rid}/"
        regions.append(
            {"id": did, "code": f"1101{d + 1:02d}000000", "name": f"第{d + 1}区",
             "level": "district", "parent_id": 1, "path": dpath, "created_at": created}
        )  # fmt: skip
        for s in range(streets_per):
            rid += 1
            name = f"第{d + 1}区第{s + 1}街道"
            regions.append(
                {"id": rid, "code": f"1101{d + 1:02d}{s + 1:03d}000", "name": name,
                 "level": "street", "parent_id": did, "path": f"{dpath}{rid}/",
                 "created_at": created}
            )  # fmt: skip
            streets.append((rid, name, f"{dpath}{rid}/"))
    departments = [(i + 1, f"市级部门{i + 1}") for i in range(depts)]
    utilities = [(i + 1, f"公共服务企业{i + 1}") for i in range(10)]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO region (id, code, name, level, parent_id, path, created_at) "
                "VALUES (:id, :code, :name, :level, :parent_id, :path, :created_at)"
            ),
            [{**r, "created_at": _ts(r["created_at"], conn.dialect.name)} for r in regions],
        )
        conn.execute(
            text(
                "INSERT INTO department (id, code, name, region_id, duties, is_active, created_at)"
                " VALUES (:id, :code, :name, 1, '', true, :c)"
            ),
            [{"id": i, "code": f"D{i}", "name": n, "c": _ts(created, conn.dialect.name)}
             for i, n in departments],
        )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO utility (id, code, name, service, hotline, is_active, created_at)"
                " VALUES (:id, :code, :name, 'water', '', true, :c)"
            ),
            [{"id": i, "code": f"U{i}", "name": n, "c": _ts(created, conn.dialect.name)}
             for i, n in utilities],
        )  # fmt: skip
    return Territory(streets, departments, utilities)


def _ts(value: datetime, dialect: str) -> Any:
    if dialect == "sqlite":
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def generate(
    n: int, territory: Territory, months: int, seed: int
) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...] | None, tuple[Any, ...] | None]]:
    """(appeal row, lead-unit row or None, callback row or None) for ids 1..n."""
    rnd = random.Random(seed)
    span = months * 30 * 86400
    start = END - timedelta(seconds=span)
    unit_row_id = callback_id = 0
    for i in range(1, n + 1):
        received = start + timedelta(seconds=rnd.randrange(span))
        roll = rnd.random()
        status, disposition = "closed", ""
        dispatched = signed = contacted = replied = closed = due = None
        resolved: bool | None = None
        satisfaction: str | None = None
        unit = None
        callback = None
        if roll < 0.05:
            disposition = "answer_directly"
            closed = received + timedelta(minutes=5)
        else:
            dispatched = received + timedelta(minutes=rnd.randrange(5, 180))
            due = dispatched + timedelta(hours=24)
            signed = dispatched + timedelta(minutes=rnd.randrange(1, 30 * 60))
            contacted = signed + timedelta(minutes=rnd.randrange(1, 8 * 60))
            kind = rnd.random()
            if kind < 0.7:
                sid, sname, spath = rnd.choice(territory.streets)
                unit = ("region", sid, sname, spath)
            elif kind < 0.9:
                did, dname = rnd.choice(territory.departments)
                unit = ("department", did, dname, "")
            else:
                uid, uname = rnd.choice(territory.utilities)
                unit = ("utility", uid, uname, "")
            replied = contacted + timedelta(hours=rnd.randrange(2, 120))
            if roll < 0.08:
                status, closed = "terminated", replied
            elif replied + timedelta(days=3) > NOW or roll > 0.97:
                status = "replied"
            else:
                closed = replied + timedelta(hours=rnd.randrange(1, 72))
                r = rnd.random()
                resolved = r < 0.93
                satisfaction = (
                    "satisfied" if r < 0.88 else "fairly_satisfied" if r < 0.95 else "dissatisfied"
                )
                callback_id += 1
                callback = (callback_id, i, 0, resolved, satisfaction, "", "phone", closed)
            unit_row_id += 1
        appeal = (
            i, f"B{i:012d}", "hotline", "hotline", "complaint", status, "L3", "占道经营",
            "每天晚上有商贩占用人行道。", "", "", None, unit[3] if unit else "", "", "", "",
            False, False, received, dispatched, signed, contacted, replied, closed, due,
            disposition, "", "", resolved, satisfaction, 0, 0.05 <= roll < 0.07, 1,
        )  # fmt: skip
        unit_row = (
            (unit_row_id, i, "lead", unit[0], unit[1], unit[2], unit[3], dispatched)
            if unit
            else None
        )
        yield appeal, unit_row, callback


def load_postgres(engine: Engine, rows: Iterator[Any]) -> None:
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            units: list[tuple[Any, ...]] = []
            callbacks: list[tuple[Any, ...]] = []
            with cur.copy(f"COPY appeal ({', '.join(APPEAL_COLUMNS)}) FROM STDIN") as copy:
                for appeal, unit, cb in rows:
                    copy.write_row(appeal)
                    if unit:
                        units.append(unit)
                    if cb:
                        callbacks.append(cb)
            with cur.copy(f"COPY appeal_unit ({', '.join(UNIT_COLUMNS)}) FROM STDIN") as copy:
                for u in units:
                    copy.write_row(u)
            with cur.copy(
                f"COPY appeal_callback ({', '.join(CALLBACK_COLUMNS)}) FROM STDIN"
            ) as copy:
                for c in callbacks:
                    copy.write_row(c)
            for table in ("appeal", "appeal_unit", "appeal_callback"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            cur.execute("ANALYZE")
        raw.commit()


def load_sqlite(path: Path, rows: Iterator[Any]) -> None:
    def conv(v: Any) -> Any:
        if isinstance(v, datetime):
            return v.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        return v

    con = sqlite3.connect(path)
    ph = ", ".join("?" * len(APPEAL_COLUMNS))
    batch_a: list[tuple[Any, ...]] = []
    batch_u: list[tuple[Any, ...]] = []
    batch_c: list[tuple[Any, ...]] = []

    def flush() -> None:
        con.executemany(f"INSERT INTO appeal ({', '.join(APPEAL_COLUMNS)}) VALUES ({ph})", batch_a)
        con.executemany(
            f"INSERT INTO appeal_unit ({', '.join(UNIT_COLUMNS)}) VALUES "
            f"({', '.join('?' * len(UNIT_COLUMNS))})",
            batch_u,
        )
        con.executemany(
            f"INSERT INTO appeal_callback ({', '.join(CALLBACK_COLUMNS)}) VALUES "
            f"({', '.join('?' * len(CALLBACK_COLUMNS))})",
            batch_c,
        )
        batch_a.clear()
        batch_u.clear()
        batch_c.clear()

    for appeal, unit, cb in rows:
        batch_a.append(tuple(conv(v) for v in appeal))
        if unit:
            batch_u.append(tuple(conv(v) for v in unit))
        if cb:
            batch_c.append(tuple(conv(v) for v in cb))
        if len(batch_a) >= 50_000:
            flush()
    flush()
    con.commit()
    con.execute("ANALYZE")
    con.close()


RAW_STREET_MONTH = """
SELECT unit_id, sum(due), sum(on_time), sum(valid), sum(res), sum(sat), sum(fair), sum(exc)
FROM (
  SELECT u.unit_id AS unit_id, 1 AS due,
         CASE WHEN a.signed_at <= a.response_due_at AND a.contacted_at <= a.response_due_at
              THEN 1 ELSE 0 END AS on_time,
         0 AS valid, 0 AS res, 0 AS sat, 0 AS fair, 0 AS exc
  FROM appeal a JOIN appeal_unit u
    ON u.appeal_id = a.id AND u.role = 'lead' AND u.released_at IS NULL
  WHERE u.unit_kind = 'region' AND a.status <> 'merged'
    AND a.response_due_at >= :start AND a.response_due_at < :end
  UNION ALL
  SELECT u.unit_id, 0, 0,
         CASE WHEN x.excluded = 0 THEN 1 ELSE 0 END,
         CASE WHEN x.excluded = 0 AND a.resolved THEN 1 ELSE 0 END,
         CASE WHEN x.excluded = 0 AND a.satisfaction = 'satisfied' THEN 1 ELSE 0 END,
         CASE WHEN x.excluded = 0 AND a.satisfaction = 'fairly_satisfied' THEN 1 ELSE 0 END,
         x.excluded
  FROM (
    SELECT a.id AS id,
           CASE WHEN a.status = 'terminated' OR a.excluded_from_rates
                     OR a.disposition = 'answer_directly' THEN 1 ELSE 0 END AS excluded,
           coalesce(max(c.at), a.closed_at) AS at
    FROM appeal a LEFT JOIN appeal_callback c ON c.appeal_id = a.id
    GROUP BY a.id, a.status, a.excluded_from_rates, a.disposition, a.closed_at
  ) x
  JOIN appeal a ON a.id = x.id
  JOIN appeal_unit u ON u.appeal_id = a.id AND u.role = 'lead' AND u.released_at IS NULL
  WHERE u.unit_kind = 'region' AND x.at >= :start AND x.at < :end
) t
GROUP BY unit_id
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--db", default="civicgrid_bench")
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--districts", type=int, default=16)
    parser.add_argument("--streets-per-district", type=int, default=20)
    parser.add_argument("--departments", type=int, default=60)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the appeals of an earlier run (PostgreSQL): only re-create the assessment "
        "tables (migrate down to 0003 and up again), skip the load",
    )
    args = parser.parse_args()

    if args.reuse and args.engine == "postgresql":
        engine = make_engine(f"{args.server}/{args.db}")
        migrate.downgrade(engine, "0003")
        migrate.upgrade(engine)
        print(f"engine=postgresql n={args.n:,} (reused database {args.db})")
        run_measurements(engine, args)
        engine.dispose()
        return
    if args.engine == "postgresql":
        admin = make_engine(f"{args.server}/postgres")
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{args.db}"'))
        admin.dispose()
        url = f"{args.server}/{args.db}"
        db_path = None
    else:
        db_path = PROJECT_ROOT / "var" / "bench" / f"assessment_{args.n}.db"
        db_path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db_path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    territory = build_territory(engine, args.districts, args.streets_per_district, args.departments)

    t0 = monotonic()
    rows = generate(args.n, territory, args.months, args.seed)
    if db_path is None:
        load_postgres(engine, rows)
    else:
        engine.dispose()
        load_sqlite(db_path, rows)
        engine = make_engine(url)
    load_s = monotonic() - t0
    print(f"engine={args.engine} n={args.n:,} streets={len(territory.streets)}")
    print(f"load: {load_s:.1f} s ({args.n / load_s:,.0f} appeals/s)")
    run_measurements(engine, args)
    engine.dispose()


def run_measurements(engine: Engine, args: argparse.Namespace) -> None:
    factory = make_session_factory(engine)
    with factory() as session:
        t0 = monotonic()
        result = service.rebuild(session, now=NOW)
        rebuild_s = monotonic() - t0
    print(
        f"full rebuild: {rebuild_s:.1f} s ({result.facts:,} facts, {result.daily_rows:,} daily "
        f"rows; {args.n / rebuild_s:,.0f} appeals/s)"
    )

    period = parse_period("2026-10")
    actor = Actor.system("bench")
    timings: dict[UnitType, list[float]] = {}
    with factory() as session:
        for unit_type in UnitType:
            samples = []
            for _ in range(args.reps):
                t0 = monotonic()
                table = service.ranking(session, actor=actor, period=period, unit_type=unit_type)
                samples.append((monotonic() - t0) * 1000)
                session.rollback()
            timings[unit_type] = samples
            print(
                f"ranking {unit_type.value:<10} ({len(table.units):>4} units): "
                f"p50 {statistics.median(samples):6.1f} ms  p95 {pct(samples, 0.95):6.1f} ms"
            )
        raw_samples = []
        params = {"start": _ts(period.start_utc, engine.dialect.name),
                  "end": _ts(period.end_utc, engine.dialect.name)}  # fmt: skip
        for _ in range(3):
            t0 = monotonic()
            raw_rows = session.execute(text(RAW_STREET_MONTH), params).all()
            raw_samples.append((monotonic() - t0) * 1000)
        street_p50 = statistics.median(timings[UnitType.STREET])
        raw_p50 = statistics.median(raw_samples)
        print(
            f"raw aggregate over appeals (streets, same month, {len(raw_rows)} units): "
            f"p50 {raw_p50:.1f} ms → rollup is {raw_p50 / street_p50:.0f}× faster"
        )

    incremental(factory, engine, args)


def incremental(factory: Any, engine: Engine, args: argparse.Namespace) -> None:
    """Change appeals (a new callback result plus a timeline event, as the appeals service
    writes them) and time the refresh that picks the changes up."""
    dialect = engine.dialect.name
    event_at = _ts(NOW - timedelta(hours=1), dialect)
    with factory() as session:
        ids = [
            row[0]
            for row in session.execute(
                text("SELECT appeal_id FROM appeal_callback ORDER BY id LIMIT :k"),
                {"k": args.changes + 20},
            )
        ]
        service.refresh(session, now=NOW)  # settle the watermark

    def change(session: Session, appeal_ids: list[int]) -> None:
        for aid in appeal_ids:
            # Flip the callback result, so that every change moves counters (and a second run
            # on a reused database changes them again).
            session.execute(
                text(
                    "UPDATE appeal SET resolved = NOT coalesce(resolved, false), satisfaction = "
                    "CASE WHEN satisfaction = 'satisfied' THEN 'dissatisfied' ELSE 'satisfied' END"
                    " WHERE id = :id"
                ),
                {"id": aid},
            )
            session.execute(
                text(
                    "INSERT INTO appeal_event (appeal_id, at, action, from_status, to_status, "
                    "actor_label, actor_role, note, detail) VALUES (:id, :at, 'bench', "
                    "'closed', 'closed', 'bench', '', '', '{}')"
                ),
                {"id": aid, "at": event_at},
            )
        session.commit()

    singles = []
    with factory() as session:
        for aid in ids[:20]:
            change(session, [aid])
            t0 = monotonic()
            res = service.refresh(session, now=NOW)
            singles.append((monotonic() - t0) * 1000)
            assert res.appeals == 1, res
    print(
        f"incremental, one changed appeal per refresh: p50 {statistics.median(singles):.1f} ms"
        f"  p95 {pct(singles, 0.95):.1f} ms"
    )
    batch = ids[20 : 20 + args.changes]
    with factory() as session:
        change(session, batch)
        t0 = monotonic()
        res = service.refresh(session, now=NOW)
        batch_ms = (monotonic() - t0) * 1000
    print(
        f"incremental, {len(batch)} changed appeals in one refresh: {batch_ms:.0f} ms "
        f"({batch_ms / max(1, len(batch)):.2f} ms per appeal, {res.keys} unit-days)"
    )
    with factory() as session:
        # the refresh must agree with a rebuild of the same data
        before = session.execute(
            text("SELECT unit_type, unit_id, day, response_due, response_on_time, "
                 "valid_callbacks, resolved, satisfied, fairly_satisfied, excluded "
                 "FROM assessment_daily ORDER BY 1, 2, 3")
        ).all()  # fmt: skip
        rollup.rebuild_all(session, now=NOW)
        after = session.execute(
            text("SELECT unit_type, unit_id, day, response_due, response_on_time, "
                 "valid_callbacks, resolved, satisfied, fairly_satisfied, excluded "
                 "FROM assessment_daily ORDER BY 1, 2, 3")
        ).all()  # fmt: skip
        session.rollback()
    print(f"incremental result equals a rebuild: {before == after}")


if __name__ == "__main__":
    main()
