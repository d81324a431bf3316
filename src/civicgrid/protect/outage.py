"""Answers while the database is unreachable, and the health endpoints for load balancers.

A request whose database call fails because the server cannot be reached (connection refused,
connection lost, pool exhausted) gets 503 with ``Retry-After`` — JSON for the API, a short
Chinese page for the pages — and leaves one warning line in the log, not a traceback. The
engine's pre-ping replaces dead connections, so the app recovers by itself when the database
is back.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from civicgrid.migrate import alembic_config

log = logging.getLogger("civicgrid.protect")

UNAVAILABLE_MESSAGE = "服务暂时不可用（数据库连接中断），请稍后重试"

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>服务暂时不可用 · 基层治理平台</title><link rel="stylesheet" href="/static/css/app.css">
</head><body><main class="content"><section class="card error">
<h1>服务暂时不可用（503）</h1><p class="message">{message}</p>
<p>系统会自动恢复，请在 {seconds} 秒后刷新页面。</p></section></main></body></html>"""


def unavailable_response(request: Request, retry_after: int) -> Response:
    """503 with ``Retry-After``: JSON for the API and non-browser clients, else a page."""
    headers = {"Retry-After": str(retry_after), "Cache-Control": "no-store"}
    wants_html = not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )
    if wants_html:
        page = _PAGE.format(message=UNAVAILABLE_MESSAGE, seconds=retry_after)
        return HTMLResponse(page, status_code=503, headers=headers)
    body = {"detail": UNAVAILABLE_MESSAGE, "error": "Unavailable", "retry_after": retry_after}
    return JSONResponse(body, status_code=503, headers=headers)


def log_unreachable(request: Request, exc: BaseException) -> None:
    """One line per failed request: method, path and the driver's first line of text."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first_line = (str(cause).strip().splitlines() or [type(cause).__name__])[0][:200]
    log.warning(
        "database unreachable: %s %s -> 503 (%s: %s)",
        request.method,
        request.url.path,
        type(cause).__name__,
        first_line,
    )


@lru_cache(maxsize=1)
def script_heads() -> frozenset[str]:
    """The migration heads of this code (read once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def readiness(session: Session) -> dict[str, Any]:
    """Is the database reachable, and is its schema at this code's migration heads?"""
    try:
        session.execute(text("SELECT 1"))
        current = MigrationContext.configure(session.connection()).get_current_heads()
    except SQLAlchemyError as exc:
        return {"ready": False, "database": "unreachable", "detail": type(exc).__name__}
    finally:
        session.rollback()
    expected = script_heads()
    at_head = frozenset(current) == expected
    return {
        "ready": at_head,
        "database": "ok",
        "schema": "head" if at_head else "behind",
        "current": sorted(current),
        "expected": sorted(expected),
    }


health_router = APIRouter(tags=["health"])


@health_router.get("/healthz", summary="进程存活检查 (liveness)")
async def healthz() -> dict[str, str]:
    """The process is alive and serving; says nothing about the database."""
    return {"status": "ok"}


@health_router.get(
    "/readyz",
    summary="就绪检查 (readiness): 数据库可达且结构为最新",
    responses={503: {"description": "数据库不可达或结构不是最新"}},
)
def readyz(request: Request) -> JSONResponse:
    session: Session = request.app.state.session_factory()
    try:
        state = readiness(session)
    finally:
        session.close()
    if state["ready"]:
        return JSONResponse({"status": "ready", **state})
    retry_after: int = request.app.state.settings.outage_retry_after_s
    return JSONResponse(
        {"status": "not ready", **state},
        status_code=503,
        headers={"Retry-After": str(retry_after)},
    )
