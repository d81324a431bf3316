"""Benchmark of the 人房 register: bulk CSV import and search latency on PostgreSQL.

Run: ``.venv/bin/python benchmarks/register_bench.py [--rows 1000000] [--queries 200]``

Creates a fresh database ``civicgrid_bench_register`` on the server of
``CIVICGRID_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``;
an existing ``civicgrid_bench_register`` is dropped), migrates it, builds the demo ``small``
territory through the territory use case, generates ``--rows`` residents with the demo generator
(``demo.people.build_register_spec``: valid GB 11643 numbers, phones, addresses, tags) into a
CSV file in a temporary directory, and imports that file through the same path as
``civicgrid register import`` (read → row validation → checks against the database → bulk
load with Fernet encryption and keyed hashes) in ``valid-rows`` mode, as one transaction.

Printed figures: generation and file size; reading the file; pure row validation alone; the
cost of Fernet encryption and HMAC hashing alone; the whole import use case (rows/s); then the
latency (median and 95th percentile, ms) of scoped searches: exact ID number and phone through
the keyed hash, name prefix, tag and address text, for a city-wide admin and for a grid worker
of one community.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench_db import fresh_database
from cryptography.fernet import Fernet
from sqlalchemy import make_url, text

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid import migrate
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.auth.scope import DataScope
from civicgrid.clock import monotonic
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.city import build_territory_spec
from civicgrid.demo.people import GridInfo, build_register_spec
from civicgrid.kit import spreadsheet
from civicgrid.kit.crypto import FieldCipher
from civicgrid.register import exchange as register_exchange
from civicgrid.register import queries as register_queries
from civicgrid.register import service as register_service
from civicgrid.register.queries import ResidentSearch
from civicgrid.register.rows import ALIASES, HEADERS, validate_rows
from civicgrid.register.rules import ImportMode
from civicgrid.territory import queries as territory_queries
from civicgrid.territory import service as territory_service

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DB = "civicgrid_bench_register"


def _latency(fn: Callable[[int], object], n: int) -> tuple[float, float]:
    times = []
    for i in range(n):
        t0 = monotonic()
        fn(i)
        times.append((monotonic() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", default=BENCH_DB, help="scratch database (dropped first)")
    args = parser.parse_args()
    base_url = os.environ.get("CIVICGRID_BENCH_DATABASE_URL", DEFAULT_URL)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, database {args.database} "
          f"on {make_url(base_url).host}")  # fmt: skip

    url = fresh_database(base_url, args.database)
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    system = Actor.system("bench")
    with factory() as session:
        territory_service.create_from_spec(
            session, spec=build_territory_spec(args.seed, "small"), actor=system, now=NOW
        )
        grids = [GridInfo(row[1]) for row in territory_queries.grid_rows(session)]
        register_service.ensure_default_tags(session, actor=system, now=NOW)
    print(f"territory: demo 'small', {len(grids)} grids")

    cipher = FieldCipher(Fernet.generate_key().decode("ascii"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "residents.csv"
        t0 = monotonic()
        per_grid = -(-args.rows // len(grids))
        spec = build_register_spec(args.seed, grids, residents_per_grid=per_grid)
        rows = spec.rows[: args.rows]
        data = spreadsheet.write_csv(
            HEADERS,
            (
                [r.name, r.id_no, r.phone, r.ethnicity, r.household_place, r.grid_code,
                 r.address, r.building, r.unit, r.room, r.kind.label, r.relation,
                 r.from_on.isoformat() if r.from_on else "", "、".join(r.tags)]
                for r in rows
            ),
        )  # fmt: skip
        path.write_bytes(data)
        del spec
        t1 = monotonic()
        print(f"generated {len(rows):,} rows into {path.name}: {len(data) / 1e6:.0f} MB, "
              f"{t1 - t0:.1f} s")  # fmt: skip
        del data

        t0 = monotonic()
        table = spreadsheet.read_file(path, ALIASES)
        t1 = monotonic()
        print(f"read CSV: {t1 - t0:.1f} s ({len(table.rows) / (t1 - t0):,.0f} rows/s)")

        t0 = monotonic()
        validation = validate_rows(table.rows, table.row_numbers, today=NOW.date())
        t1 = monotonic()
        print(f"row validation alone (pure): {t1 - t0:.1f} s "
              f"({len(table.rows) / (t1 - t0):,.0f} rows/s), "
              f"{len(validation.errors)} errors")  # fmt: skip
        sample_ids = [r.id_no for _, r in validation.valid]
        phones = [r.phone for _, r in validation.valid if r.phone]
        names = [r.name[:2] for _, r in validation.valid]
        del validation

        t0 = monotonic()
        cipher.encrypt_many(sample_ids)
        t1 = monotonic()
        cipher.keyed_hash_many(sample_ids)
        t2 = monotonic()
        n = len(sample_ids)
        print(f"Fernet encrypt alone: {t1 - t0:.1f} s ({n / (t1 - t0):,.0f}/s); "
              f"HMAC-SHA256 alone: {t2 - t1:.1f} s ({n / (t2 - t1):,.0f}/s); "
              f"the import does both for the ID number and the phone")  # fmt: skip

        with factory() as session:
            t0 = monotonic()
            report = register_exchange.import_register(
                session,
                table=table,
                mode=ImportMode.VALID_ROWS,
                actor=system,
                cipher=cipher,
                now=NOW,
            )
            t1 = monotonic()
        print(f"import use case (validate + DB checks + load, one transaction): "
              f"{report.imported:,} residents, {report.counts.houses:,} houses, "
              f"{report.counts.resident_tags:,} tags in {t1 - t0:.1f} s "
              f"({report.imported / (t1 - t0):,.0f} rows/s); "
              f"{report.error_rows} rows refused")  # fmt: skip
        for e in report.errors[:5]:
            print(f"  row {e.row} {e.field}: {e.message}")
        del table

    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()

    rng = random.Random(args.seed)
    with factory() as session:
        first_grid = territory_queries.regions_by_codes(session, [grids[0].code])[grids[0].code]
        community = first_grid.path.rsplit("/", 2)[0] + "/"
        worker = Actor(
            user_id=None, username="bench_worker", display_name="网格员",
            roles=frozenset({Role.GRID_WORKER}),
            scope=DataScope(region_paths=frozenset({community})),
        )  # fmt: skip
        for label, actor in (("admin (whole city)", system), ("grid worker (1 community)", worker)):
            cases: dict[str, Callable[[int], ResidentSearch]] = {
                "exact ID number": lambda i: ResidentSearch(id_no=rng.choice(sample_ids)),
                "exact phone": lambda i: ResidentSearch(phone=rng.choice(phones)),
                "name prefix": lambda i: ResidentSearch(name=rng.choice(names)),
                "tag 低保": lambda i: ResidentSearch(tag="低保"),
                "address text": lambda i: ResidentSearch(address="幸福路"),
            }
            for case, make in cases.items():

                def run(i: int, make: Callable[[int], ResidentSearch] = make,
                        actor: Actor = actor) -> object:  # fmt: skip
                    return register_queries.search_residents_for(
                        session, actor, make(i), cipher=cipher, limit=50
                    )

                median, p95 = _latency(run, args.queries)
                print(f"search {label:26} {case:16}: median {median:7.2f} ms, "
                      f"p95 {p95:7.2f} ms (page of 50 + total count)")  # fmt: skip
    engine.dispose()


if __name__ == "__main__":
    main()
