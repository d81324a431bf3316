"""Benchmark of ``territory.locate``: random points against the demo ``city`` territory.

Builds the city territory (21,600 grids) into a fresh SQLite file through the territory use
cases, loads the locate index the way the app does (from the database, through the cache), and
times the vectorised path (``LocateIndex.locate_many``) and the one-by-one path
(``LocateIndex.locate_position``), in wall-clock time and in the CPU time of this process (the
two differ when other work shares the machine). It then checks that both paths agree and that a
sample of answers matches a plain Shapely containment test.

    .venv/bin/python benchmarks/locate_bench.py [--points 1000000] [--single 1000000]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import shapely

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid.auth.actor import Actor
from civicgrid.clock import monotonic
from civicgrid.db import Base, make_engine, make_session_factory
from civicgrid.demo.city import build_territory_spec
from civicgrid.territory import service
from civicgrid.territory.locate import NOT_FOUND, LocateCache

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1_000_000, help="vectorised points")
    parser.add_argument("--single", type=int, default=1_000_000, help="one-by-one points")
    parser.add_argument("--repeat", type=int, default=5, help="vectorised repetitions")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    print(
        f"python {platform.python_version()}, shapely {shapely.__version__}, "
        f"GEOS {shapely.geos_version_string}, numpy {np.__version__}"
    )
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, {_cpu_count()} cores")
    print(f"load average before: {_load()}")

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        # The schema of the tables only (no migrations needed for a throw-away file).
        Base.metadata.create_all(engine)
        factory = make_session_factory(engine)

        t0 = monotonic()
        spec = build_territory_spec(args.seed, "city")
        t1 = monotonic()
        with factory() as session:
            summary = service.create_from_spec(
                session, spec=spec, actor=Actor.system("bench"), now=NOW
            )
        t2 = monotonic()
        print(
            f"generate city spec: {t1 - t0:.2f} s; import {summary.regions.created} regions "
            f"({summary.regions.by_level}) into SQLite: {t2 - t1:.2f} s"
        )

        cache = LocateCache()
        with factory() as session:
            t0 = monotonic()
            index = cache.index(session)
            t1 = monotonic()
            cache.index(session)
            t2 = monotonic()
        print(
            f"index build from the database: {t1 - t0:.3f} s for {len(index)} grids; "
            f"cached lookup of the index: {(t2 - t1) * 1000:.2f} ms"
        )
        engine.dispose()

    minx, miny, maxx, maxy = shapely.total_bounds(index.geoms)
    pad_x, pad_y = (maxx - minx) * 0.02, (maxy - miny) * 0.02
    rng = np.random.default_rng(args.seed)
    lons = rng.uniform(minx - pad_x, maxx + pad_x, args.points)
    lats = rng.uniform(miny - pad_y, maxy + pad_y, args.points)

    index.locate_many(lons[:1000], lats[:1000])  # warm-up
    walls: list[float] = []
    cpus: list[float] = []
    result = np.empty(0, dtype=np.int64)
    for _ in range(args.repeat):
        c0, t0 = time.process_time(), monotonic()
        result = index.locate_many(lons, lats)
        walls.append(monotonic() - t0)
        cpus.append(time.process_time() - c0)
    inside = int((result != NOT_FOUND).sum())
    n = args.points
    print(
        f"vectorised locate_many: {n:,} points ({inside:,} inside a grid), {args.repeat} runs\n"
        f"  wall time: best {min(walls):.3f} s = {n / min(walls):,.0f} points/s, "
        f"median {np.median(walls):.3f} s = {n / float(np.median(walls)):,.0f} points/s\n"
        f"  CPU time of this process: best {min(cpus):.3f} s = {n / min(cpus):,.0f} points/s"
    )

    n_single = min(args.single, args.points)
    xs, ys = lons[:n_single].tolist(), lats[:n_single].tolist()
    c0, t0 = time.process_time(), monotonic()
    single = [index.locate_position(x, y) for x, y in zip(xs, ys, strict=True)]
    elapsed = monotonic() - t0
    cpu = time.process_time() - c0
    print(
        f"one by one locate_position: {n_single:,} points, wall {elapsed:.2f} s = "
        f"{n_single / elapsed:,.0f} points/s; CPU {cpu:.2f} s = {n_single / cpu:,.0f} points/s"
    )

    mismatches = int((np.asarray(single) != result[:n_single]).sum())
    print(f"one-by-one and vectorised answers differ for {mismatches} of {n_single:,} points")

    sample = rng.choice(args.points, size=min(20_000, args.points), replace=False)
    wrong = 0
    for i in sample:
        pos = int(result[i])
        point = shapely.Point(lons[i], lats[i])
        if pos == NOT_FOUND:
            wrong += int(bool(index.tree.query(point, predicate="intersects").size))
        else:
            wrong += int(not index.geoms[pos].intersects(point))
    print(f"load average after: {_load()} (other work on the machine slows every figure)")
    print(f"checked {len(sample):,} answers against a plain Shapely test: {wrong} wrong")


def _load() -> str:
    import os

    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    main()
