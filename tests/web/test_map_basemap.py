"""The optional basemap (CIVICGRID_MAP_TILE_URL): unset, the maps carry no tile layer and the
CSP allows images from the site only; set, every map page hands the tile template and its
attribution to static/js/basemap.js and the CSP allows images from the tile host's origin."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from tests.builders.appeals import World
from tests.web.conftest import LoginAs, login_as

from civicgrid.app import create_app
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.db import make_session_factory

TIANDITU = "https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k1"
ATTRIBUTION = "© 天地图 GS(2024)0568号"
MAP_PAGES = (("leader", "/dashboard"), ("leader", "/community-map"), ("resident", "/portal/report"))


def _config(html: str) -> dict[str, str] | None:
    match = re.search(
        r'<script type="application/json" id="basemap-config">(.*?)</script>', html, re.S
    )
    return json.loads(match.group(1)) if match else None


def _img_src(csp: str) -> str:
    return next(d.strip() for d in csp.split(";") if d.strip().startswith("img-src"))


@pytest.fixture
def tiled(
    connection: Connection, clock: FrozenClock, tmp_path: Path, world: World
) -> Iterator[TestClient]:
    """A client of the app with a 天地图-style tile layer configured."""
    settings = Settings(
        var_dir=tmp_path / "var-tiled",
        database_url="sqlite:///unused-in-tests.db",
        secret_key="test-secret-key-not-for-production",
        field_key="b2u_3ZQZ8j0yJ6s9f0m7qX2yTqkzG7pB6w0b2uQZ9yQ=",
        map_tile_url=TIANDITU,
        map_tile_attribution=ATTRIBUTION,
        map_tile_subdomains="01234567",
    )
    app = create_app(settings, session_factory=make_session_factory(connection), clock=clock)
    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize(("persona", "path"), MAP_PAGES)
def test_no_tile_is_requested_by_default(
    client: TestClient, login: LoginAs, persona: str, path: str
) -> None:
    login(persona)
    r = client.get(path)
    assert r.status_code == 200
    assert "/static/js/basemap.js" in r.text
    assert _config(r.text) is None
    assert "tianditu" not in r.text
    assert _img_src(r.headers["content-security-policy"]) == "img-src 'self' data: blob:"


@pytest.mark.parametrize(("persona", "path"), MAP_PAGES)
def test_a_configured_tile_layer_is_drawn_and_allowed(
    tiled: TestClient, world: World, persona: str, path: str
) -> None:
    login_as(tiled, world, persona)
    r = tiled.get(path)
    assert r.status_code == 200
    assert _config(r.text) == {
        "url": TIANDITU,
        "attribution": ATTRIBUTION,
        "subdomains": "01234567",
    }
    script = r.text.index("/static/js/basemap.js")
    assert script < r.text.rindex("/static/js/"), "basemap.js comes before the map's script"
    img = _img_src(r.headers["content-security-policy"])
    assert img == "img-src 'self' data: blob: https://*.tianditu.gov.cn"


def test_the_tile_origin_is_allowed_on_every_answer_not_only_map_pages(
    tiled: TestClient,
) -> None:
    r = tiled.get("/login")
    assert "https://*.tianditu.gov.cn" in _img_src(r.headers["content-security-policy"])
    assert "connect-src 'self'" in r.headers["content-security-policy"]


@pytest.mark.parametrize("bad", ["ftp://tiles.example/{z}/{x}/{y}.png", "tiles/{z}/{x}/{y}.png"])
def test_a_tile_url_that_is_not_http_is_refused_at_start(bad: str, tmp_path: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Settings(var_dir=tmp_path, map_tile_url=bad)
