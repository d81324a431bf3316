"""Where one app process spends its CPU on ``POST /api/v1/appeals``: cProfile and statement
counts, in-process (no HTTP server, no load client).

Run: ``.venv/bin/python benchmarks/intake_profile.py [--n 1000] [--top 40] [--reuse]``

Creates the database ``civicgrid_bench_intake_profile`` on the server of
``CIVICGRID_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
with the ``tiny`` demo city, unless ``--reuse`` keeps the one a previous run left. The app is
driven through ``httpx.AsyncClient`` over ``ASGITransport`` on an event loop in this thread, so
the request passes the same middleware, dependencies and thread-pool hops as under uvicorn
(without uvicorn's HTTP parsing). Every thread (the loop's and the thread pool's) gets its own
profiler; their statistics are merged.

Printed figures: CPU per request of the whole process (``time.process_time``: the client's
share is small but included), SQL statements and transactions per request by kind, and the
functions with the most cumulative and own time. The 1-minute load average is printed with the
figures: on a shared machine the CPU per request grows with it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import io
import os
import pstats
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import event, make_url

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid import migrate
from civicgrid.app import create_app
from civicgrid.clock import SystemClock
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.builder import DEMO_PASSWORD, build_demo_city
from civicgrid.territory import queries as territory_queries

# The intake benchmark's request bodies, database helper and defaults (a sibling script).
sys.path.insert(0, str(Path(__file__).resolve().parent))
intake_bench: Any = importlib.import_module("intake_bench")
DEFAULT_URL: str = intake_bench.DEFAULT_URL
GridPoint: Any = intake_bench.GridPoint
_appeal_bodies: Any = intake_bench._appeal_bodies
_fresh_database: Any = intake_bench.fresh_database

PROFILE_DB = "civicgrid_bench_intake_profile"
PATH = "/api/v1/appeals"


class ThreadProfiles:
    """One ``cProfile.Profile`` per thread that runs Python code while enabled."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()
        self._enabled = False

    def _start_in_thread(self, *_args: Any) -> None:
        sys.setprofile(None)
        if not self._enabled:
            return
        profile = cProfile.Profile(time.thread_time)
        with self._lock:
            self.profiles.append(profile)
        profile.enable()

    def enable(self) -> None:
        self._enabled = True
        threading.setprofile(self._start_in_thread)  # threads started from now on
        main = cProfile.Profile(time.thread_time)
        self.profiles.append(main)
        main.enable()

    def disable(self) -> None:
        self._enabled = False
        threading.setprofile(None)
        for profile in self.profiles:
            profile.disable()

    def stats(self) -> pstats.Stats:
        out = io.StringIO()
        stats = pstats.Stats(self.profiles[0], stream=out)
        for profile in self.profiles[1:]:
            stats.add(profile)
        return stats


def _setup(url: str, reuse: bool, key_file: Path) -> str:
    if reuse and key_file.exists():
        return key_file.read_text().strip()
    db_url = _fresh_database(url, PROFILE_DB)
    engine = make_engine(db_url)
    field_key = Fernet.generate_key().decode("ascii")
    migrate.upgrade(engine)
    with tempfile.TemporaryDirectory(prefix="civicgrid-intake-profile-") as tmp:
        build_demo_city(
            engine, seed=42, scale="tiny", clock=SystemClock(), field_key=field_key,
            media_dir=Path(tmp) / "media", models_dir=Path(tmp) / "models",
        )  # fmt: skip
    engine.dispose()
    key_file.write_text(field_key)
    return field_key


async def _post_all(app: Any, token: str, bodies: list[dict[str, Any]]) -> None:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for body in bodies:
            r = await client.post(PATH, json=body, headers=headers)
            assert r.status_code == 201, r.text


async def _login(app: Any) -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        login = await client.post(
            "/api/v1/auth/token",
            json={"username": "operator", "password": DEMO_PASSWORD, "name": "profile"},
        )
        assert login.status_code == 201, login.text
        return str(login.json()["token"])


def _run(app: Any, n: int, profiles: ThreadProfiles | None, grids: list[Any]) -> float:
    """Warm up (caches, statement compilation) on one event loop, then time ``n`` requests on
    a new one: anyio's worker threads belong to a loop, so the timed phase's threads start
    while the profilers are on."""
    token = asyncio.run(_login(app))
    bodies = _appeal_bodies(n + 50, grids, seed=random.randrange(10**6))
    asyncio.run(_post_all(app, token, bodies[:50]))
    if profiles is not None:
        profiles.enable()
    cpu0 = time.process_time()
    asyncio.run(_post_all(app, token, bodies[50:]))
    cpu = time.process_time() - cpu0
    if profiles is not None:
        profiles.disable()
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="profiled requests")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="reuse the last run's database")
    parser.add_argument("--no-profile", action="store_true", help="CPU and statements only")
    args = parser.parse_args()
    base = os.environ.get("CIVICGRID_BENCH_DATABASE_URL", DEFAULT_URL)
    key_file = Path(tempfile.gettempdir()) / f"{PROFILE_DB}.key"
    field_key = _setup(base, args.reuse, key_file)
    url = make_url(base).set(database=PROFILE_DB).render_as_string(hide_password=False)
    engine = make_engine(url)
    statements: Counter[str] = Counter()
    counting = False

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*call: Any) -> None:
        if counting:
            statements[str(call[2]).split(None, 1)[0].upper()] += 1

    @event.listens_for(engine, "commit")
    def _commit(*_call: Any) -> None:
        if counting:
            statements["(COMMIT)"] += 1

    @event.listens_for(engine, "rollback")
    def _rollback(*_call: Any) -> None:
        if counting:
            statements["(ROLLBACK)"] += 1

    with tempfile.TemporaryDirectory(prefix="civicgrid-intake-profile-var-") as tmp:
        settings = Settings(
            database_url=url,
            secret_key=Fernet.generate_key().decode("ascii"),
            field_key=field_key,
            var_dir=Path(tmp),
            run_jobs_in_process=False,
            throttle_intake="1000000/minute",
        )
        factory = make_session_factory(engine)
        app = create_app(settings, session_factory=factory, clock=SystemClock())
        with make_session_factory(engine)() as session:
            rows = territory_queries.grid_rows(session)
        grids = _grid_points(app, [(code, name) for _id, code, name, _p, _b in rows])
        profiles = None if args.no_profile else ThreadProfiles()
        counting = True
        cpu = _run(app, args.n, profiles, grids)
        counting = False
    load = os.getloadavg()[0]
    print(
        f"{args.n} requests: CPU {cpu * 1000 / args.n:.2f} ms per request (whole process"
        f"{', profiled' if profiles else ''}); load average (1 min) {load:.1f}"
    )
    per = {k: v / args.n for k, v in sorted(statements.items())}
    print("statements per request: " + ", ".join(f"{k} {v:.2f}" for k, v in per.items()))
    if profiles is not None:
        stats = profiles.stats()
        print(f"{len(profiles.profiles)} threads profiled")
        print(by_package(stats, args.n))
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            stats.stream = out  # type: ignore[attr-defined]
            stats.sort_stats(order).print_stats(args.top)
            print(out.getvalue())
    engine.dispose()


def _package(filename: str) -> str:
    """The top-level package a profiled function belongs to (``civicgrid.appeals``, ``sqlalchemy``,
    ``stdlib``, ``builtins``)."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/src/civicgrid/" in filename:
        parts = filename.split("/src/civicgrid/", 1)[1].split("/")
        return "civicgrid." + parts[0].removesuffix(".py")
    if "/benchmarks/" in filename:
        return "benchmark"
    return "builtins" if filename == "~" else "stdlib"


def by_package(stats: pstats.Stats, n: int) -> str:
    """Own (not cumulative) CPU per request by package, largest first."""
    own: Counter[str] = Counter()
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        own[_package(filename)] += row[2]
    total = sum(own.values())
    lines = [f"own CPU by package (profiled: {total * 1000 / n:.2f} ms per request)"]
    for package, seconds in own.most_common(20):
        lines.append(f"  {package:<28} {seconds * 1000 / n:6.2f} ms  {seconds / total:6.1%}")
    return "\n".join(lines)


def _grid_points(app: Any, codes: list[tuple[str, str]]) -> list[Any]:
    async def fetch() -> list[Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            login = await client.post(
                "/api/v1/auth/token",
                json={"username": "operator", "password": DEMO_PASSWORD, "name": "grids"},
            )
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            points = []
            for code, name in codes:
                r = await client.get(f"/api/v1/territory/regions/{code}", headers=headers)
                centroid = r.json()["centroid"]
                if centroid is not None:
                    points.append(GridPoint(code, name, float(centroid[0]), float(centroid[1])))
            return points

    return asyncio.run(fetch())


if __name__ == "__main__":
    main()
