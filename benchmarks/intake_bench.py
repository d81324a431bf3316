"""Benchmark of appeal intake over HTTP on PostgreSQL, beside a raw psycopg INSERT loop.

Run: ``.venv/bin/python benchmarks/intake_bench.py [--n 3000] [--threads 8] [--workers 1]``

Creates a fresh database ``civicgrid_bench_intake`` on the server of
``CIVICGRID_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``;
an existing ``civicgrid_bench_intake`` is dropped), migrates it and builds the demo city at
scale ``tiny`` with a fresh Fernet field key. It then serves ``create_app`` with uvicorn on
127.0.0.1 on a free port (``--workers 1``: one server in a thread of this process;
``--workers N``: a ``uvicorn --workers N`` child process), logs in as the demo ``operator``
and POSTs ``--n`` hotline appeals to ``/api/v1/appeals`` from ``--threads`` client threads
(one keep-alive ``httpx.Client`` each). Every appeal carries content, the caller's name and
phone and a point at the centroid of one of the demo grids (read through
``GET /api/v1/territory/regions/{code}``), so intake locates its grid ("routing"). Every answer
must be 201.

Then a raw psycopg loop inserts the same number of rows, one ``INSERT`` + ``COMMIT`` each (what
intake commits per request), into ``bench_raw_appeal``: an ordinary (logged) table made with
``LIKE appeal`` (columns, defaults, indexes; no foreign keys), each row a copy of one appeal the
HTTP phase created with a new number.

Printed figures: HTTP appeals/s with median and 95th-percentile latency; raw rows/s with the
same percentiles; the ratio HTTP/raw. Traffic is loopback only; the run stops by itself after
``--n`` requests or ``--max-seconds`` per phase; the database is dropped unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn
from cryptography.fernet import Fernet
from fastapi import FastAPI
from psycopg import sql
from sqlalchemy import make_url, text

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid import migrate
from civicgrid.app import create_app
from civicgrid.clock import SystemClock, monotonic
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.builder import DEMO_PASSWORD, build_demo_city
from civicgrid.territory import queries as territory_queries

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DB = "civicgrid_bench_intake"
HOST = "127.0.0.1"
RAW_TABLE = "bench_raw_appeal"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "秀英", "志强", "丽娟", "海燕", "伟", "芳", "敏", "静", "磊", "洋", "婷", "军"]
PLACES = ["幸福路", "和平街", "建设路", "人民路", "光明巷", "新华街", "育才路", "东风路"]
ISSUES: list[tuple[str, str, str, str]] = [
    ("complaint", "市容环境", "小区门口垃圾堆放多日无人清运",
     "{place}{no}号小区北门外的垃圾桶已经满了三天，周边堆了很多生活垃圾，天热有异味，"
     "还招苍蝇老鼠。之前给物业反映过没有处理，希望相关部门尽快安排清运并增加清运频次。"),
    ("complaint", "噪音扰民", "夜间施工噪音扰民",
     "{place}{no}号附近的工地最近每天晚上十一点以后还在施工，打桩和渣土车的声音很大，"
     "影响周边居民休息，家里有老人和小孩，请核实是否办理了夜间施工许可并依法处理。"),
    ("help", "供水", "家中停水未见通知",
     "{place}{no}号楼从今天早上开始停水，没有看到任何停水通知，打供水公司电话一直占线，"
     "楼里有行动不便的老人，请帮忙联系供水企业尽快恢复供水或安排送水。"),
    ("report", "占道经营", "流动摊贩占用人行道",
     "{place}{no}号门前人行道每天傍晚被流动摊贩占用，行人只能走机动车道，存在安全隐患，"
     "油烟也很大，希望城管部门加强巡查。"),
    ("inquiry", "社会保障", "咨询灵活就业人员医保缴费",
     "本人住在{place}{no}号，目前灵活就业，想咨询医保怎么办理参保缴费，在哪里办理，"
     "需要带哪些材料，断缴之后补缴有没有影响。"),
    ("suggestion", "交通设施", "建议路口增设红绿灯",
     "{place}与育才路交叉口（{place}{no}号附近）上下学时段人车很多，没有信号灯，"
     "孩子过马路很危险，建议增设红绿灯或安排人员疏导。"),
    ("help", "道路设施", "路灯损坏夜间出行不便",
     "{place}{no}号至路口一段有四五盏路灯不亮已经一周了，晚上路面很黑，"
     "前两天还有老人摔倒，请尽快维修。"),
]  # fmt: skip


@dataclass(frozen=True)
class GridPoint:
    code: str
    name: str
    lon: float
    lat: float


@dataclass
class PhaseResult:
    label: str
    done: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def line(self, unit: str) -> str:
        times = sorted(self.latencies_ms)
        p50 = statistics.median(times) if times else float("nan")
        p95 = times[max(0, int(len(times) * 0.95) - 1)] if times else float("nan")
        rate = self.done / self.seconds if self.seconds else 0.0
        return (
            f"{self.label}: {self.done:,} {unit} in {self.seconds:.1f} s = {rate:,.0f} {unit}/s; "
            f"latency p50 {p50:.1f} ms, p95 {p95:.1f} ms"
        )

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def _fresh_database(base_url: str, name: str) -> str:
    url = make_url(base_url)
    admin = make_engine(url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(base_url: str, name: str) -> None:
    admin = make_engine(base_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def app_from_env() -> FastAPI:
    """uvicorn factory for ``--workers N``: settings from the ``CIVICGRID_*`` environment."""
    return create_app(Settings(), clock=SystemClock())


class Server:
    """The app on 127.0.0.1:port, in a thread of this process or as a uvicorn child."""

    def __init__(self, env: dict[str, str], port: int, workers: int) -> None:
        self.port = port
        self._thread: threading.Thread | None = None
        self._server: uvicorn.Server | None = None
        self._child: subprocess.Popen[bytes] | None = None
        if workers <= 1:
            settings = Settings(
                database_url=env["CIVICGRID_DATABASE_URL"],
                secret_key=env["CIVICGRID_SECRET_KEY"],
                field_key=env["CIVICGRID_FIELD_KEY"],
                var_dir=Path(env["CIVICGRID_VAR_DIR"]),
                run_jobs_in_process=False,
            )
            config = uvicorn.Config(
                create_app(settings, clock=SystemClock()),
                host=HOST, port=port, log_level="warning", access_log=False,
            )  # fmt: skip
            self._server = uvicorn.Server(config)
            self._thread = threading.Thread(target=self._server.run, name="uvicorn", daemon=True)
            self._thread.start()
        else:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", "intake_bench:app_from_env",
                 "--app-dir", str(Path(__file__).resolve().parent), "--host", HOST,
                 "--port", str(port), "--workers", str(workers), "--log-level", "warning",
                 "--no-access-log"],
                env={**os.environ, **env},
            )  # fmt: skip

    def wait_ready(self, timeout: float) -> None:
        deadline = monotonic() + timeout
        while monotonic() < deadline:
            if self._child is not None and self._child.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self._child.returncode}")
            try:
                r = httpx.get(f"http://{HOST}:{self.port}/api/v1/auth/me", timeout=2.0)
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            if r.status_code == 401:
                return
            raise RuntimeError(f"unexpected readiness answer {r.status_code}")
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
        if self._child is not None:
            self._child.terminate()
            try:
                self._child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()


def _appeal_bodies(n: int, grids: Sequence[GridPoint], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    bodies = []
    for i in range(n):
        appeal_type, category, title, template = ISSUES[i % len(ISSUES)]
        grid = grids[i % len(grids)]
        place = rng.choice(PLACES)
        no = rng.randint(1, 300)
        bodies.append(
            {
                "channel": "hotline",
                "appeal_type": appeal_type,
                "title": title,
                "content": template.format(place=place, no=no),
                "category": category,
                "address": f"{grid.name}{place}{no}号",
                "lon": grid.lon,
                "lat": grid.lat,
                "caller_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "caller_phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            }
        )
    return bodies


def _run_http(
    base: str, token: str, bodies: Sequence[dict[str, Any]], threads: int, max_seconds: float
) -> tuple[PhaseResult, list[int]]:
    result = PhaseResult(label="HTTP POST /api/v1/appeals")
    created: list[int] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}"}
    deadline = monotonic() + max_seconds

    def client(k: int) -> None:
        latencies: list[float] = []
        ids: list[int] = []
        failures: list[str] = []
        with httpx.Client(base_url=base, headers=headers, timeout=60.0) as http:
            for i in range(k, len(bodies), threads):
                if monotonic() > deadline:
                    break
                t0 = monotonic()
                r = http.post("/api/v1/appeals", json=bodies[i])
                latencies.append((monotonic() - t0) * 1000)
                if r.status_code == 201:
                    ids.append(int(r.json()["id"]))
                else:
                    failures.append(f"#{i}: {r.status_code} {r.text[:200]}")
        with lock:
            result.latencies_ms.extend(latencies)
            result.failures.extend(failures)
            created.extend(ids)

    workers = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
    t0 = monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    result.seconds = monotonic() - t0
    result.done = len(created)
    return result, created


def _run_raw(conninfo: str, template_id: int, n: int, max_seconds: float) -> PhaseResult:
    result = PhaseResult(label=f"raw psycopg INSERT+COMMIT into {RAW_TABLE}")
    table = sql.Identifier(RAW_TABLE)
    with psycopg.connect(conninfo) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        conn.execute(
            sql.SQL("CREATE TABLE {} (LIKE appeal INCLUDING DEFAULTS INCLUDING INDEXES)").format(
                table
            )
        )
        conn.execute(
            sql.SQL(
                "ALTER TABLE {} ALTER COLUMN id DROP DEFAULT, "
                "ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY"
            ).format(table)
        )
        conn.commit()
        cur = conn.execute("SELECT * FROM appeal WHERE id = %s", (template_id,))
        assert cur.description is not None
        names = [d.name for d in cur.description]
        row = cur.fetchone()
        assert row is not None
        conn.commit()
        template = dict(zip(names, row, strict=True))
        del template["id"]
        columns = list(template)
        stmt = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            table,
            sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        )
        number_at = columns.index("number")
        values = [template[c] for c in columns]
        deadline = monotonic() + max_seconds
        t0 = monotonic()
        for i in range(n):
            if monotonic() > deadline:
                break
            values[number_at] = f"RAW{i:012d}"
            t1 = monotonic()
            conn.execute(stmt, values)
            conn.commit()
            result.latencies_ms.append((monotonic() - t1) * 1000)
            result.done += 1
        result.seconds = monotonic() - t0
    return result


def _grid_points(base: str, token: str, codes: Sequence[tuple[str, str]]) -> list[GridPoint]:
    points = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        for code, name in codes:
            r = http.get(f"/api/v1/territory/regions/{code}")
            r.raise_for_status()
            centroid = r.json()["centroid"]
            if centroid is not None:
                points.append(GridPoint(code, name, float(centroid[0]), float(centroid[1])))
    return points


def _timed(label: str, fn: Callable[[], object]) -> None:
    t0 = monotonic()
    fn()
    print(f"{label}: {monotonic() - t0:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=3000, help="appeals to POST (and raw rows)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-seconds", type=float, default=600.0, help="time limit per phase")
    parser.add_argument("--database", default=BENCH_DB, help="scratch database (dropped first)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    base_url = os.environ.get("CIVICGRID_BENCH_DATABASE_URL", DEFAULT_URL)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, database {args.database} "
          f"on {make_url(base_url).host}; {args.n} appeals, {args.threads} client threads, "
          f"{args.workers} uvicorn worker(s)"
          f"{' (in-process thread)' if args.workers <= 1 else ' (child process)'}")  # fmt: skip

    url = _fresh_database(base_url, args.database)
    field_key = Fernet.generate_key().decode("ascii")
    engine = make_engine(url)
    server: Server | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="civicgrid-intake-bench-") as tmp:
            _timed("migrate", lambda: migrate.upgrade(engine))
            _timed(
                f"demo city 'tiny' (seed {args.seed})",
                lambda: build_demo_city(
                    engine, seed=args.seed, scale="tiny", clock=SystemClock(),
                    field_key=field_key, media_dir=Path(tmp) / "media",
                ),
            )  # fmt: skip
            with make_session_factory(engine)() as session:
                codes = [
                    (code, name) for _id, code, name, _b in territory_queries.grid_rows(session)
                ]
                before = session.execute(text("SELECT count(*) FROM appeal")).scalar_one()
            print(f"demo: {len(codes)} grids, {before:,} appeals of the demo year")

            env = {
                "CIVICGRID_DATABASE_URL": url,
                "CIVICGRID_SECRET_KEY": Fernet.generate_key().decode("ascii"),
                "CIVICGRID_FIELD_KEY": field_key,
                "CIVICGRID_VAR_DIR": str(Path(tmp) / "var"),
                "CIVICGRID_RUN_JOBS_IN_PROCESS": "false",
            }
            port = _free_port()
            server = Server(env, port, args.workers)
            server.wait_ready(timeout=120)
            base = f"http://{HOST}:{port}"
            login = httpx.post(
                f"{base}/api/v1/auth/token",
                json={"username": "operator", "password": DEMO_PASSWORD, "name": "bench"},
                timeout=30,
            )
            if login.status_code != 201:
                raise RuntimeError(f"login failed: {login.status_code} {login.text[:200]}")
            token = str(login.json()["token"])
            grids = _grid_points(base, token, codes)
            print(f"logged in as operator on {base}; {len(grids)} grid centroids")

            bodies = _appeal_bodies(args.n, grids, args.seed)
            http_result, created = _run_http(base, token, bodies, args.threads, args.max_seconds)
            server.stop()
            server = None
            print(http_result.line("appeals"))
            if http_result.failures:
                print(f"  {len(http_result.failures)} non-201 answers, first ones:")
                for failure in http_result.failures[:5]:
                    print(f"  {failure}")
            if not created:
                raise SystemExit("no appeal was created")
            with engine.connect() as conn:
                located = conn.execute(
                    text("SELECT count(*), count(region_id) FROM appeal WHERE id = ANY(:ids)"),
                    {"ids": created},
                ).one()
            print(f"  {located[0]:,} appeals stored, {located[1]:,} located in a grid; "
                  f"all 201: {not http_result.failures and len(created) == args.n}")  # fmt: skip

            conninfo = (
                make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            )
            raw = _run_raw(conninfo, created[-1], len(created), args.max_seconds)
            print(raw.line("rows"))
            ratio = http_result.rate / raw.rate if raw.rate else float("nan")
            verdict = "met" if http_result.rate >= 300 else "not met"
            print(f"ratio HTTP/raw: {ratio:.2f} ({http_result.rate:,.0f} / {raw.rate:,.0f}); "
                  f"target ≥ 300 appeals/s: {verdict}")  # fmt: skip
    finally:
        if server is not None:
            server.stop()
        engine.dispose()
        if args.keep:
            print(f"kept database {args.database}")
        else:
            _drop_database(base_url, args.database)
            print(f"dropped database {args.database}")


if __name__ == "__main__":
    main()
