"""The 人房 pages and the unit picker in a real browser on the demo city: the grid worker at
phone size records a visit and adds a tag on a person's page, the street handler reveals an
identity with a reason (the audit row is checked), a clerk registers a person choosing the
house by typing, and the dispatcher picks a unit by typing part of its name. axe-core runs on
every page (0 critical/serious); screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from civicgrid.audit.models import AuditEntry
from civicgrid.auth import service as auth_service
from civicgrid.db import make_session_factory
from civicgrid.kit.crypto import FieldCipher
from civicgrid.register import queries as register_queries
from civicgrid.territory.units import units_for
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import DemoCity, LiveServer, screenshot

Browser = Any
Page = Any

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def login(
    browser: Browser, server: LiveServer, username: str, password: str, viewport: dict[str, int]
) -> Page:
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return page


def resident_of(server: LiveServer, username: str) -> tuple[int, int]:
    """A resident in the user's scope and the tag count it has (through the scoped search)."""
    with make_session_factory(server.engine)() as session:
        user_id = auth_service.find_user_id(session, username)
        assert user_id is not None
        actor = auth_service.actor_for_user(session, user_id)
        cipher = FieldCipher(server.settings.resolved_field_key())
        rows, total = register_queries.search_residents_for(
            session, actor, register_queries.ResidentSearch(), cipher=cipher, limit=1
        )
        assert total > 0, f"the demo city has no resident in {username}'s scope"
        tags = register_queries.resident_tags(session, [rows[0].id]).get(rows[0].id, [])
        return rows[0].id, len(tags)


def test_grid_worker_records_a_visit_and_adds_a_tag_at_phone_size(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    resident_id, _tags = resident_of(live_server, "grid")
    page = login(browser, live_server, "grid", demo_city.password, PHONE)
    page.goto(f"{live_server.url}/register/residents/{resident_id}")
    expect(page.locator("h1#person-name")).to_contain_text("*")
    assert_accessible(page)
    screenshot(page, "register-person-grid-phone")

    form = page.locator("#visit-form")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    page.select_option("#visit-kind", "care")
    page.fill("#content", "独居老人，身体良好，提醒冬季用气安全")
    page.click("#visit-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("走访已记录")
    expect(page.locator("ul.visits").last).to_contain_text("提醒冬季用气安全")
    expect(page.locator("ul.visits").last).to_contain_text("关爱探访")

    choices = page.locator("#tag option")
    tag = choices.nth(1).get_attribute("value")
    assert tag
    page.select_option("#tag", tag)
    page.click("#tags form.stacked button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("已添加标签")
    expect(page.get_by_role("button", name=f"移除标签{tag}")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "register-person-grid-phone-after")

    page.locator("#houses ul.visits a").first.click()
    expect(page.locator("h1#house-title")).to_be_visible()
    expect(page.locator("ul.visits").last).to_contain_text("提醒冬季用气安全")
    assert_accessible(page)
    screenshot(page, "register-house-grid-phone")


def test_street_handler_reveals_an_identity_with_a_reason(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    resident_id, _tags = resident_of(live_server, "street")
    page = login(browser, live_server, "street", demo_city.password, DESKTOP)
    page.goto(f"{live_server.url}/register/residents/{resident_id}")
    page.click("#reveal summary")
    page.click("#reveal button[type=submit]")  # no reason: the browser asks for one
    expect(page.locator("#revealed-id-no")).to_have_count(0)
    page.fill("#reason", "核实低保申请的身份信息")
    page.click("#reveal button[type=submit]")
    id_no = page.locator("#revealed-id-no")
    expect(id_no).to_have_text(re.compile(r"^\d{17}[\dX]$"))
    assert_accessible(page)
    screenshot(page, "register-person-revealed")
    with make_session_factory(live_server.engine)() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action == "register.resident.reveal",
                AuditEntry.subject_id == str(resident_id),
            )
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None
        assert entry.reason == "核实低保申请的身份信息"
        assert entry.actor_label.startswith("street(")
    page.goto(f"{live_server.url}/register/residents/{resident_id}")  # masked again
    expect(page.locator("#revealed-id-no")).to_have_count(0)


def test_register_a_person_choosing_the_house_by_typing(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    resident_id, _tags = resident_of(live_server, "street")
    page = login(browser, live_server, "street", demo_city.password, DESKTOP)
    page.goto(f"{live_server.url}/register/residents/{resident_id}")
    house_link = page.locator("#houses ul.visits a").first
    address = house_link.inner_text()
    house_link.click()
    expect(page.locator("h1#house-title")).to_have_text(address)
    assert_accessible(page)
    screenshot(page, "register-house")

    page.goto(f"{live_server.url}/register/residents/new")
    page.fill("#house", address)
    option = page.get_by_role("option", name=address, exact=True)
    expect(option).to_be_visible()
    screenshot(page, "register-new-person-house-picker")
    option.click()
    expect(page.locator("input[name=house]")).not_to_have_value("")
    page.fill("#name", "测试人")
    page.fill("#id_no", "123")
    page.click("form.stacked button[type=submit]")
    expect(page.locator("#id_no-error")).to_be_visible()
    expect(page.locator("#name")).to_have_value("测试人")
    expect(page.locator("#house")).to_have_value(address)
    assert_accessible(page)
    screenshot(page, "register-new-person-refused")


def test_dispatcher_picks_a_unit_by_typing_part_of_its_name(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    with make_session_factory(live_server.engine)() as session:
        user_id = auth_service.find_user_id(session, "dispatcher")
        assert user_id is not None
        actor = auth_service.actor_for_user(session, user_id)
        unit = next(u for u in units_for(session, actor) if u.kind == "department")
    page = login(browser, live_server, "dispatcher", demo_city.password, DESKTOP)
    page.goto(f"{live_server.url}/dispatch/queue")
    form = page.locator("form.dispatch-form").first
    expect(form).to_be_visible()
    search = form.locator("[data-unit-picker] input[role=combobox]")
    part = unit.name[1:3]
    search.fill(part)
    option = form.locator("ul.picker-list [role=option]", has_text=unit.name)
    expect(option.first).to_be_visible()
    screenshot(page, "dispatch-unit-picker")
    assert_accessible(page)
    option.first.click()
    expect(form.locator("select[name=lead]")).to_have_value(unit.value)
    expect(search).to_have_value(unit.name)

    co_search = form.locator("input[placeholder='输入单位名称中的字，选择后加入']")
    co_search.fill(part)
    form.locator("ul.picker-list:visible [role=option]", has_text=unit.name).first.click()
    expect(form.locator(f"input[name=co_units][value='{unit.value}']")).to_be_checked()
    expect(form.locator(".picker-chosen")).to_contain_text(unit.name)


def test_admin_picks_a_post_anchor_by_typing_part_of_its_name(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    page = login(browser, live_server, "admin", demo_city.password, DESKTOP)
    page.goto(f"{live_server.url}/admin/users")
    search = page.locator("#anchor-search")
    search.fill(demo_city.street_name[:2])
    option = page.get_by_role("option", name=re.compile("^" + re.escape(demo_city.street_name)))
    expect(option.first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "admin-anchor-picker")
    option.first.click()
    expect(page.locator("#anchor option:checked")).to_have_text(
        re.compile(re.escape(demo_city.street_name))
    )


def test_street_handler_sees_a_capped_count_for_a_broad_address_search(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity, monkeypatch: Any
) -> None:
    """A broad search counts up to the cap and says "more than" instead of an exact figure
    (the cap is lowered to the demo city's size); desktop and phone."""
    from playwright.sync_api import expect

    monkeypatch.setattr(register_queries, "RESIDENT_COUNT_CAP", 5)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = login(browser, live_server, "street", demo_city.password, viewport)
        page.goto(f"{live_server.url}/register?address=%E5%8F%B7")  # 号: every door plate
        results = page.locator("#register-results")
        expect(results.locator("p.muted").first).to_have_text("超过 5 人，请增加条件缩小范围")
        assert results.locator("tbody tr").count() > 5  # a page of 50 beyond the cap of 5
        assert_accessible(page)
        screenshot(page, f"register-search-capped-street-{size}")
        page.context.close()
