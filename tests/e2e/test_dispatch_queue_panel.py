"""The dispatch queue in a real browser: the first order's dispatch form is in the page, another
order's form loads when its 派单 panel opens (keyboard too), with the unit search box of the
pickers; desktop and phone screenshots."""

from __future__ import annotations

from typing import Any

from civicgrid.appeals import service as appeals_service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.auth import service as auth_service
from civicgrid.db import make_session_factory
from civicgrid.deps import field_cipher
from civicgrid.media.store import LocalMediaStore
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import DemoCity, LiveServer, login_page, screenshot

Browser = Any


def _two_hotline_calls(server: LiveServer) -> None:
    """Two hotline complaints taken by the demo operator (through the use case): they wait in
    the dispatcher's queue."""
    settings = server.settings
    media = appeals_service.MediaPolicy(
        store=LocalMediaStore(settings.media_dir), max_bytes=settings.media_max_bytes
    )
    with make_session_factory(server.engine)() as session:
        user_id = auth_service.find_user_id(session, "operator")
        assert user_id is not None
        operator = auth_service.actor_for_user(session, user_id)
        for title in ("楼道堆放杂物", "夜间施工噪音"):
            appeals_service.submit_appeal(
                session,
                data=appeals_service.NewAppeal(
                    channel=Channel.HOTLINE,
                    appeal_type=AppealType.COMPLAINT,
                    title=title,
                    content=f"{title}，请尽快处理。",
                ),
                actor=operator,
                cipher=field_cipher(settings),
                media=media,
                now=server.clock.now(),
            )
        session.commit()


def test_another_orders_form_loads_when_its_panel_opens(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    _two_hotline_calls(live_server)
    for size, viewport in (("desktop", {"width": 1280, "height": 900}),
                           ("phone", {"width": 390, "height": 844})):  # fmt: skip
        page = login_page(browser, live_server, "dispatcher", demo_city.password, viewport)
        page.goto(f"{live_server.url}/dispatch/queue")
        expect(page.locator("form.dispatch-form")).to_have_count(1)
        panel = page.locator("details.dispatch-panel").first
        summary = panel.locator("summary")
        summary.focus()
        page.keyboard.press("Enter")
        form = panel.locator("form.dispatch-form")
        expect(form).to_be_visible()
        expect(form.locator("[data-unit-picker] input[role=combobox]")).to_be_visible()
        expect(page.locator("form.dispatch-form")).to_have_count(2)
        screenshot(page, f"dispatch-queue-panel-{size}")
        assert_accessible(page)
        page.context.close()
