"""Server-rendered pages (Jinja2 + htmx), one sub-package per area (appeals, dispatch, grid,
register, dashboard, portal, admin, participation, auth, home) over the helpers in ``shared``.
Routes translate HTTP to service calls; no rules. See docs/decisions/0002-web-by-area.md."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

STATIC_DIR = Path(__file__).parent / "static"


def mount_pages(app: FastAPI) -> None:
    """Include every page router: the one place page routes are registered. Imported when the
    pages are mounted, so that importing ``civicgrid.web`` (for STATIC_DIR) never loads Jinja."""
    from civicgrid.web.admin import exchange, manage, notices, open311_keys, webhooks
    from civicgrid.web.appeals import detail, intake, lists
    from civicgrid.web.auth import account, login
    from civicgrid.web.dashboard import leader, monthly_topic
    from civicgrid.web.dispatch import queue
    from civicgrid.web.grid import worker
    from civicgrid.web.home import start
    from civicgrid.web.notices import preference
    from civicgrid.web.participation import consultations, projects, volunteers
    from civicgrid.web.portal import resident
    from civicgrid.web.register import community_map, houses, residents, search

    app.include_router(login.router)
    app.include_router(account.router)
    app.include_router(start.router)
    # The fixed appeal pages (/appeals/new, /inbox, /supervision) before the detail (/appeals/{id}).
    app.include_router(intake.router)
    app.include_router(lists.router)
    app.include_router(detail.router)
    app.include_router(queue.router)
    app.include_router(resident.router)
    app.include_router(leader.router)
    app.include_router(monthly_topic.router)
    app.include_router(worker.router)
    app.include_router(manage.router)
    app.include_router(exchange.router)
    app.include_router(webhooks.router)
    app.include_router(notices.router)
    app.include_router(preference.router)
    app.include_router(open311_keys.router)
    app.include_router(search.router)
    app.include_router(residents.router)
    app.include_router(houses.router)
    app.include_router(consultations.router)
    app.include_router(volunteers.router)
    app.include_router(projects.router)
    app.include_router(community_map.router)
