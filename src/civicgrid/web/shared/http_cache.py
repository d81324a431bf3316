"""Conditional GET for rarely changing, per-user data (map boundaries): a strong ETag computed
from the body, ``Cache-Control: private`` and 304 when the browser already holds that body."""

from __future__ import annotations

import hashlib

from fastapi import Request
from fastapi.responses import Response

# The grid boundaries in the viewer's scope, cached by the browser (served by the community
# map's page module; the dashboard map draws them too).
GRID_BOUNDARIES_URL = "/community-map/boundaries.geojson"


def strong_etag(body: bytes) -> str:
    """A strong entity tag for ``body`` (quoted, as HTTP wants it)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, as RFC 9110 asks
    for If-None-Match; ``*`` matches any current body)."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for raw in if_none_match.split(","):
        candidate = raw.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def cached_response(request: Request, body: bytes, *, media_type: str, max_age: int) -> Response:
    """``body`` with its ETag and a private cache lifetime, or an empty 304 when the request's
    If-None-Match already names it."""
    etag = strong_etag(body)
    headers = {"ETag": etag, "Cache-Control": f"private, max-age={max_age}"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)
