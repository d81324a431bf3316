"""Which routes are throttled per client IP, and with which setting (one table for the API
and the pages).

The check is an app-wide dependency that runs before the route's own dependencies use the
database (so the counter's short transaction never waits behind the request's own on SQLite).
Login and token requests are throttled by the auth package itself, per IP and per account
(``Throttle.enforce`` with ``throttle_login_ip`` / ``throttle_login_account``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from civicgrid.auth.deps import SESSION_COOKIE
from civicgrid.config import Settings
from civicgrid.protect.throttle import Throttle, client_ip

Identity = Literal["ip", "credential"]


@dataclass(frozen=True)
class RouteLimit:
    """``method path`` (the route's template) counts in ``family`` against ``setting``, per
    client IP or per credential (the bearer token or session cookie the request carries).

    ``credential`` is only for routes that refuse anonymous callers: an invented credential is
    then refused by authentication, so it cannot be used to dodge the count. Routes open to
    anonymous callers count per IP.

    ``by_endpoint``: the endpoint counts the request itself with :func:`count_request`, first
    thing in its own thread-pool trip and on the connection it then uses (the busiest write,
    POST /api/v1/appeals: one trip and one pool checkout instead of three and two); the
    app-wide dependency leaves it alone."""

    method: str
    path: str
    family: str
    setting: str
    identity: Identity = "ip"
    by_endpoint: bool = False


ROUTE_LIMITS: tuple[RouteLimit, ...] = (
    # Intake (logged-in callers only) per account: a hotline centre's operators share one
    # address, and so do residents behind a carrier's NAT.
    RouteLimit("POST", "/api/v1/appeals", "intake", "throttle_intake", "credential", True),
    RouteLimit("POST", "/appeals/new", "intake", "throttle_intake", "credential"),
    RouteLimit("POST", "/portal/report", "intake", "throttle_intake", "credential"),
    # Public tracking by number + phone tail (numbers are sequential: guessing must be slow).
    RouteLimit("POST", "/portal/track", "tracking-ip", "throttle_tracking_ip"),
    # Ratings by the caller.
    RouteLimit("POST", "/api/v1/appeals/{appeal_id}/rate", "rating-ip", "throttle_rating_ip"),
    RouteLimit("POST", "/portal/appeals/{appeal_id}/rate", "rating-ip", "throttle_rating_ip"),
    RouteLimit("POST", "/portal/track/rate", "rating-ip", "throttle_rating_ip"),
)

_BY_ROUTE = {(r.method, r.path): r for r in ROUTE_LIMITS}


def limit_for(method: str, path: str) -> RouteLimit | None:
    """The limit of the route with template ``path`` for ``method``, if it is throttled."""
    return _BY_ROUTE.get((method, path))


def route_template(request: Request) -> str:
    """The matched route's full path template (``/api/v1/appeals/{appeal_id}/rate``).

    Routers included into routers keep their own relative paths on the route object, so the
    template is rebuilt from the request path: each segment that is the value of a path
    parameter becomes ``{name}``."""
    path = request.scope.get("path", "")
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    params = request.scope.get("path_params") or {}
    if not params:
        return str(path)
    names = {str(value): name for name, value in params.items()}
    return "/".join(f"{{{names[seg]}}}" if seg in names else seg for seg in path.split("/"))


def limit_text(rule: RouteLimit, settings: Settings) -> str:
    value = getattr(settings, rule.setting)
    assert isinstance(value, str)
    return value


async def throttle_route(request: Request) -> None:
    """App-wide dependency: count the request if its route is in :data:`ROUTE_LIMITS` and
    refuse it with 429 (``Throttled``) when the client is over the limit."""
    rule = limit_for(request.method, route_template(request))
    if rule is None or rule.by_endpoint:
        return
    throttle: Throttle = request.app.state.throttle
    if not throttle.enabled:
        return
    settings: Settings = request.app.state.settings
    await run_in_threadpool(
        throttle.enforce, rule.family, identity_of(request, rule), limit_text(rule, settings)
    )


def count_request(request: Request, sessions: Callable[[], Session]) -> None:
    """Count a request of a ``by_endpoint`` route (synchronous: from the endpoint's thread,
    before its session runs a statement) in a short transaction of a session from
    ``sessions``; raises ``Throttled`` (429) when the client is over the limit."""
    rule = limit_for(request.method, route_template(request))
    if rule is None:
        raise LookupError(f"{request.method} {route_template(request)} has no route limit")
    throttle: Throttle = request.app.state.throttle
    if not throttle.enabled:
        return
    settings: Settings = request.app.state.settings
    throttle.enforce(
        rule.family,
        identity_of(request, rule),
        limit_text(rule, settings),
        sessions=sessions,
    )


def identity_of(request: Request, rule: RouteLimit) -> str:
    """The counted identity: the client IP, or a digest of the request's credential (falling
    back to the IP when it carries none)."""
    if rule.identity == "credential":
        credential = request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE)
        if credential:
            return "c:" + hashlib.sha256(credential.encode("utf-8")).hexdigest()[:32]
    return client_ip(request)
