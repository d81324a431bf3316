"""Cross-site form posts to the pages are refused by their ``Origin`` (login CSRF included).

Browsers send ``Origin`` with every POST (and ``Referer`` unless told not to). A page form
posted from another site — the login form included, which has no session and so no CSRF token
yet — carries a foreign origin and is refused with 403 before any route runs. Requests without
either header (scripts, ``curl``) are left to the CSRF token check of the pages. The JSON API
(``/api/``) and the Open311 endpoints (``/open311/``) serve other sites by design and
authenticate by token or API key, never by cookie alone, so they are not checked here.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EXEMPT_PREFIXES = ("/api/", "/open311/")
REFUSED_MESSAGE = "跨站提交被拒绝：请从本站页面提交表单"
_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>请求被拒绝 · 基层治理平台</title>
<link rel="stylesheet" href="/static/css/app.css"></head><body><main class="content">
<section class="card error"><h1>请求被拒绝（403）</h1><p class="message">{message}</p>
<p><a href="/">返回首页</a></p></section></main></body></html>"""


def is_cross_site(method: str, path: str, headers: Headers) -> bool:
    """Is this an unsafe request to a page whose ``Origin`` (or ``Referer``) names another
    host than the one it was sent to? (pure)"""
    if method not in UNSAFE_METHODS or path.startswith(EXEMPT_PREFIXES):
        return False
    source = headers.get("origin") or headers.get("referer")
    if source is None:
        return False
    if source == "null":  # an opaque origin: sandboxed frame, data: URL, cross-site redirect
        return True
    host = headers.get("host", "")
    return urlsplit(source).netloc.lower() != host.lower()


class SameOriginPostsMiddleware:
    """Answers 403 to cross-site unsafe requests to the pages (see :func:`is_cross_site`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_cross_site(
            scope["method"], scope["path"], Headers(scope=scope)
        ):
            await self.app(scope, receive, send)
            return
        body = _PAGE.format(message=REFUSED_MESSAGE).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode("ascii")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
