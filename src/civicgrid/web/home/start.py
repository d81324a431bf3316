"""The home page: who is logged in, their posts, and the pages their roles use."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from civicgrid.auth import service
from civicgrid.auth.deps import OptionalActor
from civicgrid.deps import DbSession
from civicgrid.web.shared.context import set_page_context
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])


@router.get("/", include_in_schema=False)
def home(request: Request, actor: OptionalActor, session: DbSession) -> Response:
    """Anonymous visitors go to the login page; others see their posts and navigation."""
    if actor is None or actor.user_id is None:
        return RedirectResponse("/login", status_code=303)
    set_page_context(request, actor)
    user = service.get_user(session, actor.user_id)
    return render(request, "home.html", {"posts": service.describe_posts(session, user)})
