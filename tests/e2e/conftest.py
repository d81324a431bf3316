"""Browser tests: a real uvicorn server on a loopback port with its own migrated SQLite file,
driven by Playwright in Debian's Chromium. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine

from civicgrid import migrate
from civicgrid.app import create_app
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_session_factory
from tests.conftest import FROZEN_AT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Every wait in these tests is for a state (a URL, a visible element, a text), never for a fixed
# time. How long a state may take to arrive is a bound, not a pause: Playwright's default of
# 5 s for assertions is too short when the suite runs beside other work on two cores, so
# assertions, actions and navigations all get the same generous bound.
STATE_TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            if not os.path.exists(CHROMIUM):
                item.add_marker(pytest.mark.skip(reason="Debian chromium is not installed"))


@dataclass
class LiveServer:
    url: str
    engine: Engine
    settings: Settings
    clock: FrozenClock


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("live")
    settings = Settings(
        var_dir=root / "var",
        database_url=f"sqlite:///{root / 'live.db'}",
        secret_key="e2e-secret-key",
        field_key="b2u_3ZQZ8j0yJ6s9f0m7qX2yTqkzG7pB6w0b2uQZ9yQ=",
        run_jobs_in_process=False,
        # Every browser test logs in from 127.0.0.1: the per-address login limit that protects
        # a deployment would lock the suite out of its own live server after 20 logins.
        throttle_login_ip="100000/minute",
        throttle_login_account="100000/minute",
    )
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    clock = FrozenClock(FROZEN_AT)
    app = create_app(settings, session_factory=make_session_factory(engine), clock=clock)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # the server's own "started" state, checked while it boots
        if not thread.is_alive():
            raise RuntimeError("the live server stopped before it started")
        thread.join(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", engine, settings, clock)
    server.should_exit = True
    thread.join(10)
    engine.dispose()


class PatientBrowser:
    """The Chromium browser whose new contexts wait up to :data:`STATE_TIMEOUT_MS` for a state
    (actions and navigations); the rest of the Browser API passes through."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_context(self, **kwargs: Any) -> Any:
        context = self._browser.new_context(**kwargs)
        context.set_default_timeout(STATE_TIMEOUT_MS)
        context.set_default_navigation_timeout(STATE_TIMEOUT_MS)
        return context

    def new_page(self, **kwargs: Any) -> Any:
        return self.new_context(**kwargs).new_page()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STATE_TIMEOUT_MS)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield PatientBrowser(b)
        b.close()


def screenshot(page: object, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


# --- the demo city on the live server, and helpers for the flows -------------------------------


@dataclass(frozen=True)
class DemoCity:
    """What the flows need to know about the tiny demo city: the street of the demo street
    handler, a point inside one of its grids, and the demo password."""

    street_id: int
    street_name: str
    lon: float
    lat: float
    grid_lon: float
    grid_lat: float
    password: str


@pytest.fixture(scope="session")
def demo_city(live_server: LiveServer) -> DemoCity:
    """The tiny demo city built through the services on the live server's database."""
    import json

    from shapely.geometry import shape

    from civicgrid.auth import service as auth_service
    from civicgrid.demo.builder import DEMO_PASSWORD, build_demo_city
    from civicgrid.territory import queries as territory_queries

    build_demo_city(
        live_server.engine, seed=42, scale="tiny", clock=live_server.clock,
        field_key=live_server.settings.resolved_field_key(),
        media_dir=live_server.settings.media_dir, models_dir=live_server.settings.models_dir,
    )  # fmt: skip
    with make_session_factory(live_server.engine)() as session:
        street_user = auth_service.find_user_id(session, "street")
        leader_user = auth_service.find_user_id(session, "leader")
        assert street_user is not None
        assert leader_user is not None
        street_path = next(
            iter(auth_service.actor_for_user(session, street_user).scope.region_paths)
        )
        leader = auth_service.actor_for_user(session, leader_user)
        street_id = int(street_path.strip("/").split("/")[-1])
        street = territory_queries.regions_by_ids(session, [street_id])[street_id]
        grid = next(
            r
            for r in territory_queries.all_regions(session)
            if r.level == "grid" and r.boundary and r.path.startswith(street_path)
        )
        assert leader.scope.covers_path(grid.path), "the demo leader must see the flow's grid"
        point = shape(json.loads(grid.boundary or "{}")).representative_point()
        grid_user = auth_service.find_user_id(session, "grid")
        assert grid_user is not None
        worker_path = next(iter(auth_service.actor_for_user(session, grid_user).scope.region_paths))
        worker_grid_id = int(worker_path.strip("/").split("/")[-1])
        worker_grid = territory_queries.regions_by_ids(session, [worker_grid_id])[worker_grid_id]
        spot = shape(json.loads(worker_grid.boundary or "{}")).representative_point()
        return DemoCity(street.id, street.name, point.x, point.y, spot.x, spot.y, DEMO_PASSWORD)


def tiny_png(rgb: tuple[int, int, int] = (31, 95, 168), size: int = 24) -> bytes:
    """A small solid-colour PNG, so uploaded photos are real images in the screenshots."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def login_page(
    browser: Any, server: LiveServer, username: str, password: str, viewport: dict[str, int]
) -> Any:
    """A page of a fresh browser context of ``viewport`` size, logged in as ``username`` and on
    its workbench."""
    import re

    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return page
