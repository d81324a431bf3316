"""Security headers on every response (a pure ASGI middleware, no per-request thread hop).

The Content-Security-Policy allows scripts from the site itself only: the pages keep their
JavaScript in static files (htmx, ECharts, Leaflet and the own scripts under /static/js) and
hand data to it in ``<script type="application/json">`` blocks, which are data, not code.
Styles may be inline because Leaflet, ECharts and htmx set them at run time. The interactive
API documentation (/api/v1/docs) is no exception: Swagger UI is served from the app's own static
files with its start-up script in /static/js, under the same policy as every page.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HSTS = "max-age=31536000; includeSubDomains"


def security_headers(*, https_only: bool) -> dict[str, str]:
    """The headers every response carries (pure; the middleware applies them)."""
    headers = {
        "Content-Security-Policy": PAGE_POLICY,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), payment=(), geolocation=(self)",
    }
    if https_only:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeadersMiddleware:
    """Adds :func:`security_headers` to every HTTP response; a header a route set itself wins."""

    def __init__(self, app: ASGIApp, *, https_only: bool) -> None:
        self.app = app
        self.https_only = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(https_only=self.https_only)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
