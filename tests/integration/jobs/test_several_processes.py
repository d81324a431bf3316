"""Several processes, one PostgreSQL database (the production topology of docs/operations.md):
two ``civicgrid serve`` and two ``civicgrid worker`` processes. A web session made on one server
works on the other; login throttling counts across both servers; each job runs once per
interval although both workers tick; an outbox message is delivered once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, make_url, select, text
from tests.builders.auth import make_user

from civicgrid import migrate
from civicgrid.auth.roles import Role
from civicgrid.clock import SystemClock
from civicgrid.db import make_engine, make_session_factory
from civicgrid.jobs.models import JobRun
from civicgrid.jobs.registry import default_jobs
from civicgrid.notify.models import OutboxMessage

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PASSWORD = "Passw0rd!x"
# Upper bound for a state to be reached (the test waits for states, it does not time them):
# four processes importing the app at once on a loaded two-core machine take minutes.
WAIT_SECONDS = 300.0
# Per request: the first requests of a cold server on a loaded machine are slow.
HTTP = httpx.Timeout(120.0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(predicate: object, what: str) -> None:
    """Poll a state (not a duration): fail only when it is not reached within WAIT_SECONDS."""
    assert callable(predicate)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"not reached: {what}")


@pytest.fixture
def database() -> Iterator[tuple[str, Engine]]:
    base = make_url(
        os.environ.get(
            "CIVICGRID_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    )
    name = f"civicgrid_multi_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield url, engine
    engine.dispose()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def processes(database: tuple[str, Engine], tmp_path: Path) -> Iterator[list[str]]:
    """Two servers (their base URLs are returned) and two workers on one database."""
    url, engine = database
    with make_session_factory(engine)() as session:
        make_user(session, role=Role.OPERATOR, username="op1", now=SystemClock().now())
    env = {
        **os.environ,
        "CIVICGRID_DATABASE_URL": url,
        "CIVICGRID_VAR_DIR": str(tmp_path / "var"),
        "CIVICGRID_SECRET_KEY": "shared-secret-of-the-cluster",
        "CIVICGRID_FIELD_KEY": "b2u_3ZQZ8j0yJ6s9f0m7qX2yTqkzG7pB6w0b2uQZ9yQ=",
        "CIVICGRID_RUN_JOBS_IN_PROCESS": "false",
    }
    cli = [str(Path(sys.executable).parent / "civicgrid")]
    ports = [_free_port(), _free_port()]
    logs = tmp_path / "logs"
    logs.mkdir()
    commands = [[*cli, "serve", "--port", str(p)] for p in ports] + [[*cli, "worker"]] * 2
    started = []
    for i, command in enumerate(commands):
        with (logs / f"{i}.log").open("wb") as log:
            started.append(
                subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
            )
    bases = [f"http://127.0.0.1:{p}" for p in ports]

    def up() -> bool:
        try:
            return all(httpx.get(b + "/healthz").status_code == 200 for b in bases)
        except httpx.HTTPError:
            return False

    try:
        _wait_for(up, f"both servers answer /healthz (logs in {logs})")
        yield bases
    finally:
        for proc in started:
            proc.terminate()
        for proc in started:
            proc.wait(timeout=30)


def test_two_servers_and_two_workers_share_one_database(
    processes: list[str], database: tuple[str, Engine]
) -> None:
    a, b = processes
    _url, engine = database

    # A web session made on server A works on server B.
    with httpx.Client(base_url=a, timeout=HTTP) as on_a:
        r = on_a.post(
            "/login",
            data={"username": "op1", "password": PASSWORD},
            headers={"Origin": a},
        )
        assert r.status_code == 303, r.text
        cookie = on_a.cookies.get("civicgrid_session")
    assert cookie
    me = httpx.get(b + "/api/v1/auth/me", cookies={"civicgrid_session": cookie}, timeout=HTTP)
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "op1"

    # An appeal taken on server B with a token from server A puts a message in the outbox.
    token = httpx.post(
        a + "/api/v1/auth/token", json={"username": "op1", "password": PASSWORD}, timeout=HTTP
    ).json()["token"]
    created = httpx.post(
        b + "/api/v1/appeals",
        json={
            "channel": "hotline",
            "appeal_type": "complaint",
            "title": "路灯不亮",
            "content": "幸福路路灯不亮三天了。",
            "caller_name": "王五",
            "caller_phone": "13800002222",
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=HTTP,
    )
    assert created.status_code == 201, created.text

    # Login throttling counts across both servers: 10 attempts a minute per account name.
    codes = [
        httpx.post(
            (a, b)[i % 2] + "/api/v1/auth/token",
            json={"username": "ghost", "password": "x"},
            timeout=HTTP,
        ).status_code
        for i in range(11)
    ]
    assert codes == [401] * 10 + [429]

    # Each job runs once per interval although two workers tick every few seconds, and the
    # outbox message is delivered exactly once.
    factory = make_session_factory(engine)
    names = {job.name for job in default_jobs()}

    def every_job_ran_and_the_message_left() -> bool:
        with factory() as s:
            ran = set(s.scalars(select(JobRun.name)))
            pending = s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "pending")
            )
        return ran == names and pending == 0

    _wait_for(every_job_ran_and_the_message_left, "every job ran and the outbox is empty")
    intervals = {job.name: job.interval for job in default_jobs()}
    with factory() as s:
        for row in s.scalars(select(JobRun)):
            span = row.last_started_at - row.first_started_at
            allowed = 1 + span // intervals[row.name]
            assert row.runs <= allowed, (row.name, row.runs, span)
            assert row.runs == 1 or span >= intervals[row.name] - timedelta(seconds=1)
        attempts = list(s.scalars(select(OutboxMessage.attempts)))
    # The appeal's notice to the centre was handed over once; no message was tried twice (the
    # outbound event rows are fanned out by their own job and count no attempts).
    assert 1 in attempts
    assert all(n <= 1 for n in attempts), attempts
