"""What every logged-in page needs in its template: the actor, the CSRF token and the
navigation. Page modules depend on :data:`PageActor` (or :func:`page_actor`)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request

from civicgrid.auth.actor import Actor
from civicgrid.auth.deps import OptionalActor, csrf_token_for
from civicgrid.web.shared.navigation import nav_items
from civicgrid.web.shared.render import is_htmx


def set_page_context(request: Request, actor: Actor | None) -> None:
    """Put ``actor``, ``csrf_token`` and ``nav_items`` where ``web.shared.render.render`` finds
    them."""
    context = dict(getattr(request.state, "page_context", {}))
    context.update(
        actor=actor,
        csrf_token=csrf_token_for(request),
        nav_items=nav_items(actor.roles, request.url.path) if actor else [],
    )
    request.state.page_context = context


def login_redirect(request: Request) -> HTTPException:
    """A 303 to the login page that comes back here afterwards. An htmx swap would follow a
    303 inside the XHR and paste the login form into the page, so htmx gets a 401 with
    ``HX-Redirect`` instead, which htmx turns into a full navigation."""
    # For htmx, come back to the page the user was on, not to the fragment's URL.
    page = urlsplit(request.headers.get("HX-Current-URL", "")) if is_htmx(request) else None
    if page is not None and page.path.startswith("/"):
        target = page.path + (f"?{page.query}" if page.query else "")
    else:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/login?next=" + quote(target, safe="")
    if is_htmx(request):
        return HTTPException(status_code=401, detail="请先登录", headers={"HX-Redirect": location})
    return HTTPException(status_code=303, detail="请先登录", headers={"Location": location})


def page_actor(request: Request, actor: OptionalActor) -> Actor:
    """The logged-in actor of a page request, with the page context set; anonymous visitors
    are redirected to the login page."""
    if actor is None:
        raise login_redirect(request)
    set_page_context(request, actor)
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]
