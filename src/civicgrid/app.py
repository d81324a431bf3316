"""FastAPI application factory: mounts every package's API router and the web pages."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.appeals.api import router as appeals_router
from civicgrid.assessment.api import router as assessment_router
from civicgrid.auth.api import router as auth_router
from civicgrid.clock import Clock, SystemClock
from civicgrid.config import Settings, get_settings
from civicgrid.db import make_engine, make_read_engine, make_session_factory
from civicgrid.dispatch.api import router as dispatch_router
from civicgrid.errors import DomainError, Invalid
from civicgrid.events.api import router as events_router
from civicgrid.exchange.api import router as exchange_router
from civicgrid.insight.api import router as insight_router
from civicgrid.jobs.registry import default_jobs
from civicgrid.jobs.runner import JobLoop
from civicgrid.notify.api import router as notices_router
from civicgrid.open311.api import router as open311_router
from civicgrid.participation.api import routers as participation_routers
from civicgrid.protect import edge as protect_edge
from civicgrid.register.api import router as register_router
from civicgrid.register.api_edits import router as register_edits_router
from civicgrid.territory.api import router as territory_router
from civicgrid.web import STATIC_DIR, mount_pages


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: sessionmaker[Session] | None = None,
    read_session_factory: sessionmaker[Session] | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the app. Tests pass a session factory bound to a rolled-back connection and a
    frozen clock; ``civicgrid serve`` passes nothing and gets the configured database, and the
    read database of reports and dashboards when ``read_database_url`` is set (without one,
    they read through the request's own session)."""
    settings = settings or get_settings()
    clock = clock or SystemClock()
    own_engine: Engine | None = None
    read_engine: Engine | None = None
    if session_factory is None:
        own_engine = make_engine(settings.resolved_database_url)
        session_factory = make_session_factory(own_engine)
        if read_session_factory is None and settings.read_database_url:
            read_engine = make_read_engine(settings.read_database_url)
            read_session_factory = make_session_factory(read_engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        loop: JobLoop | None = None
        if own_engine is not None and settings.run_jobs_in_process:
            loop = JobLoop(own_engine, default_jobs(), clock)
            loop.start_thread()
        yield
        if loop is not None:
            loop.stop.set()
        for engine in (own_engine, read_engine):
            if engine is not None:
                engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="civicgrid",
        version="0.1.0",
        description="网格化服务管理 · 接诉即办 · 人房 · 议事协商 — JSON API",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served from local assets by civicgrid.web.home.start
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.read_session_factory = read_session_factory
    app.state.clock = clock

    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DataError, _out_of_range)
    protect_edge.install(app, settings=settings, session_factory=session_factory, clock=clock)

    # Routes are matched in order and every router has its own path prefix, so the order does
    # not change what a path means; the appeals API, where intake's traffic goes, comes first
    # (matching ~85 routes before it cost 13 % of an intake request's instructions).
    app.include_router(appeals_router)
    app.include_router(auth_router)
    app.include_router(territory_router)
    app.include_router(assessment_router)
    app.include_router(register_router)
    app.include_router(register_edits_router)
    app.include_router(dispatch_router)
    app.include_router(insight_router)
    app.include_router(events_router)
    app.include_router(notices_router)
    app.include_router(open311_router)
    app.include_router(exchange_router)
    for participation_router in participation_routers:
        app.include_router(participation_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    mount_pages(app)
    return app


def tune_gc_for_serving() -> None:
    """Garbage-collector settings for a serving process, called once the app is built.

    Everything loaded at start-up (modules, the app, its routes) lives as long as the process,
    so it is moved out of the collector's sight (``gc.freeze``), and the youngest generation is
    collected every 20,000 allocations instead of 700: a request allocates many short-lived ORM
    and pydantic objects that reference counting frees anyway, and the frequent young-generation
    passes cost ≈ 10 % of the CPU of an appeal intake (docs/benchmarks.md). Not used in tests,
    where frozen objects of many short-lived apps would never be freed."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
        "accept", ""
    )


def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    body: dict[str, Any] = {"detail": exc.message, "error": type(exc).__name__}
    if exc.detail is not None:
        # The contract lists errors (ErrorBody.errors); a rule naming one field gives a dict.
        body["errors"] = [exc.detail] if isinstance(exc.detail, dict) else exc.detail
    if not _wants_json(request):
        from civicgrid.web.shared.render import error_page

        return error_page(request, exc.status_code, exc.message)
    return JSONResponse(body, status_code=exc.status_code)


def _out_of_range(request: Request, exc: Exception) -> Response:
    """A value the database cannot hold (an id beyond 64 bits in a URL or form, a text longer
    than its column on PostgreSQL) is bad input, not a server fault: 422 with a sentence. The
    request's transaction has already been rolled back by its session dependency."""
    if isinstance(exc, OverflowError) and "too large" not in str(exc):
        raise exc  # an overflow in our own arithmetic is a fault: keep the 500
    return _domain_error(
        request, Invalid("请求中的数值或文本超出允许范围 (a value in the request is out of range)")
    )


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    readable = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in errors
    )
    return JSONResponse(
        {"detail": f"请求参数无效 (invalid request): {readable}", "errors": errors},
        status_code=422,
    )


AppFactory = Callable[[], FastAPI]
