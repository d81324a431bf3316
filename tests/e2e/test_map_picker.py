"""The grid worker's map picker in a real browser (phone size): the map opens on the worker's
own grids with permanent name labels, a tap on a grid chooses it in 所在网格 and highlights it,
and choosing a grid in the select highlights it on the map."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import DemoCity, LiveServer, login_page, screenshot

Page = Any
Browser = Any

DESKTOP = {"width": 1280, "height": 800}
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def test_a_tap_on_my_grid_chooses_and_highlights_it(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    page = login_page(browser, live_server, "grid", demo_city.password, PHONE)
    page.goto(f"{live_server.url}/grid/report")
    own = page.locator("#region_id option:not([value=''])").first
    grid_id = own.get_attribute("value")
    grid_name = own.inner_text().strip()
    assert grid_id
    label = page.locator(".map-label", has_text=grid_name).first
    expect(label).to_be_visible()
    expect(page.locator("#region_id")).to_have_value("")
    box = label.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#region_id")).to_have_value(grid_id)
    expect(page.locator(".map-picker .map")).to_have_attribute("data-chosen", grid_id)
    expect(page.locator("#lon")).to_have_value(re.compile(r"^\d+\.\d{6}$"))
    screenshot(page, "grid-map-picker-phone")

    page.select_option("#region_id", "")
    expect(page.locator(".map-picker .map")).to_have_attribute("data-chosen", "")
    page.select_option("#region_id", grid_id)
    expect(page.locator(".map-picker .map")).to_have_attribute("data-chosen", grid_id)


def test_the_report_page_at_desktop_size_shows_labelled_grids(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    page = login_page(browser, live_server, "grid", demo_city.password, WIDE)
    page.goto(f"{live_server.url}/grid/report")
    expect(page.locator(".map-label").first).to_be_visible()
    screenshot(page, "grid-map-picker-desktop")


def test_a_refused_report_focuses_the_field_and_keeps_the_choice(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    page = login_page(browser, live_server, "grid", demo_city.password, PHONE)
    page.goto(f"{live_server.url}/grid/report")
    grid_id = page.locator("#region_id option:not([value=''])").first.get_attribute("value")
    assert grid_id
    page.fill("#title", "路灯不亮")
    page.fill("#content", "小区北门路灯不亮。")
    page.fill("#lon", f"{demo_city.grid_lon:.6f}")
    page.fill("#lat", f"{demo_city.grid_lat:.6f}")
    page.select_option("#region_id", grid_id)
    page.click("form.stacked > p > button[type=submit]")
    expect(page.locator("#photos-error")).to_contain_text("须附照片")
    expect(page.locator("#photos")).to_be_focused()
    expect(page.locator("#photos")).to_be_in_viewport()
    expect(page.locator("#title")).to_have_value("路灯不亮")
    expect(page.locator(".map-picker .map")).to_have_attribute("data-chosen", grid_id)
    screenshot(page, "grid-report-refused-phone")


_LABELS_APART = """() => {
  const boxes = Array.from(document.querySelectorAll('#community-map .map-label'))
    .filter((l) => getComputedStyle(l).display !== 'none')
    .map((l) => l.getBoundingClientRect());
  let clashes = 0;
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) clashes++;
  }));
  return {shown: boxes.length, clashes: clashes};
}"""


def test_the_community_map_walks_down_with_labels_apart_a_legend_and_a_measure(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    for size, viewport in (("desktop", {"width": 1366, "height": 900}),
                           ("phone", {"width": 390, "height": 844})):  # fmt: skip
        page = login_page(browser, live_server, "leader", demo_city.password, viewport)
        page.goto(f"{live_server.url}/community-map?measure=open")
        expect(page.locator("h1")).to_contain_text("未办结诉求")
        expect(page.locator("#map-legend")).to_be_visible()
        expect(page.locator("#community-map")).to_have_attribute("data-state", "ready")
        expect(page.locator("#community-map .map-label").first).to_be_visible()
        labels = page.evaluate(_LABELS_APART)
        assert labels["shown"] >= 1, labels
        assert labels["clashes"] == 0, labels
        screenshot(page, f"community-map-{size}")
        # Down one level through the table (keyboard and screen readers use it too).
        first = page.locator("#grid-table tbody a").first
        name = first.inner_text().strip()
        first.focus()
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_contain_text(name)
        expect(page.locator('nav.crumbs [aria-current="page"]')).to_have_text(name)
        expect(page.locator("#community-map")).to_have_attribute("data-state", "ready")
        labels = page.evaluate(_LABELS_APART)
        assert labels["shown"] >= 1, labels
        assert labels["clashes"] == 0, labels
        screenshot(page, f"community-map-down-{size}")
        # Down once more from the map: a tap on a shape opens its figures and a link.
        page.locator("#community-map path.leaflet-interactive").first.click(force=True)
        link = page.locator(".leaflet-popup-content a")
        expect(link).to_be_visible()
        link.click()
        expect(page.locator("nav.crumbs li")).to_have_count(3)
        expect(page.locator("#community-map")).to_have_attribute("data-state", "ready")
        screenshot(page, f"community-map-down2-{size}")
        page.context.close()


_OUTSIDE_THE_MAP = """() => {
  const map = document.querySelector('.map-picker .map').getBoundingClientRect();
  const grids = Array.from(document.querySelectorAll('.map-picker path.own-grid'));
  const outside = grids.map((p) => p.getBoundingClientRect()).filter((g) =>
    g.left < map.left - 1 || g.right > map.right + 1 ||
    g.top < map.top - 1 || g.bottom > map.bottom + 1);
  return {own: grids.length, outside: outside.length};
}"""


def test_at_desktop_size_the_picker_opens_with_my_grids_inside_the_map(
    browser: Browser, live_server: LiveServer, demo_city: DemoCity
) -> None:
    from playwright.sync_api import expect

    page = login_page(browser, live_server, "grid", demo_city.password, DESKTOP)
    page.goto(f"{live_server.url}/grid/report")
    expect(page.locator(".map-picker .map")).to_have_attribute("data-fitted", "true")
    own = page.locator("#region_id option:not([value=''])").count()
    expect(page.locator(".map-picker path.own-grid")).to_have_count(own)
    page.wait_for_function(f"() => ({_OUTSIDE_THE_MAP})().outside === 0")
    assert page.evaluate(_OUTSIDE_THE_MAP) == {"own": own, "outside": 0}
    screenshot(page, "grid-map-picker-desktop-fitted")
    # The layout changes the map's width after it was drawn (Leaflet remembers the old size and
    # would leave the grids off to the right): the picker measures again and refits.
    page.evaluate("() => { document.querySelector('.map-picker .map').style.width = '360px'; }")
    page.wait_for_function(f"() => ({_OUTSIDE_THE_MAP})().outside === 0")
    screenshot(page, "grid-map-picker-desktop-narrowed")
