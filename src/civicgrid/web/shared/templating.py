"""The Jinja environment and the template filters (masking, Beijing time, badges)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from civicgrid.clock import to_beijing
from civicgrid.kit.masking import mask_id_number, mask_name, mask_phone
from civicgrid.web.shared.demo_info import demo_accounts, demo_history

TEMPLATES_DIR = Path(__file__).parents[1] / "templates"


def fmt_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show an aware UTC timestamp in Beijing time."""
    if value is None:
        return ""
    return to_beijing(value).strftime(fmt)


_LOGIN_AND_NAME = re.compile(r"^[^()（）\s]+\((?P<name>[^()]+)\)$")


def person(label: str | None) -> str:
    """A stored actor label (``street(街道承办人赵静)``: login name, then the display name) as
    users read it: the person's name only, never the login name. Other labels (``系统``, an
    API client's name) are shown as they are."""
    if not label:
        return ""
    match = _LOGIN_AND_NAME.match(label.strip())
    return match.group("name") if match else label


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["bjtime"] = fmt_time
templates.env.filters["mask_id"] = mask_id_number
templates.env.filters["mask_phone"] = mask_phone
templates.env.filters["mask_name"] = mask_name
templates.env.filters["person"] = person
templates.env.globals["demo_accounts"] = demo_accounts
templates.env.globals["demo_history"] = demo_history


def basemap(request: Request) -> dict[str, str] | None:
    """The configured basemap tile layer for the maps (``CIVICGRID_MAP_TILE_URL``), or None
    when there is none: then the maps draw the labelled polygons alone and request no tile."""
    settings = getattr(request.app.state, "settings", None)
    url = getattr(settings, "map_tile_url", "")
    if not url:
        return None
    return {
        "url": url,
        "attribution": getattr(settings, "map_tile_attribution", ""),
        "subdomains": getattr(settings, "map_tile_subdomains", "abc"),
    }


templates.env.globals["basemap"] = basemap
