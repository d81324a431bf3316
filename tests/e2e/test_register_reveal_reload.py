"""The register's reveal in a real browser: reloading the revealed page re-posts the form, and
the answer is "已查看，请重新申请" without the identity and without a second audit entry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from civicgrid.audit.models import AuditEntry
from civicgrid.db import make_session_factory
from tests.e2e.conftest import DemoCity, LiveServer, login_page, screenshot
from tests.e2e.test_register_pages import resident_of

PHONE = {"width": 390, "height": 844}


def _reveals(server: LiveServer, resident_id: int) -> int:
    with make_session_factory(server.engine)() as session:
        return (
            session.scalar(
                select(func.count()).where(
                    AuditEntry.action == "register.resident.reveal",
                    AuditEntry.subject_id == str(resident_id),
                )
            )
            or 0
        )


def test_reloading_a_revealed_identity_does_not_reveal_it_again(
    browser: Any, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    resident_id, _tags = resident_of(live_server, "street")
    before = _reveals(live_server, resident_id)
    page = login_page(browser, live_server, "street", demo_city.password, PHONE)
    page.goto(f"{live_server.url}/register/residents/{resident_id}")
    page.click("#reveal summary")
    page.fill("#reason", "核实低保申请的身份信息")
    page.click("#reveal button[type=submit]")
    expect(page.locator("#revealed-id-no")).to_be_visible()
    assert _reveals(live_server, resident_id) == before + 1

    page.reload()  # the browser re-posts the same form
    expect(page.locator("#reason-error")).to_contain_text("已查看，请重新申请")
    expect(page.locator("#revealed-id-no")).to_have_count(0)
    assert _reveals(live_server, resident_id) == before + 1
    screenshot(page, "register-reveal-reloaded-phone")
