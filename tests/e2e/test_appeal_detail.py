"""The appeal detail page in a real browser: the dispatcher sees one open primary action with
every other action in a closed <details> (the page once stacked 8 open forms, 2,927 px tall at
1280x800); the grid worker, on a phone, judges the unit's reply with its photo in the
verification list and on the detail page; the operator records two reports of one problem and
merges the second into the first with one click on the intake result. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import re
from typing import Any

from civicgrid.appeals import service as appeals_service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.auth import service as auth_service
from civicgrid.db import make_session_factory
from civicgrid.deps import field_cipher
from civicgrid.media.store import LocalMediaStore
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import DemoCity, LiveServer, login_page, screenshot, tiny_png

Page = Any
Browser = Any

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
REPLY = "已清理人行道上的建筑垃圾，并设置提示牌"


def _intake(
    page: Page, server: LiveServer, city: DemoCity, title: str, content: str
) -> tuple[str, str]:
    """Record one hotline appeal on the console's intake form; its number and page address."""
    page.goto(f"{server.url}/appeals/new")
    page.fill("#title", title)
    page.fill("#content", content)
    page.fill("#caller_phone", "13800004444")
    page.fill("#lon", f"{city.lon:.6f}")
    page.fill("#lat", f"{city.lat:.6f}")
    page.click("form.intake > p > button[type=submit]")
    heading = page.locator("#appeal-detail h1")
    heading.wait_for()
    found = re.search(r"\d{13}", heading.inner_text())
    assert found is not None
    return found.group(0), page.url.split("?")[0]


def _action_structure(page: Page) -> tuple[list[str], int, int]:
    """The open primary forms' ids, the number of folds and of open folds."""
    primary = page.locator(".primary-action form").evaluate_all("els => els.map(e => e.id)")
    folds = page.locator("details.action-fold")
    opened = page.locator("details.action-fold[open]")
    return list(primary), folds.count(), opened.count()


def test_dispatcher_sees_one_open_action_and_merges_a_duplicate_in_one_click(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    server = live_server
    operator = login_page(browser, server, "operator", demo_city.password, DESKTOP)
    first, first_url = _intake(
        operator,
        server,
        demo_city,
        "人行道建筑垃圾堆放",
        "小区门口人行道上堆了很多建筑垃圾，行人只能走机动车道，很危险。",
    )
    second, second_url = _intake(
        operator,
        server,
        demo_city,
        "门口人行道堆满建筑垃圾",
        "门口人行道被建筑垃圾堆满了，行人只能走到机动车道上。",
    )
    # The intake result names the first report as a likely duplicate of the second.
    duplicates = operator.locator("section.duplicates")
    row = duplicates.locator(f'tr.duplicate-row[data-number="{first}"]')
    expect(row).to_contain_text("人行道建筑垃圾堆放")
    expect(row).to_contain_text("%")
    screenshot(operator, "detail-01-operator-intake-duplicates")
    assert_accessible(operator)

    # The dispatcher opens the first: dispatch open and prominent, everything else folded.
    dispatcher = login_page(browser, server, "dispatcher", demo_city.password, DESKTOP)
    dispatcher.goto(first_url)
    expect(dispatcher.locator(".primary-action h3")).to_have_text("下一步：派单")
    expect(dispatcher.locator("section.duplicates")).to_contain_text(second)  # loaded after
    primary, folds, opened = _action_structure(dispatcher)
    assert primary == ["form-dispatch"]
    assert folds >= 5
    assert opened == 0
    screenshot(dispatcher, "detail-02-dispatcher-next-action")
    assert_accessible(dispatcher)
    # A folded action opens from the keyboard: focus its summary, press Enter.
    dispatcher.locator("#fold-merge > summary").focus()
    dispatcher.keyboard.press("Enter")
    expect(dispatcher.locator("#fold-merge")).to_have_attribute("open", "")
    expect(dispatcher.locator("#merge-merge")).to_be_visible()

    # The dispatch queue shows each row's likely duplicates once the row scrolls into view.
    dispatcher.goto(f"{server.url}/dispatch/queue")
    queued = dispatcher.locator(f"#queue-row-{second_url.rsplit('/', 1)[-1]}")
    queued.scroll_into_view_if_needed()
    candidate = queued.locator(f'tr.duplicate-row[data-number="{first}"]')
    expect(candidate).to_contain_text("合并到此工单")
    screenshot(dispatcher, "detail-06-dispatch-queue-duplicates")
    assert_accessible(dispatcher)
    dispatcher.goto(first_url)

    # One click merges the second report into the first (the operator's intake result).
    operator.locator(f'tr.duplicate-row[data-number="{first}"] button').click()
    expect(operator.locator("#appeal-detail h1")).to_contain_text("已并单")
    expect(operator.locator("#appeal-detail .merged-into")).to_contain_text(first)
    expect(operator.locator("ol.timeline")).to_contain_text("并单")
    screenshot(operator, "detail-03-operator-merged")
    dispatcher.reload()
    expect(dispatcher.locator("#appeal-detail .merged-in")).to_contain_text(second)
    expect(dispatcher.locator("ol.timeline")).to_contain_text(f"并入工单 {second}")


def _awaiting_verification(server: LiveServer, city: DemoCity) -> tuple[int, str, str]:
    """A patrol report in the demo grid worker's grid, dispatched to the street above it and
    replied with a photo, built through the use cases: (id, number, handler's name)."""
    settings = server.settings
    media = appeals_service.MediaPolicy(
        store=LocalMediaStore(settings.media_dir), max_bytes=settings.media_max_bytes
    )
    now = server.clock.now()
    with make_session_factory(server.engine)() as session:

        def actor(name: str) -> Any:
            user_id = auth_service.find_user_id(session, name)
            assert user_id is not None
            return auth_service.actor_for_user(session, user_id)

        grid, street = actor("grid"), actor("street")
        grid_path = next(iter(grid.scope.region_paths))
        street_path = next(iter(street.scope.region_paths))
        assert grid_path.startswith(street_path), "the demo grid worker's grid is in the street"
        grid_id = int(grid_path.strip("/").split("/")[-1])
        street_id = int(street_path.strip("/").split("/")[-1])
        appeal = appeals_service.submit_appeal(
            session,
            data=appeals_service.NewAppeal(
                channel=Channel.GRID_PATROL,
                appeal_type=AppealType.REPORT,
                title="人行道建筑垃圾",
                content="人行道上有一堆建筑垃圾，影响通行。",
                region_id=grid_id,
                lon=city.grid_lon,
                lat=city.grid_lat,
                photos=(tiny_png((150, 120, 90)),),
            ),
            actor=grid,
            cipher=field_cipher(settings),
            media=media,
            now=now,
        )
        aid, number = appeal.id, appeal.number
        appeals_service.dispatch(
            session, appeal_id=aid, lead=("region", street_id), actor=actor("dispatcher"), now=now
        )
        appeals_service.sign(session, appeal_id=aid, actor=street, now=now)
        appeals_service.contact(session, appeal_id=aid, actor=street, now=now)
        appeals_service.reply(
            session,
            appeal_id=aid,
            text=REPLY,
            photos=(tiny_png((40, 160, 60)),),
            media=media,
            actor=street,
            now=now,
        )
        return aid, number, street.display_name


def test_grid_worker_judges_the_reply_with_its_photo_on_a_phone(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    aid, number, handler = _awaiting_verification(live_server, demo_city)
    page = login_page(browser, live_server, "grid", demo_city.password, PHONE)
    page.goto(f"{live_server.url}/grid/tasks")
    item = page.locator(f"#task-{aid}")
    expect(item).to_contain_text(REPLY)
    # htmx replaced the text-only block by the full result with the photo.
    expect(item.locator('.judged-result img[alt="办理结果照片 1"]')).to_be_visible()
    expect(item.locator(".judged-result")).to_contain_text(handler)
    screenshot(page, "detail-04-grid-verify-list-phone")
    assert_accessible(page)

    page.click(f"#task-{aid} a >> text={number}")
    expect(page.locator(".primary-action h3")).to_have_text("下一步：核查通过")
    result = page.locator("#appeal-detail .judged-result")
    expect(result).to_contain_text(REPLY)
    expect(result.locator("img")).to_be_visible()
    expect(page.locator("ol.timeline")).not_to_contain_text("street(")
    expect(page.locator("ol.timeline")).to_contain_text(f"{handler}（")
    screenshot(page, "detail-05-grid-verify-detail-phone")
    assert_accessible(page)
    page.click(".primary-action button[type=submit]")
    expect(page.locator("#appeal-detail h1")).to_contain_text("已结案")
