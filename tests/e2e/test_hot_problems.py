"""The leader reads the month's hot problems on the dashboard: readable labels (place and the
problem's terms), each a link to the list of its appeals; desktop and phone screenshots in
test-artifacts/."""

from __future__ import annotations

import re
from typing import Any

from civicgrid.db import make_session_factory
from civicgrid.insight import service as insight_service
from tests.e2e.conftest import DemoCity, LiveServer, screenshot

Browser = Any
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# What the old labels showed: pronouns and generic verbs as key terms.
NOT_TERMS = ("自己", "有人", "解决不了")


def test_hot_problem_labels_read_well_and_open_their_appeals(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    with make_session_factory(live_server.engine)() as session:
        insight_service.refresh_hotspot_snapshots(session, now=live_server.clock.now())
        session.commit()
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
        page.goto(f"{live_server.url}/login")
        page.fill("#username", "leader")
        page.fill("#password", demo_city.password)
        page.click("form.stacked button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        page.goto(f"{live_server.url}/dashboard")
        links = page.locator("#hot-problems a[href^='/dashboard/hot-problems/']")
        expect(links.first).to_be_visible()
        labels = links.all_inner_texts()
        assert labels, "the demo month has hot problems"
        assert not any(term in label for label in labels for term in NOT_TERMS)
        page.locator("#hot-problems").scroll_into_view_if_needed()
        screenshot(page, f"hot-problems-{name}-01-dashboard")
        size = int(page.locator("#hot-problems tbody tr").first.locator("td").nth(5).inner_text())
        links.first.click()
        page.wait_for_url(re.compile(r"/dashboard/hot-problems/1\?period="))
        expect(page.get_by_role("heading", level=1)).to_contain_text(labels[0])
        listed = page.locator("#hot-problem-appeals table.appeals tbody tr")
        expect(listed.first).to_be_visible()
        assert 1 <= listed.count() <= size
        screenshot(page, f"hot-problems-{name}-02-list")
        page.context.close()
