"""The leader opens the 每月一题 proposals of the demo month: the candidate problems of a
district of the leader's scope with their evidence, and the Excel brief downloaded from the
page; desktop and phone screenshots in test-artifacts/."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from tests.e2e.conftest import DemoCity, LiveServer, login_page, screenshot

Browser = Any
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def test_the_leader_reads_and_exports_the_monthly_topic_candidates(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = login_page(browser, live_server, "leader", demo_city.password, viewport)
        page.goto(f"{live_server.url}/dashboard/monthly-topic")
        expect(page.get_by_role("heading", level=1)).to_contain_text("每月一题候选问题")
        rows = page.locator("#monthly-topic-candidates tbody tr")
        expect(rows.first).to_be_visible()
        shown = rows.count()
        screenshot(page, f"monthly-topic-{name}-01-page")
        with page.expect_download() as info:
            page.click("#monthly-topic-export")
        path = Path(info.value.path())
        sheet = load_workbook(BytesIO(path.read_bytes())).active
        assert sheet is not None
        values = [tuple(r) for r in sheet.iter_rows(values_only=True)]
        assert str(values[0][0]).startswith("每月一题候选问题")
        assert len(values) == 3 + shown
        page.context.close()
