"""Wires request protection into the app: one call from ``create_app``."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.clock import Clock
from civicgrid.config import Settings
from civicgrid.errors import Throttled, Unavailable
from civicgrid.protect.contract import install_contract
from civicgrid.protect.headers import SecurityHeadersMiddleware
from civicgrid.protect.idempotency import (
    IdempotencyMiddleware,
    IdempotentReplay,
    replay_response,
)
from civicgrid.protect.origin import SameOriginPostsMiddleware
from civicgrid.protect.outage import (
    health_router,
    log_unreachable,
    unavailable_response,
)
from civicgrid.protect.routes import throttle_route
from civicgrid.protect.throttle import build_throttle
from civicgrid.protect.unreachable import is_unreachable


def install(
    app: FastAPI,
    *,
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> None:
    """Security headers, the throttle on ``app.state.throttle``, idempotent answers, 429/503
    answers, health.

    Call it before the routers are included: the route throttle is an app-wide dependency,
    which FastAPI gives to the routes added after it."""
    app.state.throttle = build_throttle(
        redis_url=settings.redis_url,
        enabled=settings.throttle_enabled,
        session_factory=session_factory,
        clock=clock,
    )
    app.router.dependencies.append(Depends(throttle_route))
    app.add_middleware(IdempotencyMiddleware, session_factory=session_factory)
    app.add_middleware(SameOriginPostsMiddleware)
    app.add_middleware(
        SecurityHeadersMiddleware,
        https_only=settings.cookie_secure,
        map_tile_url=settings.map_tile_url,
    )
    app.add_exception_handler(Throttled, _throttled)
    app.add_exception_handler(IdempotentReplay, replay_response)
    app.add_exception_handler(Unavailable, _unavailable)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)
    app.include_router(health_router)
    install_contract(app)


def _throttled(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Throttled)
    headers = {"Retry-After": str(exc.retry_after)}
    if not _wants_json(request):
        from civicgrid.web.shared.render import error_page

        page = error_page(request, exc.status_code, exc.message)
        page.headers.update(headers)
        return page
    body: dict[str, Any] = {
        "detail": exc.message,
        "error": "Throttled",
        "retry_after": exc.retry_after,
    }
    return JSONResponse(body, status_code=429, headers=headers)


def _unavailable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Unavailable)
    return unavailable_response(request, exc.retry_after)


def _database_error(request: Request, exc: Exception) -> Response:
    if not is_unreachable(exc):
        raise exc  # a fault in a statement stays a 500 with its traceback in the log
    log_unreachable(request, exc)
    return unavailable_response(request, request.app.state.settings.outage_retry_after_s)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
        "accept", ""
    )
