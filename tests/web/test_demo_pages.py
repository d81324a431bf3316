"""The pages of a demo city: the login page lists the demo accounts (only in a demo city), and
while the year's history is built in the background every logged-in page shows how far it is,
until it is complete."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.conftest import FROZEN_AT

from civicgrid import migrate
from civicgrid.app import create_app
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.accounts import DEMO_PASSWORD
from civicgrid.demo.builder import build_demo_city, build_demo_history
from civicgrid.web.shared.demo_info import forget_demo_info

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_engine(tmp_path: Path, settings: Settings) -> Iterator[Engine]:
    """A tiny demo city whose history (most of its 60 appeals) is left for later."""
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    migrate.upgrade(engine)
    build_demo_city(
        engine, seed=7, scale="tiny", clock=FrozenClock(FROZEN_AT),
        field_key=settings.resolved_field_key(), appeals=60, media_dir=settings.media_dir,
        models_dir=settings.models_dir, history="later",
    )  # fmt: skip
    yield engine
    engine.dispose()


@pytest.fixture
def demo_app(demo_engine: Engine, settings: Settings) -> FastAPI:
    return create_app(
        settings, session_factory=make_session_factory(demo_engine), clock=FrozenClock(FROZEN_AT)
    )


def _log_in(client: TestClient, username: str) -> None:
    r = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303, r.text


def _banner(client: TestClient) -> str:
    page = client.get("/")
    assert page.status_code == 200
    found = re.search(r'<div class="demo-build[^"]*" role="status">(.*?)</div>', page.text, re.S)
    return " ".join(found.group(1).split()) if found else ""


def test_the_login_page_lists_the_demo_accounts_only_in_a_demo_city(
    client: TestClient, demo_app: FastAPI
) -> None:
    plain = client.get("/login")
    assert plain.status_code == 200
    assert "演示账号" not in plain.text
    with TestClient(demo_app) as demo:
        page = demo.get("/login")
    assert page.status_code == 200
    assert "演示账号" in page.text
    assert DEMO_PASSWORD in page.text
    for username in ("dispatcher", "street", "grid", "leader", "resident"):
        assert f"<code>{username}</code>" in page.text


def test_pages_show_the_history_build_until_it_is_complete(
    demo_app: FastAPI, demo_engine: Engine, settings: Settings
) -> None:
    seen: list[str] = []
    with TestClient(demo_app) as client:
        _log_in(client, "dispatcher")
        assert "等待在后台生成" in _banner(client)

        def look(phase: str, done: int, total: int) -> None:
            if phase == "历史诉求" and done == 50:
                forget_demo_info(demo_app)
                seen.append(_banner(client))

        result = build_demo_history(
            demo_engine, clock=FrozenClock(FROZEN_AT), field_key=settings.resolved_field_key(),
            media_dir=settings.media_dir, models_dir=settings.models_dir, progress=look,
        )  # fmt: skip
        assert len(seen) == 1
        assert f"已完成 50 / {result.appeals} 件" in seen[0]
        assert "正在后台生成" in seen[0]
        forget_demo_info(demo_app)
        assert _banner(client) == ""
