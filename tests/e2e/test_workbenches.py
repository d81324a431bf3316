"""Every role's landing page is its workbench: counted queues that link to their lists. A
browser logs in as each demo role (desktop; phone size too for the grid worker and the
resident), waits for the tiles, follows one count to its list and saves screenshots under
test-artifacts/."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import DemoCity, LiveServer, screenshot

Browser = Any

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

ROLES = [
    ("dispatcher", "等待我处理", DESKTOP),
    ("street", "本单位主办", DESKTOP),
    ("dept", "本单位主办", DESKTOP),
    ("utility", "本单位主办", DESKTOP),
    ("grid", "我的网格", DESKTOP),
    ("grid", "我的网格", PHONE),
    ("supervisor", "督办", DESKTOP),
    ("operator", "今日回访", DESKTOP),
    ("leader", "全局", DESKTOP),
    ("resident", "我的诉求", DESKTOP),
    ("resident", "我的诉求", PHONE),
]


@pytest.mark.parametrize(("username", "group", "viewport"), ROLES)
def test_landing_page_is_the_roles_workbench(
    browser: Browser,
    live_server: LiveServer,
    demo_city: DemoCity,
    username: str,
    group: str,
    viewport: dict[str, int],
) -> None:
    from playwright.sync_api import expect

    size = "phone" if viewport is PHONE else "desktop"
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("#username", username)
    page.fill("#password", demo_city.password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name=group, exact=True)).to_be_visible()
    tiles = page.locator("a.tile")
    expect(tiles.first).to_be_visible()
    screenshot(page, f"workbench-{username}-{size}")

    first = tiles.first
    count = int(first.locator(".tile-count").inner_text())
    href = first.get_attribute("href") or ""
    first.click()
    page.wait_for_url(re.compile(re.escape(href.split("?")[0])))
    if href.startswith("/appeals/inbox?queue="):
        expect(page.locator("#inbox-results")).to_contain_text(f"共 {count} 件")
    screenshot(page, f"workbench-{username}-{size}-list")
    context.close()
