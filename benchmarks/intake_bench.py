"""Benchmark of appeal intake over HTTP on PostgreSQL, beside a raw psycopg INSERT loop.

Run: ``.venv/bin/python benchmarks/intake_bench.py [--workers 2] [--seconds 20]
[--connections 4] [--client auto|wrk|python] [--n 2000]``

Creates a fresh database ``civicgrid_bench_intake`` on the server of
``CIVICGRID_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``;
an existing ``civicgrid_bench_intake`` is dropped), migrates it and builds the demo city at
scale ``tiny`` with a fresh Fernet field key. It then serves ``create_app`` in a child process:
``uvicorn --workers N --loop uvloop --http httptools`` on 127.0.0.1 on a free port, logs in
as the demo ``operator`` and POSTs hotline appeals to ``/api/v1/appeals`` with the bearer
token. Every appeal carries content, the caller's name and phone and a point at the centroid
of one of the demo grids (read through ``GET /api/v1/territory/regions/{code}``), so intake
locates its grid ("routing"); every answer must be 201 and every stored appeal must have its
grid.

Load client (``--client auto`` takes wrk when it is installed, ``apt-get install wrk``):

* **wrk** (C, event loop; costs little CPU on a 2-core machine): a generated Lua script cycles
  through ``--n`` distinct request bodies on ``--connections`` keep-alive connections for
  ``--seconds`` after ``--warmup-seconds`` of warm-up; wrk reports the latency percentiles,
  the Lua script counts answers other than 201;
* **python** (fallback): ``--connections`` threads with one keep-alive ``httpx.Client`` each
  POST ``--n`` appeals (after ``--warmup`` requests); this client uses a core's worth of CPU
  itself, so its rate is lower.

Then a raw psycopg loop inserts as many rows as the HTTP phase created, one ``INSERT`` +
``COMMIT`` each (what intake commits per request), into ``bench_raw_appeal``: an ordinary
(logged) table made with ``LIKE appeal`` (columns, defaults, indexes; no foreign keys), each row
a copy of one appeal the HTTP phase created with a new number.

Printed figures: HTTP appeals/s with p50/p95/p99 latency; CPU per appeal of the app processes,
of the PostgreSQL backends serving the bench database (read from ``/proc``, so only for a
server on this machine) and of the client; the 1-minute load average at the end of the HTTP
phase; raw rows/s; the ratio HTTP/raw. Traffic is loopback
only; every phase stops by itself; the database is dropped unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
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
from bench_db import drop_database, fresh_database
from cryptography.fernet import Fernet
from fastapi import FastAPI
from psycopg import sql
from sqlalchemy import make_url, text

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid import migrate
from civicgrid.app import create_app, tune_gc_for_serving
from civicgrid.clock import SystemClock, monotonic
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.builder import DEMO_PASSWORD, build_demo_city
from civicgrid.territory import queries as territory_queries

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DB = "civicgrid_bench_intake"
HOST = "127.0.0.1"
RAW_TABLE = "bench_raw_appeal"
PATH = "/api/v1/appeals"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

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
    percentiles_ms: dict[int, float] = field(default_factory=dict)  # given by wrk

    def percentile(self, p: int) -> float:
        if p in self.percentiles_ms:
            return self.percentiles_ms[p]
        times = sorted(self.latencies_ms)
        if not times:
            return float("nan")
        if p == 50:
            return float(statistics.median(times))
        return times[max(0, int(len(times) * p / 100) - 1)]

    def line(self, unit: str) -> str:
        return (
            f"{self.label}: {self.done:,} {unit} in {self.seconds:.1f} s = {self.rate:,.0f} "
            f"{unit}/s; latency p50 {self.percentile(50):.1f} ms, p95 {self.percentile(95):.1f} "
            f"ms, p99 {self.percentile(99):.1f} ms"
        )

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def app_from_env() -> FastAPI:
    """uvicorn factory: settings from the ``CIVICGRID_*`` environment."""
    app = create_app(Settings(), clock=SystemClock())
    tune_gc_for_serving()  # as ``civicgrid serve`` does
    return app


# --- CPU accounting (Linux /proc) -----------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone or /proc is missing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _process_tree(root: int) -> list[int]:
    """``root`` and its descendants (uvicorn's supervisor and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int(entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


class CpuMeter:
    """CPU seconds used between :meth:`start` and :meth:`stop` by the app processes and by
    the PostgreSQL backends connected to the bench database (when PostgreSQL runs here)."""

    def __init__(self, server_pid: int, conninfo: str, database: str) -> None:
        self.server_pid = server_pid
        self.conninfo = conninfo
        self.database = database
        self._app0: dict[int, float] = {}
        self._pg0: dict[int, float] = {}
        self.app = 0.0
        self.pg: float | None = None

    def _pg_pids(self) -> list[int]:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.database,),
            ).fetchall()
        return [int(r[0]) for r in rows]

    def _snapshot(self) -> tuple[dict[int, float], dict[int, float]]:
        app = {pid: _cpu_seconds(pid) for pid in _process_tree(self.server_pid)}
        pg = {pid: _cpu_seconds(pid) for pid in self._pg_pids()}
        return app, pg

    def start(self) -> None:
        self._app0, self._pg0 = self._snapshot()

    def stop(self) -> None:
        app1, pg1 = self._snapshot()
        self.app = sum(v - self._app0.get(pid, 0.0) for pid, v in app1.items())
        local = Path("/proc").is_dir() and any(Path(f"/proc/{pid}").exists() for pid in pg1)
        self.pg = sum(v - self._pg0.get(pid, 0.0) for pid, v in pg1.items()) if local else None


# --- the server -------------------------------------------------------------------------------


class Server:
    """``uvicorn --workers N`` serving the app (``factory``, a module of this directory) on
    127.0.0.1:port as a child process."""

    def __init__(
        self,
        env: dict[str, str],
        port: int,
        workers: int,
        *,
        factory: str = "intake_bench:app_from_env",
    ) -> None:
        self.port = port
        self.child = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", factory,
             "--app-dir", str(Path(__file__).resolve().parent), "--host", HOST,
             "--port", str(port), "--workers", str(workers), "--loop", "uvloop",
             "--http", "httptools", "--log-level", "warning", "--no-access-log"],
            env={**os.environ, **env},
        )  # fmt: skip

    def wait_ready(self, timeout: float) -> None:
        deadline = monotonic() + timeout
        while monotonic() < deadline:
            if self.child.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.child.returncode}")
            try:
                r = httpx.get(f"http://{HOST}:{self.port}/api/v1/auth/me", timeout=2.0)
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            if r.status_code == 401:
                return
            raise RuntimeError(f"unexpected readiness answer {r.status_code}")
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        self.child.terminate()
        try:
            self.child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()


def clean_up(
    server: Server | None, engine: Any, base_url: str, database: str, *, keep: bool
) -> None:
    """Stop the server if it still runs, close the engine and drop the scratch database (or
    say that it is kept)."""
    if server is not None:
        server.stop()
    engine.dispose()
    if keep:
        print(f"kept database {database}")
    else:
        drop_database(base_url, database)
        print(f"dropped database {database}")


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


# --- load clients -----------------------------------------------------------------------------

_LUA = """
local bodies = {%(bodies)s}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
local threads = {}
function setup(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end
local i = 0
bad = 0  -- globals: done() reads them from every thread with thread:get
first_bad = ""
function init(args)
  i = offset
end
function request()
  i = i + 1
  return wrk.format(nil, "%(path)s", nil, bodies[(i %% #bodies) + 1])
end
function response(status, headers, body)
  if status ~= 201 then
    bad = bad + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body, 1, 200) end
  end
end
function done(summary, latency, requests)
  local non201, sample = 0, ""
  for _, t in ipairs(threads) do
    non201 = non201 + t:get("bad")
    if sample == "" then sample = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"non201\\": %%d, " ..
    "\\"socket_errors\\": %%d, \\"p50_us\\": %%d, \\"p95_us\\": %%d, \\"p99_us\\": %%d, " ..
    "\\"sample\\": %%q}\\n",
    summary.requests, summary.duration, non201, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), sample))
end
"""


def _lua_long_string(value: str) -> str:
    level = 0
    while f"]{'=' * level}]" in value:
        level += 1
    return f"[{'=' * level}[{value}]{'=' * level}]"


def _run_wrk(
    wrk: str,
    base: str,
    token: str,
    bodies: Sequence[dict[str, Any]],
    *,
    connections: int,
    seconds: float,
    script_dir: Path,
) -> tuple[PhaseResult, float]:
    """One wrk run; returns the result and wrk's own CPU seconds."""
    script = script_dir / "intake.lua"
    encoded = ",\n".join(_lua_long_string(json.dumps(b, ensure_ascii=False)) for b in bodies)
    script.write_text(_LUA % {"bodies": encoded, "token": token, "path": PATH}, encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
         "-s", str(script), base],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    out, _ = proc.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child reaped
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    match = re.search(r"^RESULT (\{.*\})$", out, re.MULTILINE)
    if proc.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{out}")
    data = json.loads(match.group(1))
    result = PhaseResult(
        label=f"HTTP POST {PATH} (wrk, {connections} connections)",
        done=int(data["requests"]) - int(data["non201"]),
        seconds=int(data["duration_us"]) / 1e6,
        percentiles_ms={p: int(data[f"p{p}_us"]) / 1000 for p in (50, 95, 99)},
    )
    if data["non201"] or data["socket_errors"]:
        result.failures.append(
            f"{data['non201']} answers other than 201, {data['socket_errors']} socket errors; "
            f"first: {data['sample']}"
        )
    return result, cpu


def _run_python(
    base: str, token: str, bodies: Sequence[dict[str, Any]], threads: int, max_seconds: float
) -> PhaseResult:
    result = PhaseResult(label=f"HTTP POST {PATH} (python httpx, {threads} threads)")
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}"}
    deadline = monotonic() + max_seconds

    def client(k: int) -> None:
        latencies: list[float] = []
        failures: list[str] = []
        with httpx.Client(base_url=base, headers=headers, timeout=60.0) as http:
            for i in range(k, len(bodies), threads):
                if monotonic() > deadline:
                    break
                t0 = monotonic()
                r = http.post(PATH, json=bodies[i])
                latencies.append((monotonic() - t0) * 1000)
                if r.status_code != 201:
                    failures.append(f"#{i}: {r.status_code} {r.text[:200]}")
        with lock:
            result.latencies_ms.extend(latencies)
            result.failures.extend(failures)

    workers = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
    t0 = monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    result.seconds = monotonic() - t0
    result.done = len(result.latencies_ms) - len(result.failures)
    return result


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


def _max_appeal_id(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM appeal")).scalar_one())


def _per_appeal(seconds: float | None, n: int) -> str:
    return "n/a" if seconds is None or not n else f"{seconds * 1000 / n:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=20.0, help="wrk: measured seconds")
    parser.add_argument("--warmup-seconds", type=float, default=3.0, help="wrk: warm-up")
    parser.add_argument(
        "--n", type=int, default=2000, help="distinct bodies (wrk) / appeals to POST (python)"
    )
    parser.add_argument("--warmup", type=int, default=100, help="python: warm-up requests")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-seconds", type=float, default=600.0, help="time limit per phase")
    parser.add_argument("--database", default=BENCH_DB, help="scratch database (dropped first)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    wrk = shutil.which("wrk") if args.client in ("auto", "wrk") else None
    if args.client == "wrk" and wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk), or use --client python")
    client = "wrk" if wrk else "python"
    base_url = os.environ.get("CIVICGRID_BENCH_DATABASE_URL", DEFAULT_URL)
    host = make_url(base_url).host
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}, database {args.database} on {host}; client {client}, "
          f"{args.connections} connections, {args.workers} uvicorn worker(s)")  # fmt: skip

    url = fresh_database(base_url, args.database)
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
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
                    models_dir=Path(tmp) / "models",
                ),
            )  # fmt: skip
            with make_session_factory(engine)() as session:
                codes = [
                    (code, name)
                    for _id, code, name, _path, _b in territory_queries.grid_rows(session)
                ]
                before = session.execute(text("SELECT count(*) FROM appeal")).scalar_one()
            print(f"demo: {len(codes)} grids, {before:,} appeals of the demo year")

            env = {
                "CIVICGRID_DATABASE_URL": url,
                "CIVICGRID_SECRET_KEY": Fernet.generate_key().decode("ascii"),
                "CIVICGRID_FIELD_KEY": field_key,
                "CIVICGRID_VAR_DIR": str(Path(tmp) / "var"),
                "CIVICGRID_RUN_JOBS_IN_PROCESS": "false",
                # One operator account sends every request: the per-account intake limit that
                # protects a real deployment would answer 429 to the benchmark itself.
                "CIVICGRID_THROTTLE_INTAKE": os.environ.get(
                    "CIVICGRID_THROTTLE_INTAKE", "1000000/minute"
                ),
            }
            port = _free_port()
            server = Server(env, port, args.workers)
            server.wait_ready(timeout=180)
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
            meter = CpuMeter(server.child.pid, conninfo, args.database)
            if wrk:
                _run_wrk(
                    wrk, base, token, bodies, connections=args.connections,
                    seconds=args.warmup_seconds, script_dir=Path(tmp),
                )  # fmt: skip
                first_id = _max_appeal_id(engine)
                meter.start()
                http_result, client_cpu = _run_wrk(
                    wrk, base, token, bodies, connections=args.connections,
                    seconds=min(args.seconds, args.max_seconds), script_dir=Path(tmp),
                )  # fmt: skip
                meter.stop()
            else:
                _run_python(base, token, bodies[: args.warmup], args.connections, args.max_seconds)
                first_id = _max_appeal_id(engine)
                cpu0 = time.process_time()
                meter.start()
                http_result = _run_python(base, token, bodies, args.connections, args.max_seconds)
                meter.stop()
                client_cpu = time.process_time() - cpu0
            load_during = os.getloadavg()[0]  # the 1-minute average ends with the HTTP phase
            server.stop()
            server = None
            print(http_result.line("appeals"))
            print(f"  load average (1 min) at the end of the HTTP phase: {load_during:.1f}")
            for failure in http_result.failures[:5]:
                print(f"  {failure}")
            with engine.connect() as conn:
                stored, located, last_id = conn.execute(
                    text("SELECT count(*), count(region_id), max(id) FROM appeal WHERE id > :i"),
                    {"i": first_id},
                ).one()
            print(f"  {stored:,} appeals stored in the measured phase, {located:,} located in a "
                  f"grid; all answers 201: {not http_result.failures}")  # fmt: skip
            n = http_result.done
            print(f"  CPU per appeal: app {_per_appeal(meter.app, n)} ({meter.app:.1f} s, "
                  f"{args.workers} worker(s)), PostgreSQL backends {_per_appeal(meter.pg, n)}, "
                  f"client {_per_appeal(client_cpu, n)} ({client})")  # fmt: skip
            if not stored:
                raise SystemExit("no appeal was created")

            raw = _run_raw(conninfo, int(last_id), int(stored), args.max_seconds)
            print(raw.line("rows"))
            ratio = http_result.rate / raw.rate if raw.rate else float("nan")
            verdict = "met" if http_result.rate >= 300 else "not met"
            print(f"ratio HTTP/raw: {ratio:.2f} ({http_result.rate:,.0f} / {raw.rate:,.0f}); "
                  f"target ≥ 300 appeals/s: {verdict}")  # fmt: skip
    finally:
        clean_up(server, engine, base_url, args.database, keep=args.keep)


if __name__ == "__main__":
    main()
