"""The whole 接诉即办 loop in a real browser: a resident reports with a photo and a map pin, the
dispatcher dispatches, the street handler signs, contacts and replies, the operator calls back,
and the leader's dashboard counts one more closed appeal. Also: the core forms without
JavaScript."""

from __future__ import annotations

import re
from typing import Any

from civicgrid.assessment import service as assessment_service
from civicgrid.db import make_session_factory
from tests.e2e.conftest import DemoCity, LiveServer, screenshot, tiny_png

Page = Any
Browser = Any


def login(
    browser: Browser, server: LiveServer, username: str, password: str, **context_args: Any
) -> Page:
    """A fresh browser context logged in as ``username`` (phone-sized for the resident and
    the grid worker)."""
    mobile = username in ("resident", "grid")
    context = browser.new_context(
        viewport={"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900},
        locale="zh-CN",
        **context_args,
    )
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return page


def closed_count(page: Page, server: LiveServer) -> int:
    page.goto(f"{server.url}/dashboard")
    return int(page.inner_text('[data-count="closed"]'))


def test_report_dispatch_reply_callback_and_dashboard(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    server, pw = live_server, demo_city.password

    leader = login(browser, server, "leader", pw)
    before = closed_count(leader, server)

    # 1. The resident reports a broken street lamp with a photo and a pin.
    resident = login(browser, server, "resident", pw)
    resident.goto(f"{server.url}/portal/report")
    expect(resident.locator(".map-picker .leaflet-container")).to_be_visible()
    resident.select_option("#appeal_type", "help")
    resident.fill("#title", "东门路灯不亮")
    resident.fill("#content", "小区东门路灯连续三晚不亮，夜间行人看不清路。")
    resident.set_input_files(
        "#photos", files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    resident.fill("#lon", f"{demo_city.lon:.6f}")
    resident.fill("#lat", f"{demo_city.lat:.6f}")
    resident.fill("#caller_phone", "13700002222")
    screenshot(resident, "flow-01-resident-report")
    resident.click("form.stacked button[type=submit]")
    flash = resident.locator(".flash", has_text="已提交，工单编号")
    expect(flash).to_be_visible()
    number = re.search(r"工单编号 (\d{13})", flash.inner_text())
    assert number is not None
    appeal_no = number.group(1)
    screenshot(resident, "flow-02-resident-submitted")

    # 2. The dispatcher sends it to the street from the queue (htmx swaps the row).
    dispatcher = login(browser, server, "dispatcher", pw)
    dispatcher.goto(f"{server.url}/dispatch/queue")
    row = dispatcher.locator("article.queue-row", has_text=appeal_no)
    expect(row).to_be_visible()
    panel = row.locator("details.dispatch-panel")
    if panel.count():  # only the first order's form is in the page; the others load on opening
        panel.locator("summary").click()
    row.locator("select[name=lead]").select_option(f"region:{demo_city.street_id}")
    screenshot(dispatcher, "flow-03-dispatch-queue")
    row.locator("button[type=submit]").click()
    expect(dispatcher.locator("article.queue-row.done")).to_contain_text("已派单")

    # 3. The street handler signs, contacts the caller and replies, all from the detail page.
    street = login(browser, server, "street", pw)
    street.goto(f"{server.url}/appeals/inbox")
    street.click(f"text={appeal_no}")
    detail = street.locator("#appeal-detail")
    street.click("#form-sign button[type=submit]")
    expect(detail.locator("h1")).to_contain_text("已签收")
    street.fill("#contact-text", "已电话联系诉求人，今晚到现场查看")
    street.click("#form-contact button[type=submit]")
    expect(detail.locator("h1")).to_contain_text("办理中")
    street.fill("#reply-text", "已更换东门路灯灯泡，恢复照明")
    street.click("#form-reply button[type=submit]")
    expect(detail.locator("h1")).to_contain_text("已办结待回访")
    screenshot(street, "flow-04-handler-replied")

    # 4. The operator calls the resident back and closes the appeal.
    operator = login(browser, server, "operator", pw)
    operator.goto(street.url)
    operator.check("#form-callback_close input[name=resolved][value='1']")
    operator.select_option("#callback_close-sat", "satisfied")
    operator.click("#form-callback_close button[type=submit]")
    expect(operator.locator("#appeal-detail h1")).to_contain_text("已结案")
    expect(operator.locator("ol.timeline")).to_contain_text("回访结案")
    screenshot(operator, "flow-05-operator-callback")

    # 5. The dashboard counts one more closed appeal at once; the map and charts are drawn.
    assert closed_count(leader, server) == before + 1
    # The 三率 come from the assessment rollup, which the assessment.refresh job updates.
    with make_session_factory(server.engine)() as session:
        assessment_service.refresh(session, now=server.clock.now())
    leader.reload()
    expect(leader.locator("#rate-cards")).to_contain_text("100.0%")
    # The map fetches its figures when it comes into view.
    leader.locator("#grid-map").scroll_into_view_if_needed()
    expect(leader.locator("#grid-map .leaflet-interactive").first).to_be_visible()
    expect(leader.locator("#trend-chart canvas")).to_be_visible()
    screenshot(leader, "flow-06-dashboard")

    # 6. Anyone can track the appeal by number and the phone's last four digits.
    public = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    public.goto(f"{server.url}/portal/track")
    public.fill("#number", appeal_no)
    public.fill("#phone_tail", "2222")
    public.click("form.stacked button[type=submit]")
    expect(public.locator("#track-result")).to_contain_text("已结案")
    screenshot(public, "flow-07-public-track")


def test_login_and_intake_work_without_javascript(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/appeals/new")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("#username", "operator")
    page.fill("#password", demo_city.password)
    page.click("form.stacked button[type=submit]")
    expect(page).to_have_url(re.compile(r"/appeals/new$"))
    expect(page.locator(".map-picker .map")).to_be_hidden()

    # A bad coordinate comes back with the message and what was typed.
    page.fill("#title", "井盖缺失")
    page.fill("#content", "路口井盖缺失，已有行人险些跌落。")
    page.fill("#caller_phone", "13800003333")
    page.fill("#lon", "东经")
    page.fill("#lat", "39.9")
    page.click("form.intake > p > button[type=submit]")
    expect(page.locator("#form-errors")).to_contain_text("经纬度须为数字")
    expect(page.locator("#title")).to_have_value("井盖缺失")

    page.fill("#lon", f"{demo_city.lon:.6f}")
    page.fill("#lat", f"{demo_city.lat:.6f}")
    page.click("form.intake > p > button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("诉求已登记")
    expect(page.locator("#appeal-detail h1")).to_contain_text("已受理")
    screenshot(page, "nojs-01-intake-recorded")

    # An action form works as a plain post/redirect/get too.
    page.click("#form-accept button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("受理转派")
    expect(page.locator("#appeal-detail h1")).to_contain_text("待派单")
    context.close()


def test_grid_worker_reports_with_the_phone_location(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    page = login(
        browser,
        live_server,
        "grid",
        demo_city.password,
        geolocation={"longitude": demo_city.grid_lon, "latitude": demo_city.grid_lat},
        permissions=["geolocation"],
    )
    page.goto(f"{live_server.url}/grid/tasks")
    expect(page.locator("h1")).to_contain_text("我的任务")
    page.click("text=巡查上报")
    page.click("[data-geolocate-button]")
    expect(page.locator("#lon")).to_have_value(re.compile(r"^\d+\.\d{6}$"))
    expect(page.locator("#lat")).not_to_have_value("")
    page.fill("#title", "井盖破损")
    page.fill("#content", "人行道井盖破损，边缘翘起。")
    page.set_input_files(
        "#photos",
        files=[{"name": "cover.png", "mimeType": "image/png", "buffer": tiny_png((120, 120, 120))}],
    )
    screenshot(page, "grid-01-patrol-report")
    page.click("form.stacked > p > button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("诉求已登记")
    expect(page.locator("#appeal-detail")).to_contain_text("网格巡查")
    screenshot(page, "grid-02-patrol-recorded")
