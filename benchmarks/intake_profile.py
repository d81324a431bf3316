"""Where one app process spends its CPU on ``POST /api/v1/appeals``: cProfile and statement
counts, in-process (no HTTP server, no load client).

Run: ``.venv/bin/python benchmarks/intake_profile.py [--n 1000] [--top 40] [--reuse]
[--no-profile] [--instructions]``

Creates the database ``civicgrid_bench_intake_profile`` on the server of
``CIVICGRID_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
with the ``tiny`` demo city, unless ``--reuse`` keeps the one a previous run left. The app is
called as an ASGI application on an event loop in this thread (a minimal driver that hands it
the request as uvicorn does, without HTTP parsing and without an HTTP client), so the request
passes the same middleware, dependencies and thread-pool hops as under uvicorn. Every thread
(the loop's and the thread pool's) gets its own profiler; their statistics are merged.

``--instructions`` counts instead of timing: the script runs itself under valgrind's
callgrind with instrumentation off, switches it on (``callgrind_control -i on``) for the
measured requests only, and prints the instructions executed per request by the whole
process (every thread; PostgreSQL is another process and is not counted). Unlike CPU seconds
the count barely moves with the machine's load, so it compares two versions of the code on a
shared machine; it runs ≈ 50 times slower, so use ``--n 200`` or so.

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
import json
import os
import pstats
import random
import shutil
import subprocess
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
from civicgrid.app import create_app, tune_gc_for_serving
from civicgrid.clock import Clock, FrozenClock, SystemClock
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.builder import DEMO_PASSWORD, build_demo_city
from civicgrid.territory import queries as territory_queries
from civicgrid.territory.locate import CACHE as LOCATE_CACHE

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


async def _asgi_post(app: Any, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    """POST ``body`` to ``app`` as uvicorn would hand it over; returns the answer's status.

    After the body, ``receive`` waits for the answer to finish and then reports the client's
    disconnect (what a server says to an app that listens for one)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("ascii"),
        "root_path": "",
        "query_string": b"",
        "headers": [*headers, (b"content-length", str(len(body)).encode("ascii"))],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    done = asyncio.Event()
    body_sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    await app(scope, receive, send)
    return status


async def _post_all(app: Any, token: str, bodies: list[dict[str, Any]]) -> None:
    headers = [
        (b"host", b"127.0.0.1"),
        (b"authorization", f"Bearer {token}".encode("ascii")),
        (b"content-type", b"application/json"),
        (b"accept", b"application/json"),
    ]
    for body in bodies:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        status = await _asgi_post(app, PATH, raw, headers)
        assert status == 201, status


async def _login(app: Any) -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        login = await client.post(
            "/api/v1/auth/token",
            json={"username": "operator", "password": DEMO_PASSWORD, "name": "profile"},
        )
        assert login.status_code == 201, login.text
        return str(login.json()["token"])


def _callgrind(switch: str) -> None:
    """Switch callgrind's instrumentation of this process on or off."""
    done = subprocess.run(
        ["callgrind_control", "--instr=" + switch, str(os.getpid())],
        check=True,
        capture_output=True,
        text=True,
    )
    if "not detected" in done.stdout + done.stderr:  # callgrind_control exits 0 then too
        sys.exit(f"callgrind_control could not reach this process: {done.stdout}")


def _run(
    app: Any, n: int, profiles: ThreadProfiles | None, grids: list[Any], *, callgrind: bool
) -> float:
    """Warm up (caches, statement compilation) on one event loop, then time ``n`` requests on
    a new one: anyio's worker threads belong to a loop, so the timed phase's threads start
    while the profilers are on."""
    token = asyncio.run(_login(app))
    seed = 7 if callgrind else random.randrange(10**6)  # the same appeals for every count
    bodies = _appeal_bodies(n + 50, grids, seed=seed)
    asyncio.run(_post_all(app, token, bodies[:50]))
    if profiles is not None:
        profiles.enable()
    if callgrind:
        _callgrind("on")
    cpu0 = time.process_time()
    asyncio.run(_post_all(app, token, bodies[50:]))
    cpu = time.process_time() - cpu0
    if callgrind:
        _callgrind("off")
    if profiles is not None:
        profiles.disable()
    return cpu


def _count_instructions(args: argparse.Namespace) -> None:
    """Run this script under callgrind (instrumented for the measured requests only) and print
    the instructions per request."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="civicgrid-intake-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
            sys.executable, str(Path(__file__).resolve()), "--n", str(args.n), "--reuse",
            "--no-profile", "--under-callgrind",
        ]  # fmt: skip
        subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
        # "totals:" sums the counts of every thread ("summary:" stays 0 without instrumentation
        # at start).
        totals = [line for line in out.read_text().splitlines() if line.startswith("totals:")]
    instructions = int(totals[0].split()[1])
    print(
        f"{args.n} requests: {instructions / args.n / 1e6:.3f} million instructions per request "
        f"(whole process, callgrind); load average (1 min) {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="profiled requests")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="reuse the last run's database")
    parser.add_argument("--no-profile", action="store_true", help="CPU and statements only")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions under callgrind"
    )
    parser.add_argument("--stats-file", type=Path, help="also save the merged profile (pstats)")
    parser.add_argument("--under-callgrind", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    base = os.environ.get("CIVICGRID_BENCH_DATABASE_URL", DEFAULT_URL)
    key_file = Path(tempfile.gettempdir()) / f"{PROFILE_DB}.key"
    field_key = _setup(base, args.reuse, key_file)
    if args.instructions:
        _count_instructions(args)
        return
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
        clock: Clock = SystemClock()
        if args.under_callgrind:
            # Under callgrind a request takes ≈ 50 times as long, so work done once per period
            # of wall time (the token's last use, once a minute; the grid index's check of the
            # database, once a second) would be counted into far more requests than at full
            # speed: the clock stands still and the grid index is checked once.
            clock = FrozenClock(clock.now())
            LOCATE_CACHE._check_seconds = float("inf")
        app = create_app(settings, session_factory=factory, clock=clock)
        tune_gc_for_serving()  # as ``civicgrid serve`` does
        with make_session_factory(engine)() as session:
            rows = territory_queries.grid_rows(session)
        grids = _grid_points(app, [(code, name) for _id, code, name, _p, _b in rows])
        profiles = None if args.no_profile else ThreadProfiles()
        counting = True
        cpu = _run(app, args.n, profiles, grids, callgrind=args.under_callgrind)
        counting = False
    if args.under_callgrind:
        engine.dispose()
        return
    load = os.getloadavg()[0]
    print(
        f"{args.n} requests: CPU {cpu * 1000 / args.n:.2f} ms per request (whole process"
        f"{', profiled' if profiles else ''}); load average (1 min) {load:.1f}"
    )
    per = {k: v / args.n for k, v in sorted(statements.items())}
    print("statements per request: " + ", ".join(f"{k} {v:.2f}" for k, v in per.items()))
    if profiles is not None:
        stats = profiles.stats()
        if args.stats_file is not None:
            stats.dump_stats(args.stats_file)
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
