"""账号安全 and the administrator's account page: forms without JavaScript, 422 re-renders with
the message, recovery codes shown once, and a reset password that confines the session to the
account page until it is changed."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.web.conftest import PASSWORD, LoginAs

from civicgrid.auth import totp
from civicgrid.clock import FrozenClock

NEW = "Lotus-Lane-2026"


def _user_id(world: World, name: str) -> int:
    user_id = world.actor(name).user_id
    assert user_id is not None
    return user_id


def test_account_page_changes_the_password(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    csrf = login("operator")
    page = client.get("/account")
    assert page.status_code == 200
    assert "修改密码" in page.text
    assert "本设备" in page.text
    wrong = client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": "nope",
            "new_password": NEW,
            "confirm_password": NEW,
        },
    )
    assert wrong.status_code == 422
    assert "当前密码不正确" in wrong.text
    mismatch = client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": NEW,
            "confirm_password": NEW + "x",
        },
    )
    assert mismatch.status_code == 422
    assert "不一致" in mismatch.text
    ok = client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": NEW,
            "confirm_password": NEW,
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert ok.headers["location"] == "/account?done=password"
    assert "密码已修改" in client.get(ok.headers["location"]).text


def test_totp_enrolment_on_the_page_shows_recovery_codes_once(
    client: TestClient, login: LoginAs, clock: FrozenClock, world: World
) -> None:
    csrf = login("dispatcher")
    started = client.post("/account/totp-start", data={"csrf_token": csrf})
    assert started.status_code == 200  # followed the redirect back to the page
    secret = re.search(r'<code class="secret">([A-Z2-7]{32})</code>', started.text)
    assert secret
    wrong = client.post("/account/totp-confirm", data={"csrf_token": csrf, "code": "12345"})
    assert wrong.status_code == 422
    confirmed = client.post(
        "/account/totp-confirm",
        data={"csrf_token": csrf, "code": totp.code_at(secret.group(1), clock.now())},
    )
    assert confirmed.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f-]{19})</code></li>", confirmed.text)
    assert len(codes) == 10
    again = client.get("/account")
    assert "已启用" in again.text
    assert codes[0] not in again.text


def test_admin_reset_confines_the_user_to_the_account_page(
    client: TestClient, login: LoginAs, session: Session, world: World
) -> None:
    operator_id = _user_id(world, "operator")
    csrf = login("admin")
    page = client.get(f"/admin/accounts/{operator_id}")
    assert page.status_code == 200
    assert "重置密码" in page.text
    no_reason = client.post(
        f"/admin/accounts/{operator_id}/deactivate", data={"csrf_token": csrf, "reason": " "}
    )
    assert no_reason.status_code == 422
    assert "停用原因" in no_reason.text
    reset = client.post(
        f"/admin/accounts/{operator_id}/reset-password",
        data={"csrf_token": csrf, "new_password": "Temp-Pass-2026"},
        follow_redirects=False,
    )
    assert reset.status_code == 303
    assert "须修改密码" in client.get(reset.headers["location"]).text
    client.cookies.clear()
    r = client.post(
        "/login",
        data={"username": world.actor("operator").username, "password": "Temp-Pass-2026"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    blocked = client.get("/appeals/new")
    assert blocked.status_code == 403
    assert "/account" in blocked.text
    account = client.get("/account")
    assert account.status_code == 200
    assert "管理员已重置您的密码" in account.text


def test_the_admin_account_page_is_for_admins(
    client: TestClient, login: LoginAs, world: World
) -> None:
    csrf = login("operator")
    admin_id = _user_id(world, "admin")
    assert client.get(f"/admin/accounts/{admin_id}").status_code == 403
    r = client.post(f"/admin/accounts/{admin_id}/unlock", data={"csrf_token": csrf})
    assert r.status_code == 403


def test_unknown_account_actions_are_404(client: TestClient, login: LoginAs) -> None:
    csrf = login("operator")
    assert client.post("/account/nonsense", data={"csrf_token": csrf}).status_code == 404
