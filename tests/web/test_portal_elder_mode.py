"""The portal's 长辈版: a plain-link switch, remembered in a cookie, that marks every portal page
(logged in or not) and never redirects off the portal."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import LoginAs

from civicgrid.web.portal import elder


def test_switch_on_sets_the_cookie_and_returns_to_the_page(
    client: TestClient, login: LoginAs
) -> None:
    login("resident")
    before = client.get("/portal/report")
    assert 'class="elder"' not in before.text
    assert "长辈版（大字）" in before.text
    r = client.get(
        "/portal/elder", params={"on": "1", "next": "/portal/report"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/portal/report"
    assert "civicgrid_elder=1" in r.headers["set-cookie"]
    for path in ("/portal/report", "/portal"):
        page = client.get(path)
        assert '<body class="elder"' in page.text, path
        assert "切换到标准版" in page.text


def test_switch_off_forgets_the_choice(client: TestClient, login: LoginAs) -> None:
    login("resident")
    client.get("/portal/elder", params={"on": "1"})
    r = client.get("/portal/elder", params={"on": "0", "next": "/portal"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/portal")
    assert 'class="elder"' not in page.text
    assert "长辈版（大字）" in page.text


def test_tracking_page_without_login_offers_the_switch(client: TestClient) -> None:
    r = client.get("/portal/elder", params={"on": "1", "next": "/portal/track"})
    assert r.status_code == 200
    assert '<body class="elder"' in r.text
    assert "诉求进度查询" in r.text


def test_staff_pages_are_not_affected(client: TestClient, login: LoginAs) -> None:
    login("operator")
    client.get("/portal/elder", params={"on": "1"}, follow_redirects=False)
    page = client.get("/appeals/new")
    assert 'class="elder"' not in page.text
    assert "长辈版" not in page.text


def test_a_bad_switch_value_is_a_400_with_a_message(client: TestClient) -> None:
    r = client.get("/portal/elder", params={"on": "yes"})
    assert r.status_code == 400
    assert "只能是 1（打开）或 0（关闭）" in r.text


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/portal/report", "/portal/report"),
        ("/portal/appeals/7?done=submit", "/portal/appeals/7?done=submit"),
        ("/portal", "/portal"),
        (None, "/portal"),
        ("", "/portal"),
        ("https://evil.example/portal", "/portal"),
        ("//evil.example/portal", "/portal"),
        ("/portalx", "/portal"),
        ("/portal/../admin", "/portal"),
        ("/portal//evil.example", "/portal"),
        ("/admin", "/portal"),
    ],
)
def test_the_return_path_stays_on_the_portal(candidate: str | None, expected: str) -> None:
    assert elder.return_path(candidate) == expected


def test_the_switch_link_turns_the_mode_the_other_way() -> None:
    off = elder.switch_for(False, "/portal/report")
    assert off.href == "/portal/elder?on=1&next=%2Fportal%2Freport"
    on = elder.switch_for(True, "/admin")
    assert on.href == "/portal/elder?on=0&next=%2Fportal"
    assert on.label == "切换到标准版"
