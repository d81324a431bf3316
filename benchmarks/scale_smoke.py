"""Smoke test and page timings of the app on the city-scale dataset (``scale_dataset.py``).

Run::

    .venv/bin/python benchmarks/scale_smoke.py \\
        --url postgresql+psycopg://postgres@127.0.0.1:5432/civicgrid_scale

Starts ``civicgrid serve`` on a free port against ``--url`` (periodic jobs off, so nothing
changes the data while it is measured; the field key is the configured one, as for the build),
logs in as the dispatcher, a street handler, a department handler, the leader, the supervisor,
the grid worker and the admin of the demo accounts, and requests each role's pages: the
workbench, the appeal list with filters and searches, an open and a closed appeal with their
timelines, the dispatch queue, the dashboard, the community map and register searches. Every
page is requested ``--repeat`` times; printed per page: HTTP status, the first and the best time
(ms), the body size and whether the text that shows the page has content was found. Exits
non-zero when a page does not answer 200 or lacks its text. Timings are wall-clock under whatever
load the machine has: note ``uptime``.

``--sql N`` serves the app in this process instead (the same pages through the ASGI client) and
prints, per page, its number of SQL statements, their total time and the ``N`` slowest with
their parameters — the statements to ``EXPLAIN ANALYZE`` when a page is slow.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, make_url, text

from civicgrid.app import create_app
from civicgrid.config import get_settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.accounts import DEMO_PASSWORD

CLI = str(Path(sys.executable).parent / "civicgrid")
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Page:
    role: str
    label: str
    path: str
    expect: str
    """Text the page shows when it has content (a regular expression)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def served(url: str, log: Path) -> Iterator[str]:
    """``civicgrid serve`` on a free port against ``url``; answers the base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "CIVICGRID_DATABASE_URL": url,
        "CIVICGRID_RUN_JOBS_IN_PROCESS": "false",
        "CIVICGRID_THROTTLE_LOGIN_IP": "100000/minute",
        "CIVICGRID_THROTTLE_LOGIN_ACCOUNT": "100000/minute",
    }
    with log.open("wb") as out:
        child = subprocess.Popen(
            [CLI, "serve", "--host", HOST, "--port", str(port)], env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if child.poll() is not None:
                raise SystemExit(f"the server exited with {child.returncode}; see {log}")
            try:
                if httpx.get(base + "/login", timeout=5.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the server did not answer within 300 s; see {log}")
            time.sleep(0.5)
        yield base
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def samples(url: str) -> dict[str, str]:
    """Ids and search terms taken from the data: an open and a closed appeal of the street
    handler's street, a resident's name prefix, an address fragment."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            street = conn.execute(
                text(
                    "SELECT r.id FROM user_account u JOIN post p ON p.user_id = u.id "
                    "JOIN region r ON r.id = p.region_id WHERE u.username = 'street'"
                )
            ).scalar_one()
            held = (
                "SELECT a.id FROM appeal a JOIN appeal_unit u ON u.appeal_id = a.id "
                "AND u.released_at IS NULL AND u.role = 'lead' AND u.unit_kind = 'region' "
                "AND u.unit_id = :street WHERE a.status {} ORDER BY a.id DESC LIMIT 1"
            )
            open_id = conn.execute(
                text(held.format("NOT IN ('closed', 'terminated', 'merged')")),
                {"street": street},
            ).scalar()
            closed_id = conn.execute(text(held.format("= 'closed'")), {"street": street}).scalar()
            any_open = conn.execute(
                text("SELECT id FROM appeal WHERE status = 'in_progress' ORDER BY id DESC LIMIT 1")
            ).scalar_one()
            name = conn.execute(
                text("SELECT name FROM register_resident ORDER BY id LIMIT 1 OFFSET 500000")
            ).scalar()
            address = conn.execute(
                text("SELECT name FROM register_address ORDER BY id LIMIT 1 OFFSET 20000")
            ).scalar()
    finally:
        engine.dispose()
    road = re.match(r"\D+", str(address or "幸福路")) if address else None
    return {
        "open": str(open_id or any_open),
        "closed": str(closed_id or any_open),
        "any_open": str(any_open),
        "name": str(name or "王")[:2],
        "road": road.group(0) if road else "路",
    }


def pages(s: dict[str, str]) -> list[Page]:
    timeline = r'class="timeline"'
    rows = r'href="/appeals/\d+"'  # at least one appeal listed
    people = r"共\s*[1-9]|超过\s*\d"  # a register result count above zero (or capped)
    return [
        Page("dispatcher", "workbench", "/", "工作台|待"),
        Page("dispatcher", "inbox (open)", "/appeals/inbox", rows),
        Page("dispatcher", "inbox status=closed", "/appeals/inbox?status=closed", rows),
        Page("dispatcher", "inbox overdue", "/appeals/inbox?overdue=1", rows),
        Page("dispatcher", "inbox warning=red", "/appeals/inbox?warning=red", rows),
        Page("dispatcher", "inbox page 50", "/appeals/inbox?status=closed&offset=2500", rows),
        Page("dispatcher", "inbox queue=callbacks", "/appeals/inbox?queue=callbacks", rows),
        Page("dispatcher", "dispatch queue", "/dispatch/queue", "派单"),
        Page("dispatcher", "detail (open)", f"/appeals/{s['any_open']}", timeline),
        Page("dispatcher", "detail (closed)", f"/appeals/{s['closed']}", timeline),
        Page("street", "workbench", "/", "工作台|待"),
        Page("street", "inbox (mine)", "/appeals/inbox", "工单"),
        Page("street", "inbox queue=to_sign", "/appeals/inbox?queue=to_sign", "工单"),
        Page("street", "detail (open, own)", f"/appeals/{s['open']}", timeline),
        Page("street", "inbox status=closed", "/appeals/inbox?status=closed", rows),
        Page("street", "inbox all q=噪音 (2 chars)", "/appeals/inbox?status=all&q=噪音", "工单"),
        Page("dept", "workbench", "/", "工作台|待"),
        Page("dept", "inbox (mine)", "/appeals/inbox", "工单"),
        Page("leader", "workbench", "/", "工作台|待|领导"),
        Page("leader", "dashboard", "/dashboard", "满意率|解决率|响应率"),
        Page("leader", "community map", "/community-map", "社区|网格"),
        Page("leader", "inbox", "/appeals/inbox", rows),
        Page("supervisor", "supervision", "/appeals/supervision", "督办"),
        Page("supervisor", "inbox queue=red", "/appeals/inbox?queue=red", "工单"),
        Page("grid", "grid tasks", "/grid/tasks", "核查|网格"),
        Page("admin", "dashboard", "/dashboard", "满意率|解决率|响应率"),
        Page("admin", "community map", "/community-map", "社区|网格"),
        Page("admin", "register: name prefix", f"/register?name={s['name']}", people),
        Page("admin", "register: tag", "/register?tag=独居老人", people),
        Page("admin", "register: address", f"/register?address={s['road']}", people),
        Page("admin", "inbox search q=", "/appeals/inbox?q=噪音", "工单"),
    ]


def login(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=300.0)
    return _logged_in(client, username)


def _logged_in(client: httpx.Client, username: str) -> httpx.Client:
    response = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "next": "/"},
        follow_redirects=False,
    )
    if response.status_code != 303:
        raise SystemExit(f"login as {username} failed: {response.status_code}")
    return client


def run(base: str, todo: Sequence[Page], repeat: int) -> bool:
    clients: dict[str, httpx.Client] = {}
    ok = True
    print(f"{'role':<11} {'page':<24} {'status':>6} {'first ms':>9} {'best ms':>8} "
          f"{'KiB':>6}  content  path")  # fmt: skip
    for page in todo:
        client = clients.get(page.role) or login(base, page.role)
        clients[page.role] = client
        times, status, body = [], 0, ""
        for _ in range(repeat):
            t0 = time.perf_counter()
            response = client.get(page.path)
            times.append((time.perf_counter() - t0) * 1000)
            status, body = response.status_code, response.text
        found = re.search(page.expect, body) is not None
        ok = ok and status == 200 and found
        print(f"{page.role:<11} {page.label:<24} {status:>6} {times[0]:>9.0f} {min(times):>8.0f} "
              f"{len(body.encode()) / 1024:>6.0f}  {'yes' if found else 'NO':<7}  {page.path}",
              flush=True)  # fmt: skip
    for client in clients.values():
        client.close()
    return ok


@dataclass
class Statements:
    """SQL statements seen since the last :meth:`take`, with their seconds."""

    seen: list[tuple[float, str, object]]

    def take(self) -> list[tuple[float, str, object]]:
        out, self.seen = self.seen, []
        return out


def _record(engine: Engine) -> Statements:
    recorded = Statements([])
    started: dict[int, float] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(_conn: object, cursor: object, *_args: object) -> None:
        started[id(cursor)] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(
        _conn: object, cursor: object, statement: str, parameters: object, *_args: object
    ) -> None:
        t0 = started.pop(id(cursor), None)
        if t0 is not None:
            recorded.seen.append((time.perf_counter() - t0, statement, parameters))

    return recorded


def run_sql(url: str, todo: Sequence[Page], top: int) -> None:
    """The pages in this process, with each page's slowest statements."""
    engine = make_engine(url)
    recorded = _record(engine)
    settings = get_settings().model_copy(update={"database_url": url, "run_jobs_in_process": False})
    app = create_app(settings, session_factory=make_session_factory(engine))
    clients: dict[str, TestClient] = {}
    with TestClient(app) as anonymous:
        anonymous.get("/login")
        for page in todo:
            client = clients.get(page.role)
            if client is None:
                client = TestClient(app)
                _logged_in(client, page.role)
                clients[page.role] = client
            recorded.take()
            t0 = time.perf_counter()
            status = client.get(page.path).status_code
            ms = (time.perf_counter() - t0) * 1000
            seen = recorded.take()
            total = sum(s for s, _, _ in seen) * 1000
            print(f"\n== {page.role} {page.label}: {status}, {ms:.0f} ms, {len(seen)} statements "
                  f"{total:.0f} ms  {page.path}")  # fmt: skip
            for seconds, statement, parameters in sorted(seen, key=lambda x: -x[0])[:top]:
                flat = " ".join(statement.split())
                print(
                    f"  {seconds * 1000:8.0f} ms  {flat[:1500]}\n{'':14}params {parameters!r:.400}"
                )
    engine.dispose()


def detail_load(url: str, base: str, seconds: float, per_role: int = 5) -> None:
    """``per_role`` clients each as the dispatcher and the street handler open the detail of
    random appeals of the street for ``seconds``, 0.2–0.6 s between requests (read only);
    prints the number of requests and p50 / p95 / max in ms per role."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            street = conn.scalar(
                text(
                    "SELECT r.path FROM region r JOIN post p ON p.region_id = r.id "
                    "JOIN user_account u ON u.id = p.user_id WHERE u.username = 'street'"
                )
            )
            ids = list(
                conn.scalars(
                    text(
                        "SELECT id FROM appeal WHERE region_path LIKE :path "
                        "ORDER BY random() LIMIT 400"
                    ),
                    {"path": f"{street}%"},
                )
            )
    finally:
        engine.dispose()
    times: dict[str, list[float]] = {"dispatcher": [], "street": []}
    stop = time.monotonic() + seconds

    def work(role: str, client: httpx.Client, rng: random.Random) -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            response = client.get(f"/appeals/{rng.choice(ids)}")
            if response.status_code != 200:
                raise SystemExit(f"detail answered {response.status_code} to {role}")
            times[role].append((time.perf_counter() - started) * 1000)
            time.sleep(rng.uniform(0.2, 0.6))

    workers = [
        threading.Thread(target=work, args=(role, login(base, role), random.Random(i)))
        for role in times
        for i in range(per_role)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for role, found in times.items():
        found.sort()
        print(
            f"detail under load, {role}: {len(found)} requests, p50 {found[len(found) // 2]:.0f}"
            f" ms, p95 {found[int(len(found) * 0.95)]:.0f} ms, max {found[-1]:.0f} ms"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/civicgrid_scale"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="only pages whose label contains this")
    parser.add_argument("--sql", type=int, default=0, help="in-process, N slowest statements")
    parser.add_argument(
        "--detail-load",
        type=float,
        default=0,
        help="instead of the pages: seconds of 10 concurrent clients opening appeal details",
    )
    args = parser.parse_args(argv)
    url = make_url(args.url).render_as_string(hide_password=False)
    print(f"load average {os.getloadavg()[0]:.1f}; database {make_url(url).database}")
    found = samples(url)
    todo = [p for p in pages(found) if args.only in p.label]
    if args.sql:
        run_sql(url, todo, args.sql)
        return
    with tempfile.TemporaryDirectory() as tmp, served(url, Path(tmp) / "serve.log") as base:
        if args.detail_load:
            detail_load(url, base, args.detail_load)
            ok = True
        else:
            ok = run(base, todo, args.repeat)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    if not ok:
        raise SystemExit("some pages failed or showed no content")


if __name__ == "__main__":
    main()
