"""axe-core on every main page of every role (WCAG 2.1 A/AA): no critical or serious
violation. Grid workers and residents are checked at phone size, everyone else at desktop
size; every page visited is written to test-artifacts/."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.accessibility import assert_accessible, axe_violations
from tests.e2e.conftest import DemoCity, LiveServer, screenshot

Browser = Any

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

MAIN_PAGES: dict[str, tuple[str, ...]] = {
    "operator": ("/", "/appeals/new", "/appeals/inbox"),
    "dispatcher": ("/", "/dispatch/queue", "/appeals/inbox"),
    "street": (
        "/",
        "/appeals/inbox",
        "/register",
        "/register/residents/new",
        "/register/houses/new",
        "/community-map",
        "/notices/preference",
    ),
    "dept": ("/", "/appeals/inbox"),
    "utility": ("/", "/appeals/inbox"),
    "grid": ("/", "/grid/tasks", "/grid/report", "/register", "/community-map"),
    "supervisor": ("/", "/appeals/supervision", "/appeals/inbox"),
    "leader": ("/", "/dashboard", "/community-map"),
    "resident": ("/", "/portal", "/portal/report", "/participation/consultations"),
    "admin": ("/", "/admin"),
}


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def test_login_page_is_accessible(browser: Browser, live_server: LiveServer) -> None:
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = browser.new_page(viewport=viewport, locale="zh-CN")
        page.goto(f"{live_server.url}/login")
        screenshot(page, f"a11y-login-{name}")
        assert_accessible(page)
        page.context.close()


@pytest.mark.parametrize("username", list(MAIN_PAGES))
def test_main_pages_of_every_role_are_accessible(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity, username: str
) -> None:
    mobile = username in ("grid", "resident")
    context = browser.new_context(viewport=PHONE if mobile else DESKTOP, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("#username", username)
    page.fill("#password", demo_city.password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    failures: list[str] = []
    for path in MAIN_PAGES[username]:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None, f"{username} {path}"
        assert response.status == 200, f"{username} {path}: HTTP {response.status}"
        page.wait_for_load_state("load")
        screenshot(page, f"a11y-{username}-{_slug(path)}")
        blocking = [v for v in axe_violations(page) if v.impact in ("critical", "serious")]
        failures.extend(f"{path}: {v}" for v in blocking)
    context.close()
    assert not failures, "\n".join(failures)
