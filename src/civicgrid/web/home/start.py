"""The landing page (/): the workbench of the logged-in person — counts of what waits for them
or their unit, each linking to its list, and the page where the work is done. Also the
site-wide pages outside any area: the favicon and the JSON API documentation (/api/v1/docs,
Swagger UI from the app's own static files, so it works without internet access)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from civicgrid.appeals.queries import workbench as queues
from civicgrid.auth import service
from civicgrid.auth.deps import OptionalActor
from civicgrid.auth.roles import Role
from civicgrid.deps import DbSession, Now
from civicgrid.web.home.workbench import ADMIN_LINKS, groups_for
from civicgrid.web.shared.appeal_rows import appeal_row
from civicgrid.web.shared.context import set_page_context
from civicgrid.web.shared.render import render
from civicgrid.web.shared.templating import TEMPLATES_DIR, templates

router = APIRouter(tags=["pages"])

RESIDENT_RECENT = 10
FAVICON = TEMPLATES_DIR.parent / "static" / "favicon.ico"


@router.get("/api/v1/docs", include_in_schema=False)
def api_docs(request: Request) -> Response:
    """Swagger UI over /api/v1/openapi.json, from local assets (npm swagger-ui-dist)."""
    return templates.TemplateResponse(
        request, "api_docs.html", {"openapi_url": request.app.openapi_url}
    )


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """The site icon browsers ask for on every page (also at /static/favicon.svg)."""
    return FileResponse(
        FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/", include_in_schema=False)
def home(request: Request, actor: OptionalActor, session: DbSession, now: Now) -> Response:
    """Anonymous visitors go to the login page; others see their workbench."""
    if actor is None or actor.user_id is None:
        return RedirectResponse("/login", status_code=303)
    set_page_context(request, actor)
    user = service.get_user(session, actor.user_id)
    posts = [p for p in service.describe_posts(session, user) if p.role is not Role.RESIDENT]
    recent = []
    if actor.has_role(Role.RESIDENT):
        page = queues.list_queue(session, actor, "my_all", now=now, limit=RESIDENT_RECENT)
        recent = [appeal_row(a, now) for a in page.items]
    return render(
        request,
        "home.html",
        {
            "posts": posts,
            "groups": groups_for(session, actor, now),
            "recent": recent,
            "resident": actor.has_role(Role.RESIDENT),
            "admin_links": ADMIN_LINKS if actor.has_role(Role.ADMIN) else (),
        },
    )
