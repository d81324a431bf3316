"""Server-rendered pages (Jinja2 + htmx). Routes translate HTTP to service calls; no rules."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"


def mount_pages(app: FastAPI) -> None:
    """Include every page router. Imported lazily so that the JSON API never needs Jinja."""
    from civicgrid.web import (
        admin,
        appeal_detail,
        appeal_pages,
        community_map,
        dashboard,
        dispatch_pages,
        grid,
        home,
        login,
        participation,
        portal,
        register_pages,
    )

    app.include_router(login.router)
    app.include_router(home.router)
    # The list pages (/appeals/new, /inbox, /supervision) before the detail (/appeals/{id}).
    app.include_router(appeal_pages.router)
    app.include_router(appeal_detail.router)
    app.include_router(dispatch_pages.router)
    app.include_router(portal.router)
    app.include_router(dashboard.router)
    app.include_router(grid.router)
    app.include_router(admin.router)
    app.include_router(register_pages.router)
    app.include_router(participation.router)
    app.include_router(community_map.router)
