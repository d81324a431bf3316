"""Server-rendered pages (Jinja2 + htmx). Routes translate HTTP to service calls; no rules."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"


def mount_pages(app: FastAPI) -> None:
    """Include every page router. Imported lazily so that the JSON API never needs Jinja."""
    from civicgrid.web import home, login

    app.include_router(login.router)
    app.include_router(home.router)
