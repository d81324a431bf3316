"""Benchmark of a login burst over HTTP on PostgreSQL: logins/s, latency and CPU per login.

Run: ``.venv/bin/python benchmarks/login_bench.py [--logins 42] [--warmup 8] [--workers 2]
[--stored owasp|rfc9106] [--served owasp|rfc9106]``

Creates a fresh database ``civicgrid_bench_login`` on the server of
``CIVICGRID_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``;
dropped first and at the end unless ``--keep``), migrates it and creates ``--logins`` resident
accounts (and ``--warmup`` more, logged in before the measured burst) through the account use
case, each with a password hash made with the ``--stored`` parameters. It then serves
``create_app`` with ``uvicorn --workers N`` on 127.0.0.1, the password hasher set to the
``--served`` parameters, and sends every account's ``POST /api/v1/auth/token`` at once (one
connection each: the load test's burst, where 42 simulated users log in within 5 s). The login
throttles are raised for the run (one client address sends every login).

Parameter sets: ``owasp`` is the served setting (:data:`civicgrid.auth.passwords.PARAMETERS`,
argon2id m=19 MiB, t=2, p=1); ``rfc9106`` is the one served before December 2026 (RFC 9106's
second recommendation, m=64 MiB, t=3, p=4). ``--stored rfc9106 --served rfc9106`` measures the
code before the change, ``--stored owasp --served owasp`` after it, and ``--stored rfc9106
--served owasp`` the first login of each account after the upgrade (verification of the old
hash, then the rehash).

Printed: logins/s over the burst (first request sent to last answer), latency p50/p95/max, CPU
per login of the app processes and of the PostgreSQL backends of the bench database (from
``/proc``), the 1-minute load average at the end; every answer must be 201 and, when the
stored and served parameters differ, every stored hash must have been replaced.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from argon2 import Parameters
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY
from bench_db import fresh_database
from cryptography.fernet import Fernet
from fastapi import FastAPI
from intake_bench import HOST, CpuMeter, Server, _free_port, clean_up
from sqlalchemy import func, make_url, select, update

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid import migrate
from civicgrid.app import create_app, tune_gc_for_serving
from civicgrid.auth import passwords
from civicgrid.auth.actor import Actor
from civicgrid.auth.models import User
from civicgrid.auth.roles import Role
from civicgrid.auth.service.posts import create_user_with_post
from civicgrid.clock import SystemClock
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_session_factory

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DB = "civicgrid_bench_login"
PASSWORD = "Bench-Passw0rd!"  # noqa: S105 - the bench accounts' password
PARAMETER_SETS: dict[str, Parameters] = {
    "owasp": passwords.PARAMETERS,
    "rfc9106": RFC_9106_LOW_MEMORY,
}
_SERVED_ENV = "CIVICGRID_BENCH_ARGON2"


def app_from_env() -> FastAPI:
    """uvicorn factory: settings from the ``CIVICGRID_*`` environment, the password hasher
    set to the parameter set named in ``CIVICGRID_BENCH_ARGON2``."""
    passwords.use_parameters(PARAMETER_SETS[os.environ.get(_SERVED_ENV, "owasp")])
    app = create_app(Settings(), clock=SystemClock())
    tune_gc_for_serving()
    return app


def _accounts(engine: Any, n: int, stored: Parameters) -> list[str]:
    """``n`` resident accounts (through the use case, with argon2's cheapest parameters for
    speed), then every hash replaced by one made with ``stored``."""
    passwords.use_parameters(CHEAPEST)
    names = [f"bench_login_{i:03d}" for i in range(n)]
    now = SystemClock().now()
    with make_session_factory(engine)() as session:
        for name in names:
            create_user_with_post(
                session, username=name, display_name=name, password=PASSWORD,
                role=Role.RESIDENT, actor=Actor.system("login-bench"), now=now,
            )  # fmt: skip
            session.commit()
        passwords.use_parameters(stored)
        for name in names:
            session.execute(
                update(User)
                .where(User.username == name)
                .values(password_hash=passwords.hash_password(PASSWORD))
            )
        session.commit()
    return names


async def _burst(base: str, names: list[str]) -> tuple[float, list[float], list[str]]:
    """Every login at once, one connection each; (seconds, latencies in ms, failures)."""
    latencies: list[float] = []
    failures: list[str] = []
    limits = httpx.Limits(max_connections=len(names), max_keepalive_connections=len(names))
    async with httpx.AsyncClient(base_url=base, timeout=120.0, limits=limits) as client:

        async def one(name: str) -> None:
            t0 = time.perf_counter()
            r = await client.post(
                "/api/v1/auth/token", json={"username": name, "password": PASSWORD, "name": "b"}
            )
            latencies.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 201:
                failures.append(f"{name}: {r.status_code} {r.text[:120]}")

        t0 = time.perf_counter()
        await asyncio.gather(*(one(name) for name in names))
        return time.perf_counter() - t0, latencies, failures


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logins", type=int, default=42, help="accounts, all logging in at once")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--warmup", type=int, default=8, help="logins before the burst")
    parser.add_argument("--stored", choices=sorted(PARAMETER_SETS), default="owasp")
    parser.add_argument("--served", choices=sorted(PARAMETER_SETS), default="owasp")
    parser.add_argument("--database", default=BENCH_DB, help="scratch database (dropped first)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    base_url = os.environ.get("CIVICGRID_BENCH_DATABASE_URL", DEFAULT_URL)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; {args.logins} logins at once, {args.workers} uvicorn "
          f"worker(s); hashes stored with {args.stored}, served with {args.served}")  # fmt: skip
    url = fresh_database(base_url, args.database)
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    engine = make_engine(url)
    server: Any = None
    try:
        migrate.upgrade(engine)
        every = _accounts(engine, args.warmup + args.logins, PARAMETER_SETS[args.stored])
        warmup, names = every[: args.warmup], every[args.warmup :]
        with tempfile.TemporaryDirectory(prefix="civicgrid-login-bench-") as tmp:
            env = {
                "CIVICGRID_DATABASE_URL": url,
                "CIVICGRID_SECRET_KEY": Fernet.generate_key().decode("ascii"),
                "CIVICGRID_FIELD_KEY": Fernet.generate_key().decode("ascii"),
                "CIVICGRID_VAR_DIR": str(Path(tmp) / "var"),
                "CIVICGRID_RUN_JOBS_IN_PROCESS": "false",
                "CIVICGRID_THROTTLE_LOGIN_IP": "100000/minute",
                "CIVICGRID_THROTTLE_LOGIN_ACCOUNT": "100000/minute",
                _SERVED_ENV: args.served,
            }
            port = _free_port()
            server = Server(env, port, args.workers, factory="login_bench:app_from_env")
            server.wait_ready(timeout=180)
            base = f"http://{HOST}:{port}"
            # Warm-up logins of other accounts (each worker compiles its statements once).
            asyncio.run(_burst(base, warmup))
            meter = CpuMeter(server.child.pid, conninfo, args.database)
            meter.start()
            seconds, latencies, failures = asyncio.run(_burst(base, names))
            meter.stop()
            load = os.getloadavg()[0]
            server.stop()
            server = None
        n = len(latencies)
        print(f"{n} logins in {seconds:.2f} s = {n / seconds:.1f} logins/s; latency p50 "
              f"{statistics.median(latencies):.0f} ms, p95 {_p95(latencies):.0f} ms, max "
              f"{max(latencies):.0f} ms")  # fmt: skip
        pg = f"{meter.pg * 1000 / n:.1f} ms" if meter.pg is not None else "n/a"
        print(f"  CPU per login: app {meter.app * 1000 / n:.1f} ms ({meter.app:.2f} s, "
              f"{args.workers} worker(s)), PostgreSQL backends {pg}; load average (1 min) at "
              f"the end {load:.1f}")  # fmt: skip
        prefix = f"$argon2id$v=19$m={passwords.PARAMETERS.memory_cost},"
        with make_session_factory(engine)() as session:
            current = session.scalar(
                select(func.count())
                .select_from(User)
                .where(User.username.in_(names), User.password_hash.startswith(prefix))
            )
        print(f"  all answers 201: {not failures}; hashes with the served OWASP parameters: "
              f"{current} of {len(names)}")  # fmt: skip
        for failure in failures[:5]:
            print(f"  {failure}")
    finally:
        clean_up(server, engine, base_url, args.database, keep=args.keep)


if __name__ == "__main__":
    main()
