"""The 12345 exchange page in a real browser on the demo city: the administrator uploads an
export (desktop and phone) whose units are the demo street and an unknown office, reads the row
report with its 未匹配 table, and the matched order lies in the demo street. axe-core runs on
the report (0 critical/serious); screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from civicgrid.appeals.models import Appeal, AppealUnit
from civicgrid.db import make_session_factory
from civicgrid.exchange.models import ExchangeOrder
from tests.builders.exchange import csv_bytes, order_row
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import DemoCity, LiveServer, screenshot

Browser = Any

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_admin_imports_and_reads_unmatched_names(
    browser: Browser,
    live_server: LiveServer,
    demo_city: DemoCity,
    size: str,
    viewport: dict[str, int],
) -> None:
    from playwright.sync_api import expect

    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("#username", "admin")
    page.fill("#password", demo_city.password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    number = f"E2E-{size}"
    rows = [
        order_row(number, units=f"{demo_city.street_name}（主办）", district=demo_city.street_name),
        order_row(f"{number}-X", units="火星办事处", district="火星区"),
    ]
    page.goto(f"{live_server.url}/admin/exchange")
    page.set_input_files(
        "#orders",
        {"name": "orders.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows, "gbk")},
    )
    page.select_option("#mode", "valid-rows")
    page.locator("form.stacked button[type=submit]").click()
    expect(page.get_by_role("heading", name="未匹配的承办单位和区域")).to_be_visible()
    expect(page.get_by_text("承办单位“火星办事处”在辖区中找不到")).to_be_visible()
    expect(page.get_by_text("所属区/街道“火星区”在辖区中找不到")).to_be_visible()
    expect(page.get_by_text("新建 2 件")).to_be_visible()
    assert_accessible(page)
    screenshot(page, f"exchange-report-{size}")
    with make_session_factory(live_server.engine)() as session:
        appeal = session.scalars(
            select(Appeal)
            .join(ExchangeOrder, ExchangeOrder.appeal_id == Appeal.id)
            .where(ExchangeOrder.external_no == number)
        ).one()
        assert appeal.region_id == demo_city.street_id
        lead = session.scalars(select(AppealUnit).where(AppealUnit.appeal_id == appeal.id)).one()
        assert (lead.role, lead.unit_id) == ("lead", demo_city.street_id)
