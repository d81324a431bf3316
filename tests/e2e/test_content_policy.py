"""The pages work under the Content-Security-Policy: no script is refused and no script fails
on the pages that use htmx, ECharts and Leaflet, at desktop and phone size."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import DemoCity, LiveServer

Browser = Any

# (role, path, a selector that appears only once the page's scripts have run)
PAGES = [
    ("leader", "/dashboard", "canvas"),
    ("leader", "/community-map", ".leaflet-container path.leaflet-interactive"),
    ("operator", "/appeals/new", "form"),
    ("grid", "/community-map", ".leaflet-container path.leaflet-interactive"),
    ("grid", "/grid/tasks", "main"),
    ("dispatcher", "/dispatch/queue", "main"),
    ("resident", "/portal/report", "form"),
]


def _console(problems: list[str], url: str, message: Any) -> None:
    """Keep script errors and policy refusals ("Refused to execute …"); a missing favicon's
    "Failed to load resource" is a network answer, not a script problem."""
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(f"{url}: {message.text}")


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["desktop", "phone"])
def test_pages_run_their_scripts_under_the_content_security_policy(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity, viewport: tuple[int, int]
) -> None:
    problems: list[str] = []
    for role in dict.fromkeys(role for role, _, _ in PAGES):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        page = context.new_page()
        page.on("console", lambda m, page=page: _console(problems, page.url, m))
        page.on("pageerror", lambda e, page=page: problems.append(f"{page.url}: {e}"))
        page.goto(f"{live_server.url}/login")
        page.fill("#username", role)
        page.fill("#password", demo_city.password)
        page.click("form.stacked button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        for _, path, ready in (p for p in PAGES if p[0] == role):
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_selector(ready, state="attached")
            page.wait_for_load_state("networkidle")
        context.close()
    assert problems == []
