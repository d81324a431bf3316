"""The resident's 随手拍 report in a real browser: Back + submit again shows the first report and
stores one appeal; the whole form can be filled and sent with the keyboard alone, with the
focus visible at every step; and 长辈版, switched on by the resident and remembered, measures
up (larger text, 44 px targets, axe clean, a simpler page). Screenshots in test-artifacts/."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from civicgrid.appeals.models import Appeal, Attachment
from civicgrid.db import make_session_factory
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    DemoCity,
    LiveServer,
    login_page,
    screenshot,
    tiny_png,
)

Page = Any
Browser = Any

MAX_TABS = 40
# A title no other browser test uses: the live server's database is shared by the session.
TITLE = "三单元楼道纸箱堆满"


def _login(browser: Browser, server: LiveServer, password: str, viewport: dict[str, int]) -> Page:
    return login_page(browser, server, "resident", password, viewport)


def _stored(server: LiveServer, title: str) -> int:
    with make_session_factory(server.engine)() as session:
        return int(
            session.scalar(select(func.count()).select_from(Appeal).where(Appeal.title == title))
            or 0
        )


def test_back_and_submit_again_shows_the_first_report_and_stores_one(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    page = _login(browser, live_server, demo_city.password, PHONE)
    page.goto(f"{live_server.url}/portal/report")
    page.fill("#title", TITLE)
    page.fill("#content", "三单元楼道堆满纸箱，影响通行和消防。")
    page.set_input_files(
        "#photos", files=[{"name": "hall.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    page.fill("#lon", f"{demo_city.lon:.6f}")
    page.fill("#lat", f"{demo_city.lat:.6f}")
    page.fill("#caller_phone", "13700004444")
    token = page.locator("form.stacked input[name=form_token]")
    first_token = token.input_value()
    page.click("form.stacked > p > button[type=submit]")
    expect(page.locator(".flash", has_text="已提交，工单编号")).to_be_visible()
    first_url = page.url
    assert _stored(live_server, TITLE) == 1

    page.go_back()
    expect(page).to_have_url(re.compile(r"/portal/report$"))
    expect(page.locator("#title")).to_have_value(TITLE)
    # The page may come back from the network with a fresh token: app.js puts the posted one
    # back when the page is shown (pageshow), which is the state to wait for.
    expect(token).to_have_value(first_token)
    screenshot(page, "portal-report-back")
    page.click("form.stacked > p > button[type=submit]")
    expect(page.locator(".flash", has_text="已提交，工单编号")).to_be_visible()
    assert page.url == first_url
    assert _stored(live_server, TITLE) == 1
    page.context.close()


def _focus_ring(page: Page) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => {
                const el = document.activeElement;
                const s = getComputedStyle(el);
                return {id: el.id, tag: el.tagName, visible: el.matches(':focus-visible'),
                        style: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0};
            }"""
        )
    )


def _tab_to(page: Page, element_id: str, key: str = "Tab") -> None:
    """Press Tab (or Shift+Tab) until ``element_id`` has the focus, checking on the way that
    every focused element shows a focus ring."""
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        ring = _focus_ring(page)
        if ring["tag"] != "BODY":
            assert ring["visible"], f"focus on {ring} is not :focus-visible"
            assert ring["style"] != "none", f"no focus ring on {ring}"
            assert ring["width"] >= 2, f"a thin focus ring on {ring}"
        if ring["id"] == element_id:
            return
    raise AssertionError(f"#{element_id} not reached with {key} in {MAX_TABS} presses")


def test_the_report_can_be_sent_with_the_keyboard_alone(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    page = _login(browser, live_server, demo_city.password, DESKTOP)
    page.goto(f"{live_server.url}/portal/report")
    expect(page.locator(".map-picker .leaflet-container")).to_be_visible()

    _tab_to(page, "appeal_type")
    page.keyboard.press("ArrowDown")  # 求助 → 投诉
    expect(page.locator("#appeal_type")).to_have_value("complaint")
    _tab_to(page, "title")
    page.keyboard.type("人行道地砖松动")
    _tab_to(page, "content")
    page.keyboard.type("菜市场门口人行道地砖松动，雨天踩上去溅水。")
    _tab_to(page, "photos")
    # The file chooser is the operating system's; the keyboard user reaches the field and
    # chooses the file there (set_input_files stands in for the chooser).
    page.locator("#photos").set_input_files(
        files=[{"name": "tile.png", "mimeType": "image/png", "buffer": tiny_png((90, 90, 90))}]
    )
    _tab_to(page, "lon")
    page.keyboard.type(f"{demo_city.lon:.6f}")
    _tab_to(page, "lat")
    page.keyboard.type("39.9x")
    _tab_to(page, "lon", key="Shift+Tab")  # back one field and forward again: fix the typo
    _tab_to(page, "lat")
    page.keyboard.press("Control+A")
    page.keyboard.type(f"{demo_city.lat:.6f}")
    _tab_to(page, "caller_phone")
    page.keyboard.type("13700005555")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.name") == "confidential"
    page.keyboard.press("Space")
    expect(page.locator("input[name=confidential]")).to_be_checked()
    screenshot(page, "portal-report-keyboard-filled")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "提交"
    page.keyboard.press("Enter")
    expect(page.locator(".flash", has_text="已提交，工单编号")).to_be_visible()
    assert _stored(live_server, "人行道地砖松动") == 1
    screenshot(page, "portal-report-keyboard-sent")
    page.context.close()


def test_a_refusal_is_focused_for_the_keyboard_user(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    page = _login(browser, live_server, demo_city.password, PHONE)
    page.goto(f"{live_server.url}/portal/report")
    page.fill("#title", "垃圾清运不及时")
    page.fill("#content", "小区垃圾站两天没有清运。")
    page.set_input_files(
        "#photos", files=[{"name": "bin.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    page.fill("#lon", "东经116")
    page.fill("#lat", f"{demo_city.lat:.6f}")
    page.fill("#caller_phone", "13700006666")
    page.click("form.stacked > p > button[type=submit]")
    expect(page.locator("#lon-error")).to_contain_text("经纬度须为数字")
    expect(page.locator("#lon")).to_be_focused()
    expect(page.locator("#lon")).to_be_in_viewport()
    expect(page.locator("input[name=kept_photo]")).to_have_count(1)
    screenshot(page, "portal-report-refused-phone")
    page.fill("#lon", f"{demo_city.lon:.6f}")
    page.click("form.stacked > p > button[type=submit]")
    expect(page.locator(".flash", has_text="已提交，工单编号")).to_be_visible()
    with make_session_factory(live_server.engine)() as session:
        appeal_id = session.scalar(select(Appeal.id).where(Appeal.title == "垃圾清运不及时"))
        photos = session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.appeal_id == appeal_id)
        )
    assert photos == 1, "the photo chosen before the refusal went with the report"
    page.context.close()


def _font_px(page: Page) -> float:
    return float(page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)"))


def _small_targets(page: Page) -> list[str]:
    """Visible buttons and links in the main content smaller than 44x44 px."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('main a[href], main button')]
                .filter(el => el.offsetParent !== null && !el.closest('.leaflet-container'))
                .map(el => [el, el.getBoundingClientRect()])
                .filter(([el, r]) => r.width < 44 || r.height < 44)
                .map(([el, r]) => `${el.tagName} "${el.textContent.trim().slice(0, 20)}" `
                                  + `${Math.round(r.width)}x${Math.round(r.height)}`)"""
        )
    )


ELDER_PAGES = ("/portal", "/portal/report", "/portal/track")


def test_elder_mode_is_switched_on_remembered_and_measures_up(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    page = _login(browser, live_server, demo_city.password, PHONE)
    page.goto(f"{live_server.url}/portal")
    normal = _font_px(page)
    screenshot(page, "portal-normal-phone")
    assert page.locator("header .nav a:visible").count() > 1
    page.goto(f"{live_server.url}/portal/report")
    secondary = page.locator("[data-secondary]")
    expect(secondary.first).to_be_visible()
    page.goto(f"{live_server.url}/portal")

    page.get_by_role("link", name="长辈版（大字）").click()
    expect(page.locator("body.elder")).to_have_count(1)
    expect(page.get_by_role("link", name="切换到标准版")).to_be_visible()

    # Remembered: a new tab of the same browser, and the next visit, open in 长辈版.
    again = page.context.new_page()
    again.goto(f"{live_server.url}/portal")
    expect(again.locator("body.elder")).to_have_count(1)
    again.close()

    for path in ELDER_PAGES:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("body.elder")).to_have_count(1)
        page.wait_for_load_state("load")
        size = _font_px(page)
        assert size >= 18, f"{path}: body text {size}px"
        assert size > normal, f"{path}: {size}px is not larger than the normal {normal}px"
        assert _small_targets(page) == [], f"{path}: small targets {_small_targets(page)}"
        # Simpler: only the portal's own links stay in the top bar.
        hrefs = page.locator("header .nav a:visible").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert all(h.startswith("/portal") for h in hrefs), f"{path}: {hrefs}"
        # Optional blocks (e.g. 地址补充 on the report) are left out of the simpler page.
        for hidden in page.locator("[data-secondary]").all():
            expect(hidden).to_be_hidden()
        assert_accessible(page)
        screenshot(page, f"portal-elder-phone-{path.strip('/').replace('/', '-')}")

    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/portal/report")
    expect(page.locator("[data-secondary]")).to_have_count(1)
    expect(page.locator("[data-secondary]")).to_be_hidden()
    screenshot(page, "portal-elder-desktop-report")
    page.get_by_role("link", name="切换到标准版").click()
    expect(page.locator("body.elder")).to_have_count(0)
    assert _font_px(page) == normal
    page.context.close()
