"""Security headers on every response (a pure ASGI middleware, no per-request thread hop).

The Content-Security-Policy allows scripts from the site itself only: the pages keep their
JavaScript in static files (htmx, ECharts, Leaflet and the own scripts under /static/js) and
hand data to it in ``<script type="application/json">`` blocks, which are data, not code.
Styles may be inline because Leaflet, ECharts and htmx set them at run time. The interactive
API documentation (/api/v1/docs) is no exception: Swagger UI is served from the app's own static
files with its start-up script in /static/js, under the same policy as every page. Images come
from the site itself, plus the basemap tile server's origin when one is configured
(``CIVICGRID_MAP_TILE_URL``; without it no map requests a tile).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def page_policy(img_sources: tuple[str, ...] = ()) -> str:
    """The Content-Security-Policy of every response; ``img_sources`` are further origins
    images may come from (the basemap's tile server)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            " ".join(["img-src 'self' data: blob:", *img_sources]),
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


PAGE_POLICY = page_policy()


def tile_source(url_template: str) -> str:
    """The CSP source of a Leaflet tile URL template: its scheme, host and port, with a
    ``{s}`` subdomain label as ``*`` (``https://t{s}.tianditu.gov.cn/…`` allows
    ``https://*.tianditu.gov.cn``); empty for an empty template. A placeholder anywhere else
    in the host cannot be expressed in a CSP and is refused (ValueError)."""
    if not url_template:
        return ""
    parts = urlsplit(url_template)
    labels = parts.netloc.split(".")
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        raise ValueError(f"map tile URL must be an http(s) URL: {url_template!r}")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label or "}" in label for label in labels):
        raise ValueError(
            f"map tile URL: only the first host label may be a placeholder: {url_template!r}"
        )
    return f"{parts.scheme}://{'.'.join(labels)}"


HSTS = "max-age=31536000; includeSubDomains"


def security_headers(*, https_only: bool, img_sources: tuple[str, ...] = ()) -> dict[str, str]:
    """The headers every response carries (pure; the middleware applies them)."""
    headers = {
        "Content-Security-Policy": page_policy(img_sources),
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

    def __init__(self, app: ASGIApp, *, https_only: bool, map_tile_url: str = "") -> None:
        self.app = app
        source = tile_source(map_tile_url)
        self.extra = security_headers(
            https_only=https_only, img_sources=(source,) if source else ()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.extra

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
