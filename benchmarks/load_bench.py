"""Load test of the served application: staff, leaders and residents of a district at once
(locust, ``benchmarks/locustfile.py``) against two app servers and the worker on PostgreSQL.

Run: ``.venv/bin/python benchmarks/load_bench.py [--url URL] [--reuse] [--users 50]
[--spawn-rate 10] [--run-time 180] [--servers 2]``

1. The database: ``--url`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/civicgrid_load``)
   is dropped, created and filled with the small demo city by the project's own command
   (``civicgrid demo --seed 42 --scale small``: a year of appeals), then ``VACUUM ANALYZE``; with
   ``--reuse`` it is used as it is (it must hold the demo accounts). The field key and the
   dispatch model live in ``--var-dir`` (default ``var/load-bench``; a reused database needs the
   var directory it was built with, or ``CIVICGRID_FIELD_KEY`` in the environment).
2. The servers, as in production (docs/operations.md): ``--servers`` processes of
   ``civicgrid serve`` on 127.0.0.1 with one shared secret key and
   ``CIVICGRID_RUN_JOBS_IN_PROCESS=false``, and one ``civicgrid worker`` for the periodic jobs.
   Every simulated client comes from 127.0.0.1 and the users share the demo accounts, so the
   login and tracking throttles (per address and per account) are raised for the run; the
   throttle still counts every attempt in the database.
3. locust headless (``-u``, ``-r``, ``-t`` and ``--stop-timeout``, CSV output in the run
   directory): each simulated user is bound to one server in turn. The tracking numbers and
   phone tails the callers type come from a query at start (200 appeals with a caller phone,
   decrypted with the field key), written to ``tracking.json``.
4. The result: a markdown table of every endpoint kind (requests, failures, p50 / p95 / p99,
   requests/s), the CPU seconds the app servers, the worker and the PostgreSQL backends of the
   database used during the locust run, and the load average at start and end.
5. Everything started here is stopped at the end, also on Ctrl-C or an error; locust is
   bounded by ``-t`` and killed if it overruns by two minutes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx
import psycopg
from sqlalchemy import make_url, select

from civicgrid.appeals.models import Appeal
from civicgrid.appeals.self_service_rules import phone_last4
from civicgrid.db import make_engine, make_session_factory
from civicgrid.kit.crypto import FieldCipher

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CLI = str(Path(sys.executable).parent / "civicgrid")
HOST = "127.0.0.1"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/civicgrid_load"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Limits for the run: every simulated client has the address 127.0.0.1 and the users share the
# ten demo accounts; the counters are still kept (one write per login or tracking attempt).
RAISED_THROTTLES = {
    "CIVICGRID_THROTTLE_LOGIN_IP": "100000/minute",
    "CIVICGRID_THROTTLE_LOGIN_ACCOUNT": "100000/minute",
    "CIVICGRID_THROTTLE_TRACKING_IP": "100000/minute",
    "CIVICGRID_THROTTLE_RATING_IP": "100000/minute",
}
TRACKING_SAMPLE = 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def _psycopg_url(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (``postgresql+psycopg://`` → ``postgresql://``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- the database -----------------------------------------------------------------------------


def build_database(url: str, env: dict[str, str]) -> None:
    """Drop and create the database of ``url`` and build the small demo city in it."""
    parsed = make_url(url)
    name = parsed.database
    if not name:
        raise SystemExit("--url must name a database")
    admin = _psycopg_url(parsed.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    started = time.monotonic()
    subprocess.run([CLI, "demo", "--seed", "42", "--scale", "small"], env=env, check=True)
    print(f"demo city built in {time.monotonic() - started:.0f} s", flush=True)


def vacuum_analyze(url: str) -> None:
    with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def tracking_sample(url: str, field_key: str, path: Path) -> int:
    """Write ``TRACKING_SAMPLE`` (number, phone tail) pairs of appeals with a caller phone."""
    engine = make_engine(url)
    cipher = FieldCipher(field_key)
    try:
        with make_session_factory(engine)() as session:
            rows = session.execute(
                select(Appeal.number, Appeal.caller_phone_enc)
                .where(Appeal.caller_phone_enc != "", Appeal.anonymous.is_(False))
                .order_by(Appeal.id.desc())
                .limit(TRACKING_SAMPLE)
            ).all()
    finally:
        engine.dispose()
    pairs = [
        {"number": number, "phone_tail": phone_last4(cipher.decrypt(enc))} for number, enc in rows
    ]
    pairs = [p for p in pairs if p["phone_tail"]]
    path.write_text(json.dumps(pairs, ensure_ascii=False), encoding="utf-8")
    return len(pairs)


# --- processes --------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process, its waited-for children included (0 when it is
    gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(x) for x in fields[11:15]) / CLOCK_TICKS


class Processes:
    """The children started by the run, stopped in reverse order by :meth:`stop_all`."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, label: str, command: Sequence[str], env: dict[str, str]) -> int:
        with (self.logs / f"{label}.log").open("wb") as log:
            child = subprocess.Popen(
                list(command), env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
            )
        self.started.append((label, child))
        return child.pid

    def check_alive(self) -> None:
        for label, child in self.started:
            if child.poll() is not None:
                raise RuntimeError(
                    f"{label} exited with {child.returncode} (log: {self.logs / label}.log)"
                )

    def stop_all(self) -> None:
        for _label, child in reversed(self.started):
            if child.poll() is None:
                child.terminate()
        for _label, child in reversed(self.started):
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def wait_healthy(bases: Sequence[str], processes: Processes, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    pending = list(bases)
    while pending:
        processes.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"servers not ready: {pending}")
        try:
            if httpx.get(pending[0] + "/healthz", timeout=5.0).status_code == 200:
                pending.pop(0)
                continue
        except httpx.HTTPError:
            pass
        time.sleep(0.5)


def pg_backend_cpu(url: str) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends connected to the database (PostgreSQL on this
    machine; other databases' backends are not counted)."""
    name = make_url(url).database
    with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
        pids = [
            int(r[0])
            for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            ).fetchall()
        ]
    return {pid: _cpu_seconds(pid) for pid in pids}


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so that the ``finally`` blocks stop the children."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    rps: float


def read_stats(path: Path) -> list[Row]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            # The locustfile names every request "METHOD path-kind"; the total row is "Aggregated".
            name = "**all**" if r["Name"] == "Aggregated" else r["Name"]
            rows.append(
                Row(
                    name=name,
                    requests=int(r["Request Count"]),
                    failures=int(r["Failure Count"]),
                    p50=float(r["50%"] or 0),
                    p95=float(r["95%"] or 0),
                    p99=float(r["99%"] or 0),
                    rps=float(r["Requests/s"] or 0),
                )
            )
    body = sorted((r for r in rows if r.name != "**all**"), key=lambda r: -r.p95)
    return body + [r for r in rows if r.name == "**all**"]


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| endpoint | requests | failures | p50 ms | p95 ms | p99 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | {r.requests:,} | {r.failures} | {r.p50:.0f} | {r.p95:.0f} | "
            f"{r.p99:.0f} | {r.rps:.2f} |"
        )
    return "\n".join(lines)


def failures(path: Path) -> str:
    if not path.exists():
        return ""
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return "\n".join(
        f"- {r['Method']} {r['Name']}: {r['Error']} × {r['Occurrences']}" for r in rows
    )


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL database of the run")
    parser.add_argument("--reuse", action="store_true", help="use the database as it is")
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var" / "load-bench")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--run-time", type=int, default=180, help="seconds")
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="run directory (logs, CSV)")
    args = parser.parse_args()

    if not make_url(args.url).drivername.startswith("postgresql"):
        raise SystemExit("load_bench needs a PostgreSQL --url")
    args.var_dir.mkdir(parents=True, exist_ok=True)
    out = args.out or Path(tempfile.mkdtemp(prefix="civicgrid-load-"))
    out.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CIVICGRID_DATABASE_URL": args.url,
        "CIVICGRID_VAR_DIR": str(args.var_dir.resolve()),
    }
    print(f"run directory: {out}; load average at start: {_load()}", flush=True)

    with stop_on_signals():
        if not args.reuse:
            build_database(args.url, env)
            vacuum_analyze(args.url)
        from civicgrid.config import Settings

        field_key = Settings(var_dir=args.var_dir.resolve()).resolved_field_key()
        tracked = tracking_sample(args.url, field_key, out / "tracking.json")
        print(f"tracking sample: {tracked} appeals", flush=True)

        serve_env = {
            **env,
            **RAISED_THROTTLES,
            "CIVICGRID_RUN_JOBS_IN_PROCESS": "false",
            "CIVICGRID_SECRET_KEY": os.environ.get("CIVICGRID_SECRET_KEY")
            or secrets.token_urlsafe(48),
        }
        processes = Processes(out)
        try:
            ports = [_free_port() for _ in range(args.servers)]
            servers = [
                processes.start(
                    f"serve-{port}", [CLI, "serve", "--host", HOST, "--port", str(port)], serve_env
                )
                for port in ports
            ]
            worker = processes.start("worker", [CLI, "worker"], serve_env)
            bases = [f"http://{HOST}:{port}" for port in ports]
            wait_healthy(bases, processes)
            print(f"servers ready: {', '.join(bases)}; load average: {_load()}", flush=True)

            app0 = {pid: _cpu_seconds(pid) for pid in [*servers, worker]}
            pg0 = pg_backend_cpu(args.url)
            load_start = _load()
            wall0 = time.monotonic()
            locust_log = (out / "locust.log").open("wb")
            locust = subprocess.Popen(
                [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"),
                 "--headless", "-u", str(args.users), "-r", str(args.spawn_rate),
                 "-t", f"{args.run_time}s", "--stop-timeout", "10",
                 "--csv", str(out / "locust"), "--only-summary", "--host", bases[0]],
                env={**os.environ, "CIVICGRID_LOAD_HOSTS": ",".join(bases),
                     "CIVICGRID_LOAD_TRACKING": str(out / "tracking.json")},
                stdout=locust_log, stderr=subprocess.STDOUT, cwd=ROOT,
            )  # fmt: skip
            try:
                locust.wait(timeout=args.run_time + 120)
            except subprocess.TimeoutExpired:
                locust.kill()
                locust.wait()
                raise RuntimeError("locust overran its time bound") from None
            finally:
                if locust.poll() is None:
                    locust.kill()
                    locust.wait()
                locust_log.close()
            wall = time.monotonic() - wall0
            load_end = _load()
            app_cpu = {pid: _cpu_seconds(pid) - app0[pid] for pid in app0}
            pg1 = pg_backend_cpu(args.url)
            pg_cpu = sum(v - pg0.get(pid, 0.0) for pid, v in pg1.items())
            processes.check_alive()
        finally:
            processes.stop_all()

    rows = read_stats(out / "locust_stats.csv")
    print()
    print(
        f"{args.users} users (spawn {args.spawn_rate}/s), {args.run_time} s, {args.servers} "
        f"servers + worker, database {make_url(args.url).database}; load average "
        f"{load_start} at start, {load_end} at end"
    )
    print()
    print(table(rows))
    print()
    server_cpu = sum(app_cpu[pid] for pid in servers)
    print(
        f"CPU seconds over {wall:.0f} s: app servers {server_cpu:.1f} "
        f"({', '.join(f'{app_cpu[pid]:.1f}' for pid in servers)}), worker {app_cpu[worker]:.1f}, "
        f"PostgreSQL backends {pg_cpu:.1f}"
    )
    failed = failures(out / "locust_failures.csv")
    if failed:
        print("\nfailures:\n" + failed)
    print(f"\nlogs and CSV: {out}")


if __name__ == "__main__":
    main()
