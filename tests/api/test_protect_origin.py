"""Login CSRF: a login form posted from another site is refused before it runs."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_a_cross_site_login_post_is_refused_with_a_chinese_page(client: TestClient) -> None:
    response = client.post(
        "/login",
        data={"username": "admin", "password": "whatever-password"},
        headers={"Origin": "https://evil.example", "Accept": "text/html"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "跨站提交被拒绝" in response.text
    assert "set-cookie" not in response.headers
    assert response.headers["x-frame-options"] == "DENY"


def test_a_same_site_login_post_reaches_the_login(client: TestClient) -> None:
    response = client.post(
        "/login",
        data={"username": "nobody", "password": "whatever-password"},
        headers={"Origin": "http://testserver", "Accept": "text/html"},
        follow_redirects=False,
    )
    assert response.status_code != 403
    assert "跨站提交被拒绝" not in response.text


def test_the_json_api_serves_other_sites(client: TestClient) -> None:
    response = client.post("/api/v1/appeals", json={}, headers={"Origin": "https://app.example"})
    assert response.status_code == 401
