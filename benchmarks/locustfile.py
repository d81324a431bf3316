"""Load test of a district at work (locust): staff working their inboxes, a few leaders, residents
tracking their appeals. Run through ``benchmarks/load_bench.py`` (which builds the database,
starts the servers and the worker, runs locust headless and prints the table); it can also be
run by hand against running servers:

    CIVICGRID_LOAD_HOSTS=http://127.0.0.1:8000,http://127.0.0.1:8001 \\
    CIVICGRID_LOAD_TRACKING=tracking.json \\
    .venv/bin/locust -f benchmarks/locustfile.py --headless -u 50 -r 10 -t 180s \\
        --host http://127.0.0.1:8000

Every simulated user logs in once (the web session cookie, or a bearer token for the API
client) and then works. Each user is bound to one of the servers of ``CIVICGRID_LOAD_HOSTS``
in turn, as a balancer with sticky connections would spread them. Appeal ids come from the
pages the user has just seen (inbox rows, grid tasks, the portal list), never from constants;
the tracking numbers with their phone tails come from the file ``CIVICGRID_LOAD_TRACKING``
that load_bench.py writes from a query at start. Requests are named by endpoint kind
(``name=``), so the results have one row per kind, not per id.

Actions (writes) are chosen so that three minutes do not use the data up: the street handler
signs a dispatched order (签收) or contacts the caller of a signed one (联系诉求人) and only when
its queues offer one; the dispatcher reminds (催办) an overdue order, an overlay that leaves the
order's state as it is.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import threading
from typing import Any, ClassVar

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

PASSWORD = os.environ.get("CIVICGRID_LOAD_PASSWORD", "Civic@2026")
HOSTS = [h for h in os.environ.get("CIVICGRID_LOAD_HOSTS", "").split(",") if h]
_host_turn = itertools.count()
_host_lock = threading.Lock()

APPEAL_LINK = re.compile(r'href="/appeals/(\d+)"')
PORTAL_LINK = re.compile(r'href="/portal/appeals/(\d+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="expected_version" value="(\d+)"')
MAP_BOUNDARIES = re.compile(r'"boundaries": ?"(/community-map/[^"]+)"')
# A part's link in the map's table (one level down); the breadcrumb's links go up.
MAP_PART_LINK = re.compile(r'<td><a href="(/community-map\?region=[^"]+)"')
GRIDS_LINK = re.compile(r'"grids": ?"(/dashboard/grids\.json[^"]*)"')
# Names typed into the register search (common surnames), not ids.
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴")


def _tracking() -> list[tuple[str, str]]:
    path = os.environ.get("CIVICGRID_LOAD_TRACKING", "")
    if not path:
        return []
    with open(path, encoding="utf-8") as fh:
        rows = json.load(fh)
    return [(str(r["number"]), str(r["phone_tail"])) for r in rows]


TRACKING = _tracking()


def _next_host() -> str | None:
    if not HOSTS:
        return None
    with _host_lock:
        return HOSTS[next(_host_turn) % len(HOSTS)]


def _ids(pattern: re.Pattern[str], text: str | None) -> list[int]:
    return [int(x) for x in pattern.findall(text or "")]


class Bound(FastHttpUser):
    """A simulated user bound to one of the servers in turn, as a balancer with sticky
    connections would spread them."""

    abstract = True
    wait_time = between(1, 3)

    def __init__(self, environment: Any) -> None:
        host = _next_host()
        if host:
            self.host = host
        super().__init__(environment)


class District(Bound):
    """A staff member or resident who logs in once and goes back to the workbench now and then;
    subclasses say who it is and what else they do."""

    abstract = True
    username: ClassVar[str] = ""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.csrf = ""
        self.seen: list[int] = []
        self.etags: dict[str, str] = {}

    def on_start(self) -> None:
        self.client.get("/login", name="GET /login")
        with self.client.post(
            "/login",
            data={"username": self.username, "password": PASSWORD, "next": "/"},
            headers={"Origin": self.host or ""},
            name="POST /login",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code != 303:
                r.failure(f"login {self.username}: {r.status_code}")
                return
            r.success()
        self.workbench()

    # --- shared steps -------------------------------------------------------------------------

    def _page(self, path: str, name: str) -> str:
        r = self.client.get(path, name=name)
        text = r.text or ""
        token = CSRF.search(text)
        if token:
            self.csrf = token.group(1)
        return text

    def workbench(self) -> None:
        self._page("/", "GET / (workbench)")

    @task(1)
    def home(self) -> None:
        """Every role goes back to its workbench now and then (weight 1 beside its own tasks)."""
        self.workbench()

    def inbox(self, query: str, name: str) -> list[int]:
        ids = _ids(APPEAL_LINK, self._page(f"/appeals/inbox?{query}", f"GET /appeals/inbox?{name}"))
        if ids:
            self.seen = ids
        return ids

    def detail(self, appeal_id: int) -> str:
        return self._page(f"/appeals/{appeal_id}", "GET /appeals/{id}")

    def open_one(self) -> None:
        if self.seen:
            self.detail(random.choice(self.seen))

    def act(self, appeal_id: int, action: str, page: str, data: dict[str, str]) -> None:
        """Post the action's form as the page offers it (CSRF token and version from the page);
        nothing when the page does not offer it any more (someone else took the step)."""
        form = re.search(rf'id="form-{action}".*?</form>', page, re.S)
        if form is None:
            return
        version = VERSION.search(form.group(0))
        token = CSRF.search(form.group(0))
        if version is None or token is None:
            return
        with self.client.post(
            f"/appeals/{appeal_id}/actions/{action}",
            data={"csrf_token": token.group(1), "expected_version": version.group(1), **data},
            headers={"Origin": self.host or ""},
            name=f"POST /appeals/{{id}}/actions/{action}",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            # 303 + flash: done. 409: another user took a step on the same order first.
            if r.status_code in (303, 409):
                r.success()
            else:
                r.failure(f"{action}: {r.status_code}")

    def revalidated(self, path: str, name: str) -> None:
        """GET what a browser keeps and revalidates with its ETag (200 or 304)."""
        etag = self.etags.get(path, "")
        headers = {"If-None-Match": etag} if etag else {}
        with self.client.get(path, headers=headers, name=name, catch_response=True) as r:
            if r.status_code in (200, 304):
                self.etags[path] = r.headers.get("ETag", etag)
                r.success()
            else:
                r.failure(f"{name}: {r.status_code}")

    def open_community_map(self) -> None:
        """民情图: the top of the user's scope, then one part of it a level down (a link in
        its table, as a tap on the map); each view's boundaries kept and revalidated by the
        browser (max-age 300, ETag)."""
        page = self._map_view("/community-map")
        parts = MAP_PART_LINK.findall(page)
        if parts:
            self._map_view(html.unescape(random.choice(parts)))

    def _map_view(self, path: str) -> str:
        page = self._page(path, "GET /community-map" + ("?region=" if "region=" in path else ""))
        boundaries = MAP_BOUNDARIES.search(page)
        if boundaries:
            self.revalidated(boundaries.group(1), "GET /community-map/parts.geojson")
        return page

    def register_search(self) -> None:
        self._page(f"/register?name={random.choice(SURNAMES)}", "GET /register?name=")


class Dispatcher(District):
    """派单员: the manual dispatch queue, the inbox with its filters, reminders (催办) on overdue
    orders."""

    weight = 10
    username = "dispatcher"

    @task(3)
    def inbox_open(self) -> None:
        self.inbox("status=open", "status=open")
        self.open_one()

    @task(2)
    def inbox_red(self) -> None:
        self.inbox("warning=red", "warning=red")
        self.open_one()

    @task(2)
    def inbox_overdue_remind(self) -> None:
        ids = self.inbox("status=open&overdue=1", "overdue=1")
        if ids:
            appeal_id = random.choice(ids)
            page = self.detail(appeal_id)
            self.act(appeal_id, "remind", page, {"text": "请抓紧办理，今日内反馈进展。"})

    @task(1)
    def inbox_page_two(self) -> None:
        self.inbox("status=all&offset=50", "status=all&offset=")

    @task(1)
    def manual_queue(self) -> None:
        self._page("/dispatch/queue", "GET /dispatch/queue")


class StreetHandler(District):
    """街道承办人: the unit's queues, signing dispatched orders and contacting callers."""

    weight = 16
    username = "street"

    @task(3)
    def mine(self) -> None:
        self.inbox("queue=mine", "queue=mine")
        self.open_one()

    @task(2)
    def sign_one(self) -> None:
        ids = self.inbox("queue=to_sign", "queue=to_sign")
        if ids:
            appeal_id = random.choice(ids[:10])
            self.act(appeal_id, "sign", self.detail(appeal_id), {})

    @task(1)
    def contact_one(self) -> None:
        ids = self.inbox("queue=handling", "queue=handling")
        if ids:
            appeal_id = random.choice(ids[:10])
            page = self.detail(appeal_id)
            self.act(appeal_id, "contact", page, {"note": "已电话联系诉求人，约定明日上门查看。"})

    @task(1)
    def due_soon(self) -> None:
        self.inbox("queue=due_soon", "queue=due_soon")
        self.open_one()

    @task(1)
    def register(self) -> None:
        self.register_search()


class GridWorker(District):
    """网格员: the grid's tasks, the register and the community map."""

    weight = 10
    username = "grid"

    @task(3)
    def grid_tasks(self) -> None:
        ids = _ids(APPEAL_LINK, self._page("/grid/tasks", "GET /grid/tasks"))
        if ids:
            self.seen = ids
            self.open_one()

    @task(2)
    def register(self) -> None:
        self.register_search()

    @task(1)
    def community_map(self) -> None:
        self.open_community_map()


class Leader(District):
    """区领导: the dashboard, the community map, the red orders."""

    weight = 4
    username = "leader"

    @task(3)
    def dashboard(self) -> None:
        page = self._page("/dashboard", "GET /dashboard")
        # The page's map fetches its per-grid figures when it comes into view (a browser
        # revalidates them with the ETag).
        grids = GRIDS_LINK.search(page)
        if grids:
            self.revalidated(grids.group(1), "GET /dashboard/grids.json")

    @task(2)
    def community_map(self) -> None:
        self.open_community_map()

    @task(2)
    def red(self) -> None:
        self.inbox("queue=red", "queue=red")
        self.open_one()


class Resident(District):
    """居民 with an account: their own appeals and one of them."""

    weight = 4
    username = "resident"

    @task(2)
    def mine(self) -> None:
        ids = _ids(PORTAL_LINK, self._page("/portal", "GET /portal"))
        if ids:
            self._page(f"/portal/appeals/{random.choice(ids)}", "GET /portal/appeals/{id}")


class Caller(Bound):
    """A caller without an account: 查询进度 by the order number and the phone's last four
    digits they were given on the phone."""

    weight = 6

    @task
    def track(self) -> None:
        self.client.get("/portal/track", name="GET /portal/track")
        if not TRACKING:
            return
        number, tail = random.choice(TRACKING)
        with self.client.post(
            "/portal/track",
            data={"number": number, "phone_tail": tail},
            headers={"Origin": self.host or ""},
            name="POST /portal/track",
            catch_response=True,
        ) as r:
            # The number and tail come from the database: the steps must be shown.
            if r.status_code == 200 and f"<dd>{number}</dd>" in (r.text or ""):
                r.success()
            else:
                r.failure(f"track: {r.status_code}")


class ApiClient(Bound):
    """督办 through the JSON API (a supervisor's tool): a bearer token once, then the overdue
    orders of the district and one of them with its timeline."""

    weight = 2

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.auth: dict[str, str] = {}

    def on_start(self) -> None:
        r = self.client.post(
            "/api/v1/auth/token",
            json={"username": "supervisor", "password": PASSWORD},
            name="POST /api/v1/auth/token",
        )
        if r.status_code == 200:
            self.auth = {"Authorization": f"Bearer {r.json()['token']}"}

    @task
    def overdue(self) -> None:
        if not self.auth:
            return
        r = self.client.get(
            "/api/v1/appeals?overdue=true&limit=50",
            headers=self.auth,
            name="GET /api/v1/appeals?overdue=true",
        )
        items = r.json().get("items", []) if r.status_code == 200 else []
        if items:
            appeal_id = random.choice(items)["id"]
            self.client.get(
                f"/api/v1/appeals/{appeal_id}", headers=self.auth, name="GET /api/v1/appeals/{id}"
            )
