"""Account endpoints over HTTP: own password, sessions, TOTP enrolment and login with a code,
admin reset (forced change: other calls refused until done), deactivate, lock/unlock, and the
login throttle per account name (429 with Retry-After)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.auth import make_user

from civicgrid.auth import totp
from civicgrid.auth.roles import Role
from civicgrid.auth.service import BAD_CREDENTIALS
from civicgrid.clock import FrozenClock

API = "/api/v1/auth"
PASSWORD = "Passw0rd!x"
NEW = "Lotus-Lane-2026"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin_token(session: Session, now: datetime) -> str:
    _user, token = make_user(session, role=Role.ADMIN, username="root", now=now)
    return token


@pytest.fixture
def operator(session: Session, now: datetime) -> tuple[int, str]:
    user, token = make_user(session, role=Role.OPERATOR, username="op1", now=now)
    return user.id, token


def _token_login(client: TestClient, username: str, password: str, otp: str = "") -> int:
    body = {"username": username, "password": password, "otp": otp}
    status: int = client.post(f"{API}/token", json=body).status_code
    return status


def test_change_own_password_over_the_api(client: TestClient, operator: tuple[int, str]) -> None:
    _id, token = operator
    weak = client.post(
        f"{API}/password",
        json={"current_password": PASSWORD, "new_password": "abc"},
        headers=bearer(token),
    )
    assert weak.status_code == 422
    assert "10 个字符" in weak.json()["detail"]
    r = client.post(
        f"{API}/password",
        json={"current_password": PASSWORD, "new_password": NEW},
        headers=bearer(token),
    )
    assert r.status_code == 204
    assert _token_login(client, "op1", PASSWORD) == 401
    assert _token_login(client, "op1", NEW) == 201


def test_totp_enrolment_and_login_with_a_code(
    client: TestClient, clock: FrozenClock, operator: tuple[int, str]
) -> None:
    _id, token = operator
    started = client.post(f"{API}/totp", headers=bearer(token))
    assert started.status_code == 201
    secret = started.json()["secret"]
    assert started.json()["uri"].startswith("otpauth://totp/")
    confirmed = client.post(
        f"{API}/totp/confirm",
        json={"code": totp.code_at(secret, clock.now())},
        headers=bearer(token),
    )
    assert confirmed.status_code == 200
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10
    assert client.post(f"{API}/totp", headers=bearer(token)).status_code == 409
    missing = client.post(f"{API}/token", json={"username": "op1", "password": PASSWORD})
    assert missing.status_code == 401
    assert "动态口令" in missing.json()["detail"]
    clock.advance(timedelta(seconds=30))
    assert _token_login(client, "op1", PASSWORD, totp.code_at(secret, clock.now())) == 201
    assert _token_login(client, "op1", PASSWORD, codes[0]) == 201
    assert _token_login(client, "op1", PASSWORD, codes[0]) == 401
    me = client.get(f"{API}/me", headers=bearer(token)).json()
    assert me["user"]["totp_enabled"] is True


def test_admin_reset_forces_a_change_before_anything_else(
    client: TestClient, admin_token: str, operator: tuple[int, str]
) -> None:
    user_id, old_token = operator
    r = client.post(
        f"{API}/users/{user_id}/password-reset",
        json={"new_password": "Temp-Pass-2026"},
        headers=bearer(admin_token),
    )
    assert r.status_code == 200, r.text
    assert r.json()["must_change_password"] is True
    assert client.get(f"{API}/me", headers=bearer(old_token)).status_code == 401
    # A password login for a token is refused until the password is changed on the web ...
    assert _token_login(client, "op1", "Temp-Pass-2026") == 403
    # ... and the web session reaches only its own account calls.
    r = client.post(
        "/login",
        data={"username": "op1", "password": "Temp-Pass-2026"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    me = client.get(f"{API}/me")
    assert me.json()["pending"] == ["password_change"]
    blocked = client.get("/api/v1/appeals")
    assert blocked.status_code == 403
    assert "修改密码" in blocked.json()["detail"]
    csrf = client.get(f"{API}/sessions")
    assert csrf.status_code == 200


def test_deactivate_lock_and_unlock_over_the_api(
    client: TestClient, clock: FrozenClock, admin_token: str, operator: tuple[int, str]
) -> None:
    user_id, token = operator
    until = (clock.now() + timedelta(hours=2)).isoformat()
    locked = client.post(
        f"{API}/users/{user_id}/lock",
        json={"until": until, "reason": "调查"},
        headers=bearer(admin_token),
    )
    assert locked.status_code == 200, locked.text
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 401
    r = client.post(f"{API}/token", json={"username": "op1", "password": PASSWORD})
    assert (r.status_code, r.json()["detail"]) == (401, BAD_CREDENTIALS)
    unlocked = client.post(f"{API}/users/{user_id}/unlock", headers=bearer(admin_token))
    assert unlocked.json() == {"addresses_cleared": 0}  # a locked account counts no guesses
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200
    off = client.post(
        f"{API}/users/{user_id}/deactivate", json={"reason": "离职"}, headers=bearer(admin_token)
    )
    assert off.json()["is_active"] is False
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 401
    again = client.post(
        f"{API}/users/{user_id}/deactivate", json={"reason": "离职"}, headers=bearer(admin_token)
    )
    assert again.status_code == 409
    on = client.post(f"{API}/users/{user_id}/reactivate", headers=bearer(admin_token))
    assert on.json()["is_active"] is True
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200


def test_account_administration_is_for_admins(
    client: TestClient, operator: tuple[int, str]
) -> None:
    user_id, token = operator
    for path in ("unlock", "reactivate", "totp-reset"):
        assert (
            client.post(f"{API}/users/{user_id}/{path}", headers=bearer(token)).status_code == 403
        )
    assert client.get(f"{API}/users/{user_id}/sessions", headers=bearer(token)).status_code == 403


def test_login_attempts_are_throttled_per_account_name(
    client: TestClient, operator: tuple[int, str]
) -> None:
    # Ten attempts a minute per account name (all addresses): the eleventh waits.
    codes = [_token_login(client, "op1", "wrong") for _ in range(10)]
    assert codes == [401] * 10
    r = client.post(f"{API}/token", json={"username": "OP1 ", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    # Another account from the same address is not affected by op1's limit.
    assert _token_login(client, "someone-else", "wrong") == 401
