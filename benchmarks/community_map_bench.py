"""Timings of the community map (民情图) per role and level on a database of the demo accounts
(the city-scale dataset of ``scale_dataset.py`` by default).

Run::

    .venv/bin/python benchmarks/community_map_bench.py \\
        --url postgresql+psycopg://postgres@127.0.0.1:5432/civicgrid_scale --repeat 5

Serves the app in this process (the ASGI test client, periodic jobs off; the figure and register
caches start empty) and, for the leader, the grid worker, a street handler and the admin, requests
the map at the top of their scope and then one level down each time (the first link of the
table) down to the grids, ``--repeat`` times each, and the boundaries of each view's parts.
Printed per page: the first time (empty caches for the first page of the run), the median and
the best of the rest (ms), the body size, the number of SQL statements of the last request and
their time. Wall-clock under whatever load the machine has: the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from collections.abc import Sequence

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, make_url

from civicgrid.app import create_app
from civicgrid.config import get_settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.accounts import DEMO_PASSWORD

ROLES = ("leader", "grid", "street", "admin")
LINK = re.compile(r'<a href="(/community-map\?region=\d+&amp;measure=\w+)">')


def _count_statements(engine: Engine) -> list[tuple[float, str]]:
    seen: list[tuple[float, str]] = []
    started: dict[int, float] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(_conn: object, cursor: object, *_args: object) -> None:
        started[id(cursor)] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(_conn: object, cursor: object, statement: str, *_args: object) -> None:
        t0 = started.pop(id(cursor), None)
        if t0 is not None:
            seen.append((time.perf_counter() - t0, statement))

    return seen


def _time(client: TestClient, path: str, repeat: int, seen: list[tuple[float, str]]) -> tuple[
    list[float], int, str, int, float
]:  # fmt: skip
    times: list[float] = []
    status, body = 0, ""
    for _ in range(repeat):
        seen.clear()
        t0 = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        status, body = response.status_code, response.text
    return times, status, body, len(seen), sum(t for t, _ in seen) * 1000


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/civicgrid_scale"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--sql", type=int, default=0, help="the N slowest statements of a page")
    args = parser.parse_args(argv)
    url = make_url(args.url).render_as_string(hide_password=False)
    print(f"load average {os.getloadavg()}; database {make_url(url).database}")
    engine = make_engine(url)
    seen = _count_statements(engine)
    settings = get_settings().model_copy(update={"database_url": url, "run_jobs_in_process": False})
    app = create_app(settings, session_factory=make_session_factory(engine))
    print(f"{'role':<8} {'page':<56} {'st':>4} {'first':>7} {'median':>7} {'best':>6} "
          f"{'KiB':>6} {'SQL n':>5} {'SQL ms':>7}")  # fmt: skip
    for role in args.roles.split(","):
        client = TestClient(app)
        login = client.post(
            "/login",
            data={"username": role, "password": DEMO_PASSWORD, "next": "/"},
            follow_redirects=False,
        )
        if login.status_code != 303:
            print(f"{role}: login failed ({login.status_code})")
            continue
        path: str | None = "/community-map"
        while path is not None:
            times, status, body, n, sql_ms = _time(client, path, args.repeat, seen)
            rest = times[1:] or times
            kib = len(body.encode()) / 1024
            print(f"{role:<8} {path:<56} {status:>4} {times[0]:>7.0f} "
                  f"{statistics.median(rest):>7.0f} {min(rest):>6.0f} "
                  f"{kib:>6.1f} {n:>5} {sql_ms:>7.0f}", flush=True)  # fmt: skip
            for seconds, statement in sorted(seen, key=lambda x: -x[0])[: args.sql]:
                print(f"{'':>10}{seconds * 1000:6.0f} ms  {' '.join(statement.split())[:300]}")
            parts = re.search(r'"boundaries": "([^"]+)"', body)
            if parts:
                b_times, b_status, b_body, b_n, b_ms = _time(client, parts.group(1), 2, seen)
                print(f"{role:<8} {'  ' + parts.group(1):<56} {b_status:>4} {b_times[0]:>7.0f} "
                      f"{'':>7} {min(b_times):>6.0f} {len(b_body.encode()) / 1024:>6.1f} "
                      f"{b_n:>5} {b_ms:>7.0f}", flush=True)  # fmt: skip
            table = body[body.find('id="grid-table"') :]
            link = LINK.search(table) if 'id="grid-table"' in body else None
            path = link.group(1).replace("&amp;", "&") if link else None
        client.close()
    print(f"load average {os.getloadavg()}")
    engine.dispose()


if __name__ == "__main__":
    main()
