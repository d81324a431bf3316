"""The leader opens the 每月一题 proposals of the demo month: the candidate problems of a
district of the leader's scope with their evidence, the Excel and PDF briefs downloaded from the
page (the PDF one page, with the page's problems), and 设为本月一题 on the first candidate (the
form opened on a phone, submitted on the desktop), after which the page marks it chosen; a
street leader sees the street's brief only. Desktop and phone screenshots in test-artifacts/."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import make_session_factory
from tests.builders.pdf_text import page_count, text_lines
from tests.e2e.conftest import DemoCity, LiveServer, login_page, screenshot

Browser = Any
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _download(page: Any, selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    return Path(info.value.path()).read_bytes()


def test_the_leader_reads_exports_and_chooses_the_monthly_topic(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = login_page(browser, live_server, "leader", demo_city.password, viewport)
        page.goto(f"{live_server.url}/dashboard/monthly-topic")
        expect(page.get_by_role("heading", level=1)).to_contain_text("每月一题候选问题")
        rows = page.locator("#monthly-topic-candidates tbody tr")
        expect(rows.first).to_be_visible()
        expect(page.locator("#monthly-topic-source")).to_contain_text("（北京时间）的热点问题聚类")
        shown = rows.count()
        screenshot(page, f"monthly-topic-{name}-01-page")
        sheet = load_workbook(BytesIO(_download(page, "#monthly-topic-export"))).active
        assert sheet is not None
        values = [tuple(r) for r in sheet.iter_rows(values_only=True)]
        assert str(values[0][0]).startswith("每月一题候选问题")
        assert str(values[2][0]).startswith("候选问题取自 ")  # when the snapshot was taken
        assert len(values) == 4 + shown
        pdf = _download(page, "#monthly-topic-pdf")
        assert page_count(pdf) == 1
        lines = text_lines(pdf)
        assert lines[0].startswith("每月一题候选问题")
        first_label = values[4][1]
        assert any(line.startswith(f"1. {str(first_label)[:8]}") for line in lines)
        first = rows.first
        first.locator("summary").click()
        expect(first.locator("button[type=submit]")).to_be_visible()
        first.locator("input[name=theme]").fill("群众身边的高频问题")
        lead = first.locator("select[name=lead_department]")
        if not lead.input_value():
            lead.select_option(index=1)
        screenshot(page, f"monthly-topic-{name}-02-choose")
        if name == "desktop":  # the phone only opens the form; the desktop sets the topic
            first.locator("button[type=submit]").click()
            expect(page.locator(".flash")).to_contain_text("已设为本月一题")
            expect(rows.first.locator("strong.adopted")).to_have_text("已设为本月一题")
            expect(page.locator("#monthly-topic-theme")).to_contain_text("群众身边的高频问题")
            screenshot(page, f"monthly-topic-{name}-03-chosen")
        page.context.close()


def test_a_street_leader_sees_the_street_s_brief(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    with make_session_factory(live_server.engine)() as session:
        if auth_service.find_user_id(session, "street_leader") is None:
            now = live_server.clock.now()
            system = Actor.system("e2e")
            user = auth_service.create_user(
                session,
                username="street_leader",
                display_name="街道领导钱敏",
                password=demo_city.password,
                actor=system,
                now=now,
            )
            auth_service.add_post(
                session,
                user_id=user.id,
                role=Role.LEADER,
                region_id=demo_city.street_id,
                title="街道领导",
                actor=system,
                now=now,
            )
    page = login_page(browser, live_server, "street_leader", demo_city.password, PHONE)
    page.goto(f"{live_server.url}/dashboard/monthly-topic")
    expect(page.get_by_role("heading", level=1)).to_contain_text(demo_city.street_name)
    options = page.locator("#district option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_text(demo_city.street_name)
    screenshot(page, "monthly-topic-phone-04-street-leader")
    pdf = _download(page, "#monthly-topic-pdf")
    assert page_count(pdf) == 1
    assert text_lines(pdf)[1].startswith(f"街道：{demo_city.street_name}")
    page.context.close()
