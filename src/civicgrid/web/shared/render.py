"""Render a full page or, for an htmx request, only its fragment (one source of markup)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from civicgrid.web.shared.templating import templates


def is_htmx(request: Request) -> bool:
    """An htmx swap request (boosted navigations get the full page)."""
    return (
        request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
    )


def render(
    request: Request,
    page: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``page``; for htmx requests render ``fragment`` instead when one is given."""
    ctx: dict[str, Any] = {"request": request}
    ctx.update(getattr(request.state, "page_context", {}))
    ctx.update(context or {})
    template = fragment if fragment is not None and is_htmx(request) else page
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    """A readable error page for browser requests."""
    return render(
        request,
        "error.html",
        {"status_code": status_code, "message": message},
        status_code=status_code,
    )
