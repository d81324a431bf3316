"""Which requests count as cross-site form posts to the pages (pure rule)."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from civicgrid.protect.origin import is_cross_site

HOST = {"host": "gov.example.cn"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "refused"),
    [
        ("POST", "/login", {**HOST, "origin": "https://evil.example"}, True),
        ("POST", "/login", {**HOST, "origin": "null"}, True),
        ("POST", "/login", {**HOST, "referer": "https://evil.example/page"}, True),
        ("POST", "/login", {**HOST, "origin": "https://gov.example.cn"}, False),
        ("POST", "/login", {**HOST, "origin": "https://GOV.example.cn"}, False),
        ("POST", "/login", {**HOST, "referer": "https://gov.example.cn/login"}, False),
        ("POST", "/login", HOST, False),
        ("POST", "/login", {**HOST, "origin": "https://gov.example.cn:8443"}, True),
        ("GET", "/login", {**HOST, "origin": "https://evil.example"}, False),
        ("DELETE", "/appeals/1", {**HOST, "origin": "https://evil.example"}, True),
        ("POST", "/api/v1/appeals", {**HOST, "origin": "https://app.example"}, False),
        ("POST", "/open311/v2/requests.json", {**HOST, "origin": "https://app.example"}, False),
    ],
)
def test_cross_site_unsafe_page_requests_are_recognised(
    method: str, path: str, headers: dict[str, str], refused: bool
) -> None:
    assert is_cross_site(method, path, Headers(headers)) is refused
