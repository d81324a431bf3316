"""Two refusals of the hardening work in a real browser: the admin creating a staff account
without an anchor sees the message beside 所在区划 / 单位 (desktop), and a resident sending a photo
over the single-photo limit sees its real size beside the photo field (phone). Screenshots in
test-artifacts/."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import DemoCity, LiveServer, screenshot, tiny_png

Page = Any
Browser = Any

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
MB = 1024 * 1024


def _login(browser: Browser, server: LiveServer, who: str, password: str, viewport: Any) -> Page:
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.goto(f"{server.url}/login")
    page.fill("#username", who)
    page.fill("#password", password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return page


def test_a_staff_account_without_anchor_is_refused_beside_the_field(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    page = _login(browser, live_server, "admin", demo_city.password, DESKTOP)
    page.goto(f"{live_server.url}/admin/users")
    page.fill("#username", "e2e_no_anchor")
    page.fill("#display_name", "钱七")
    page.fill("#password", "Str0ng!Passw0rd")
    page.select_option("#role", "operator")
    page.select_option("#anchor", "")
    page.click("#create-user button[type=submit]")
    error = page.locator("#anchor-error")
    expect(error).to_have_text("话务员岗位必须指定所属区划（或部门、公共服务企业）")
    expect(page.locator("#anchor")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#username")).to_have_value("e2e_no_anchor")
    screenshot(page, "admin-user-without-anchor")
    page.context.close()


def test_an_oversize_photo_is_refused_with_its_size_on_a_phone(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    limit = live_server.settings.media_max_bytes
    live_server.settings.media_max_bytes = 2 * MB
    try:
        page = _login(browser, live_server, "resident", demo_city.password, PHONE)
        page.goto(f"{live_server.url}/portal/report")
        page.fill("#title", "路灯不亮")
        page.fill("#content", "小区东门路灯连续三晚不亮。")
        big = tiny_png() + b"\x00" * (int(3.2 * MB) - len(tiny_png()))
        page.set_input_files(
            "#photos", files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": big}]
        )
        page.fill("#lon", f"{demo_city.lon:.6f}")
        page.fill("#lat", f"{demo_city.lat:.6f}")
        page.fill("#caller_phone", "13700005555")
        page.click("form.stacked > p > button[type=submit]")
        expect(page.locator("#photos-error")).to_have_text("照片 3.2 MB，超过单张上限 2 MB")
        expect(page.locator("#title")).to_have_value("路灯不亮")
        screenshot(page, "portal-report-oversize-photo")
        page.context.close()
    finally:
        live_server.settings.media_max_bytes = limit
