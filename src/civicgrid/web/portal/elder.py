"""The portal's 长辈版 (senior mode): larger text and targets, higher contrast, a simpler page.

A resident switches it on or off with a plain link (no JavaScript needed); the choice is kept
in a cookie for a year and applies to every /portal page, whether logged in or not (the
tracking page is used without a login). Not a page module: the route lives in resident.py,
which installs :func:`elder_context` as a dependency of the portal's router.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

COOKIE = "civicgrid_elder"
COOKIE_MAX_AGE = 365 * 24 * 3600
SWITCH_PATH = "/portal/elder"
HOME = "/portal"


@dataclass(frozen=True)
class ElderSwitch:
    """The switch as the page shows it: whether the mode is on and where the link goes."""

    on: bool
    href: str
    label: str


def is_on(cookie_value: str | None) -> bool:
    """Whether the cookie holds the 长辈版 choice."""
    return cookie_value == "1"


def return_path(candidate: str | None) -> str:
    """Where to go back to after switching: a portal page on this site, never elsewhere
    (``//host``, ``/portal/../admin`` and absolute URLs fall back to the portal home)."""
    if not candidate or not candidate.startswith(HOME):
        return HOME
    path = candidate.split("#", 1)[0]
    rest = path[len(HOME) :]
    if rest and rest[0] not in "/?":
        return HOME
    if "//" in path or "\\" in path or ".." in path:
        return HOME
    return path


def switch_for(on: bool, current: str) -> ElderSwitch:
    """The link that turns the mode the other way and comes back to ``current``."""
    query = urlencode({"on": "0" if on else "1", "next": return_path(current)})
    return ElderSwitch(
        on=on,
        href=f"{SWITCH_PATH}?{query}",
        label="切换到标准版" if on else "长辈版（大字）",
    )


def elder_context(request: Request) -> None:
    """Router dependency: tell the templates whether 长辈版 is on and how to switch it."""
    on = is_on(request.cookies.get(COOKIE))
    current = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    context = dict(getattr(request.state, "page_context", {}))
    context["elder_mode"] = on
    context["elder_switch"] = switch_for(on, current)
    request.state.page_context = context
