"""Login, home and logout pages: forms without JavaScript, cookie + CSRF, role navigation."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.auth import MiniTerritory, make_user

from civicgrid.audit.service import list_entries
from civicgrid.auth import service, totp
from civicgrid.auth.actor import Actor
from civicgrid.auth.models import WebSession
from civicgrid.auth.roles import Role
from civicgrid.auth.service import BAD_CREDENTIALS
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.render import render

PASSWORD = "Passw0rd!x"


@pytest.fixture
def dispatcher(session: Session, now: datetime) -> str:
    make_user(session, role=Role.DISPATCHER, username="disp1", now=now)
    return "disp1"


def login(
    client: TestClient, username: str, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    response: httpx.Response = client.post(
        "/login",
        data={"username": username, "password": password, **extra},
        follow_redirects=False,
    )
    return response


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def test_login_form_renders(client: TestClient) -> None:
    r = client.get("/login")
    assert r.status_code == 200
    assert 'name="username"' in r.text
    assert 'type="password"' in r.text
    assert 'action="/login"' in r.text


def test_home_redirects_anonymous_visitors_to_login(client: TestClient) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login"


def test_bad_password_rerenders_with_422_and_keeps_the_username(
    client: TestClient, dispatcher: str
) -> None:
    r = client.post("/login", data={"username": dispatcher, "password": "wrong"})
    assert r.status_code == 422
    assert 'value="disp1"' in r.text
    assert "用户名或密码错误" in r.text
    assert "civicgrid_session" not in r.headers.get("set-cookie", "")


def test_empty_form_is_422(client: TestClient) -> None:
    r = client.post("/login", data={"username": "someone"})
    assert r.status_code == 422
    assert "请输入用户名和密码" in r.text
    assert 'value="someone"' in r.text


def test_after_five_failures_the_right_password_gets_the_same_answer(
    client: TestClient, dispatcher: str
) -> None:
    answers = [login(client, dispatcher, "wrong") for _ in range(5)]
    assert [r.status_code for r in answers] == [422] * 5
    r = login(client, dispatcher)
    assert r.status_code == 422
    assert r.text.count(BAD_CREDENTIALS) == 1
    assert "北京时间" not in r.text


def test_two_factor_login_asks_for_the_code_on_a_second_page(
    client: TestClient, session: Session, clock: FrozenClock, settings: Settings, dispatcher: str
) -> None:
    user_id = service.find_user_id(session, dispatcher)
    assert user_id is not None
    me = service.actor_for_user(session, user_id)
    started = service.start_totp(
        session, user_id=user_id, actor=me, now=clock.now(), settings=settings
    )
    service.confirm_totp(
        session,
        user_id=user_id,
        code=totp.code_at(started.secret, clock.now()),
        actor=me,
        now=clock.now(),
        settings=settings,
    )
    r = login(client, dispatcher)
    assert r.status_code == 200
    assert "两步验证" in r.text
    assert PASSWORD not in r.text
    ticket = re.search(r'name="ticket" value="([^"]+)"', r.text)
    assert ticket
    clock.advance(timedelta(seconds=30))
    wrong = client.post(
        "/login/otp", data={"ticket": ticket.group(1), "otp": "12345x"}, follow_redirects=False
    )
    assert wrong.status_code == 422
    assert "动态口令不正确" in wrong.text
    r = client.post(
        "/login/otp",
        data={"ticket": ticket.group(1), "otp": totp.code_at(started.secret, clock.now())},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get("/").status_code == 200
    clock.advance(timedelta(minutes=6))
    late = client.post(
        "/login/otp", data={"ticket": ticket.group(1), "otp": "123456"}, follow_redirects=False
    )
    assert late.status_code == 422
    assert "登录已超时" in late.text


def test_login_sets_a_safe_cookie_and_home_shows_the_role_navigation(
    client: TestClient, dispatcher: str
) -> None:
    r = login(client, dispatcher)
    assert r.status_code == 303
    assert r.headers["location"] == "/"
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("civicgrid_session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # test settings: cookie_secure is off

    home = client.get("/")
    assert home.status_code == 200
    assert "派单员" in home.text
    assert 'href="/dispatch/queue"' in home.text
    for other in ("/appeals/new", "/admin", "/grid/tasks", "/dashboard"):
        assert f'href="{other}"' not in home.text
    assert csrf_of(home.text)


def test_home_lists_posts_with_their_places(
    client: TestClient, session: Session, now: datetime
) -> None:
    territory = MiniTerritory(session, now)
    make_user(
        session,
        role=Role.GRID_WORKER,
        region_code=territory.GRID_A1,
        username="grid1",
        now=now,
    )
    login(client, "grid1")
    home = client.get("/")
    assert "建国里第一网格" in home.text
    assert "网格员" in home.text
    assert 'href="/grid/tasks"' in home.text
    assert 'href="/register"' in home.text
    assert 'href="/dispatch/queue"' not in home.text


def test_cookie_is_secure_when_configured(
    app: FastAPI, client: TestClient, dispatcher: str
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"cookie_secure": True})
    r = login(client, dispatcher)
    assert "secure" in r.headers["set-cookie"].lower()


def test_login_goes_on_to_next_but_only_on_this_site(client: TestClient, dispatcher: str) -> None:
    r = login(client, dispatcher, next="/dispatch/queue")
    assert r.headers["location"] == "/dispatch/queue"
    client.cookies.clear()
    r = login(client, dispatcher, next="//evil.example/")
    assert r.headers["location"] == "/"
    client.cookies.clear()
    r = login(client, dispatcher, next="https://evil.example/")
    assert r.headers["location"] == "/"


def test_logged_in_visitor_skips_the_login_form(client: TestClient, dispatcher: str) -> None:
    login(client, dispatcher)
    r = client.get("/login", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/"


def test_logout_needs_the_csrf_token(client: TestClient, session: Session, dispatcher: str) -> None:
    login(client, dispatcher)
    token = csrf_of(client.get("/").text)
    r = client.post("/logout", follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/").status_code == 200  # still logged in

    r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?logged_out=1"
    assert list_entries(session, action="auth.logout")
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert "已安全退出" in client.get("/login?logged_out=1").text


def test_cookie_requests_to_the_api_need_csrf_but_token_requests_do_not(
    client: TestClient, session: Session, now: datetime, dispatcher: str
) -> None:
    login(client, dispatcher)
    token = csrf_of(client.get("/").text)
    assert client.get("/api/v1/auth/me").status_code == 200
    r = client.post("/api/v1/auth/tokens", json={"name": "x"})
    assert r.status_code == 403
    r = client.post("/api/v1/auth/tokens", json={"name": "x"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 201
    client.cookies.clear()
    _user, plain = make_user(session, role=Role.OPERATOR, now=now)
    r = client.post(
        "/api/v1/auth/tokens", json={"name": "y"}, headers={"Authorization": f"Bearer {plain}"}
    )
    assert r.status_code == 201


def test_idle_session_sends_the_visitor_back_to_login(
    client: TestClient, clock: FrozenClock, dispatcher: str
) -> None:
    login(client, dispatcher)
    clock.advance(timedelta(minutes=29))
    assert client.get("/").status_code == 200
    clock.advance(timedelta(minutes=30))
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login"


def test_reading_pages_keeps_the_web_session_alive_past_the_idle_timeout(
    client: TestClient, clock: FrozenClock, dispatcher: str, session: Session
) -> None:
    login(client, dispatcher)
    for _ in range(4):  # 80 minutes of read-only page views, each under the 30-minute timeout
        clock.advance(timedelta(minutes=20))
        r = client.get("/", follow_redirects=False)
        assert r.status_code == 200
    seen = session.scalar(select(WebSession.last_seen_at).order_by(WebSession.id.desc()))
    assert seen == clock.now()
    assert client.get("/").status_code == 200  # same minute: nothing to write, still in
    clock.advance(timedelta(minutes=30))
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login"


def test_page_actor_redirects_anonymous_visitors_and_fills_the_page_context(
    app: FastAPI, client: TestClient, dispatcher: str
) -> None:
    @app.get("/probe/page")
    def probe(request: Request, actor: PageActor) -> object:
        assert isinstance(actor, Actor)
        return render(request, "home.html", {"posts": []})

    r = client.get("/probe/page?x=1", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fprobe%2Fpage%3Fx%3D1"
    login(client, dispatcher)
    r = client.get("/probe/page")
    assert r.status_code == 200
    assert 'href="/dispatch/queue"' in r.text
    assert csrf_of(r.text)


def test_page_actor_sends_htmx_swaps_to_login_with_hx_redirect(
    app: FastAPI, client: TestClient
) -> None:
    @app.get("/probe/fragment")
    def probe(request: Request, actor: PageActor) -> object:
        return render(request, "home.html", {"posts": []})

    r = client.get(
        "/probe/fragment",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/register?page=2"},
        follow_redirects=False,
    )
    assert r.status_code == 401
    assert r.headers["HX-Redirect"] == "/login?next=%2Fregister%3Fpage%3D2"
