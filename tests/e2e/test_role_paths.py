"""Each role's main path in a real browser, from the workbench through the list to one appeal
and its action: the operator's callback (今日回访 → list → detail → 回访结案), the resident at
phone size following an appeal and rating the reply (我的诉求 → the appeal → 自助评价), the
supervisor's warnings (督办 → 超期工单 → detail → 催办) and the leader's dashboard and red/overdue
queue (全局 → 数据大屏; 超期 → detail → 督办). Screenshots of every step in test-artifacts/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from civicgrid.appeals import service as appeal_service
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.workflow import Action
from civicgrid.auth import service as auth_service
from civicgrid.db import make_session_factory
from civicgrid.media.store import LocalMediaStore
from civicgrid.web.shared.appeal_actions import ActionFields, take_action
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


def _login(browser: Browser, server: LiveServer, username: str, password: str) -> Page:
    return login_page(
        browser, server, username, password, PHONE if username == "resident" else DESKTOP
    )


def _open_action(page: Page, key: str) -> Any:
    """The action form ``key`` of the detail page, unfolded when it is folded away."""
    form = page.locator(f"#form-{key}")
    if not form.is_visible():
        page.locator("details", has=form).locator("summary").first.click()
    from playwright.sync_api import expect

    expect(form).to_be_visible()
    return form


def _reported_appeal(
    server: LiveServer, demo_city: DemoCity, page: Page, title: str, *, replied: bool
) -> str:
    """The resident reports through the portal; the dispatcher's dispatch and the street
    handler's sign (and, when ``replied``, contact and reply) move it on through the use cases
    (their pages have their own tests). Returns the appeal number."""
    page.goto(f"{server.url}/portal/report")
    page.fill("#title", title)
    page.fill("#content", f"{title}，请尽快处理。")
    page.set_input_files(
        "#photos", files=[{"name": "p.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    page.fill("#lon", f"{demo_city.lon:.6f}")
    page.fill("#lat", f"{demo_city.lat:.6f}")
    page.fill("#caller_phone", "13700007777")
    page.click("form.stacked > p > button[type=submit]")
    flash = page.locator(".flash", has_text="已提交，工单编号")
    flash.wait_for()
    number = re.search(r"工单编号 (\d{13})", flash.inner_text())
    assert number is not None
    media = appeal_service.MediaPolicy(
        store=LocalMediaStore(server.settings.media_dir), max_bytes=server.settings.media_max_bytes
    )
    steps = [
        ("dispatcher", Action.DISPATCH, ActionFields(lead=f"region:{demo_city.street_id}")),
        ("street", Action.SIGN, ActionFields()),
        ("street", Action.CONTACT, ActionFields(text="已电话联系诉求人")),
        ("street", Action.REPLY, ActionFields(text="已到现场处理完毕，恢复正常")),
    ][: 4 if replied else 2]
    with make_session_factory(server.engine)() as session:
        appeal_id = session.scalar(select(Appeal.id).where(Appeal.number == number.group(1)))
        assert appeal_id is not None
        for username, action, fields in steps:
            user_id = auth_service.find_user_id(session, username)
            assert user_id is not None
            actor = auth_service.actor_for_user(session, user_id)
            take_action(
                session, action, appeal_id=appeal_id, fields=fields, media=media, actor=actor,
                now=server.clock.now(),
            )  # fmt: skip
            session.commit()
    return number.group(1)


def _tile(page: Page, queue: str) -> tuple[int, str]:
    """The count and link of the workbench tile of ``queue``."""
    tile = page.locator(f"a.tile[data-queue={queue}]")
    return int(tile.locator(".tile-count").inner_text()), tile.get_attribute("href") or ""


def test_resident_follows_the_appeal_and_rates_the_reply_at_phone_size_then_the_operator_calls_back(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    server, pw = live_server, demo_city.password
    resident = _login(browser, server, "resident", pw)
    number = _reported_appeal(server, demo_city, resident, "健身器材损坏", replied=True)
    # A resolved and satisfied rating closes the appeal; the operator calls back another one.
    called = _reported_appeal(server, demo_city, resident, "井盖异响", replied=True)

    # Resident: workbench → 待评价 → my appeals → the appeal → 自助评价.
    resident.goto(f"{server.url}/")
    count, href = _tile(resident, "my_to_rate")
    assert count >= 1
    screenshot(resident, "path-resident-01-workbench-phone")
    resident.locator("a.tile[data-queue=my_to_rate]").click()
    resident.wait_for_url(re.compile(re.escape(href.split("?")[0])))
    resident.get_by_role("link", name=number).click()
    expect(resident.locator("h1")).to_contain_text("我的诉求")
    expect(resident.locator("main")).to_contain_text("已到现场处理完毕")
    screenshot(resident, "path-resident-02-appeal-phone")
    resident.locator("input[name=resolved][value='1']").check()
    resident.locator("input[name=satisfaction][value=satisfied]").check()
    resident.locator("form[action$='/rate'] button[type=submit]").click()
    expect(resident.locator(".flash", has_text="感谢您的评价")).to_be_visible()
    screenshot(resident, "path-resident-03-rated-phone")

    # Operator: workbench → 今日回访 → the appeal → 回访结案.
    operator = _login(browser, server, "operator", pw)
    count, href = _tile(operator, "callbacks")
    assert count >= 1
    screenshot(operator, "path-operator-01-workbench")
    operator.locator("a.tile[data-queue=callbacks]").click()
    operator.wait_for_url(re.compile(r"/appeals/inbox\?queue=callbacks"))
    expect(operator.locator("#inbox-results")).to_contain_text(f"共 {count} 件")
    screenshot(operator, "path-operator-02-callbacks")
    operator.get_by_role("link", name=called).click()
    form = _open_action(operator, "callback_close")
    expect(operator.locator("#appeal-detail")).to_contain_text("已到现场处理完毕")
    form.locator("input[name=resolved][value='1']").check()
    operator.select_option("#callback_close-sat", "satisfied")
    form.locator("button[type=submit]").click()
    expect(operator.locator("#appeal-detail h1")).to_contain_text("已结案")
    screenshot(operator, "path-operator-03-closed")
    operator.goto(f"{server.url}/")
    assert _tile(operator, "callbacks")[0] == count - 1
    resident.context.close()
    operator.context.close()


@pytest.mark.parametrize(
    ("username", "action", "verb"),
    [("supervisor", "remind", "催办"), ("leader", "supervise", "督办")],
)
def test_warnings_lead_through_the_list_to_an_appeal_and_its_reminder(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity, username: str, action: str,
    verb: str,
) -> None:  # fmt: skip
    from playwright.sync_api import expect

    server = live_server
    resident = _login(browser, server, "resident", demo_city.password)
    number = _reported_appeal(server, demo_city, resident, f"路面积水（{verb}）", replied=False)
    resident.context.close()

    page = _login(browser, server, username, demo_city.password)
    group = "督办" if username == "supervisor" else "全局"
    expect(page.get_by_role("heading", name=group, exact=True)).to_be_visible()
    for queue in ("overdue", "red"):
        expect(page.locator(f"a.tile[data-queue={queue}] .tile-count")).to_have_text(
            re.compile(r"^\d+$")
        )
    screenshot(page, f"path-{username}-01-workbench")
    if username == "supervisor":
        page.get_by_role("link", name="去督办").click()
        page.wait_for_url(re.compile(r"/appeals/supervision$"))
        expect(page.get_by_role("heading", name=re.compile("超期工单"))).to_be_visible()
        screenshot(page, "path-supervisor-02-supervision")
    else:
        page.get_by_role("link", name="看数据大屏").click()
        page.wait_for_url(re.compile(r"/dashboard"))
        expect(page.locator("#rate-cards")).to_be_visible()
        expect(page.locator("#trend-chart canvas")).to_be_visible()
        screenshot(page, "path-leader-02-dashboard")
    page.goto(f"{server.url}/appeals/inbox?q={number}")
    expect(page.locator("#inbox-results")).to_contain_text("共 1 件")
    screenshot(page, f"path-{username}-03-list")
    page.locator("#inbox-results").get_by_role("link", name=number).click()
    page.wait_for_url(re.compile(r"/appeals/\d+"))
    form = _open_action(page, action)
    form.locator("textarea").first.fill(f"请于今日内处理并回复（{verb}）")
    form.locator("button[type=submit]").click()
    expect(page.locator("ol.timeline")).to_contain_text(verb)
    screenshot(page, f"path-{username}-04-{action}")
    page.context.close()
