"""The auth JSON API (/api/v1/auth): every endpoint with its 401/403/404/409/422/423 cases."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.auth import SPARE_CITY, MiniTerritory, make_user

from civicgrid.audit.service import list_entries
from civicgrid.auth import service
from civicgrid.auth.roles import Role
from civicgrid.auth.service import BAD_CREDENTIALS
from civicgrid.territory.models import Region

API = "/api/v1/auth"
PASSWORD = "Passw0rd!x"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def territory(session: Session, now: datetime) -> MiniTerritory:
    return MiniTerritory(session, now)


@pytest.fixture
def admin_token(session: Session, now: datetime) -> str:
    _user, token = make_user(session, role=Role.ADMIN, username="root", now=now)
    return token


@pytest.fixture
def operator(session: Session, now: datetime) -> tuple[int, str]:
    user, token = make_user(session, role=Role.OPERATOR, username="op1", now=now)
    return user.id, token


# --- POST /token -----------------------------------------------------------------------------


def test_password_login_issues_a_working_token(
    client: TestClient, operator: tuple[int, str]
) -> None:
    r = client.post(f"{API}/token", json={"username": "op1", "password": PASSWORD, "name": "cli"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["username"] == "op1"
    assert body["name"] == "cli"
    assert body["token"].startswith(body["token_prefix"])
    me = client.get(f"{API}/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json()["user"]["id"] == operator[0]


def test_password_login_refuses_bad_credentials(
    client: TestClient, operator: tuple[int, str]
) -> None:
    r = client.post(f"{API}/token", json={"username": "op1", "password": "wrong"})
    assert r.status_code == 401
    assert r.json()["detail"] == BAD_CREDENTIALS
    unknown = client.post(f"{API}/token", json={"username": "nobody", "password": "wrong"})
    assert (unknown.status_code, unknown.json()) == (401, r.json())


def test_after_five_failures_the_address_gets_the_same_answer_even_with_the_right_password(
    client: TestClient, session: Session, operator: tuple[int, str]
) -> None:
    answers = [
        client.post(f"{API}/token", json={"username": "op1", "password": "bad"}) for _ in range(5)
    ]
    assert {(r.status_code, r.json()["detail"]) for r in answers} == {(401, BAD_CREDENTIALS)}
    r = client.post(f"{API}/token", json={"username": "op1", "password": PASSWORD})
    assert (r.status_code, r.json()["detail"]) == (401, BAD_CREDENTIALS)
    assert list_entries(session, action="auth.lockout")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "op1"},
        {"username": "", "password": "x"},
        {"username": "op1", "password": PASSWORD, "name": ""},
        {"username": "op1", "password": PASSWORD, "expires_at": "2030-01-01T00:00:00"},
    ],
)
def test_password_login_validates_its_body(
    client: TestClient, operator: tuple[int, str], body: dict[str, Any]
) -> None:
    assert client.post(f"{API}/token", json=body).status_code == 422


# --- GET /me ---------------------------------------------------------------------------------


def test_me_shows_roles_posts_and_scope(
    client: TestClient, session: Session, now: datetime, territory: MiniTerritory
) -> None:
    _user, token = make_user(
        session, role=Role.STREET_HANDLER, region_code=territory.STREET_A, now=now
    )
    r = client.get(f"{API}/me", headers=bearer(token))
    assert r.status_code == 200
    body = r.json()
    assert body["roles"] == [{"code": "street_handler", "label": "街乡承办人"}]
    (post,) = body["user"]["posts"]
    assert post["anchor_name"] == "建外街道"
    assert post["role_label"] == "街乡承办人"
    assert body["scope"] == {
        "is_global": False,
        "region_paths": [territory.region(territory.STREET_A).path],
        "department_ids": [],
        "utility_ids": [],
    }


def test_me_needs_credentials(client: TestClient) -> None:
    assert client.get(f"{API}/me").status_code == 401
    assert client.get(f"{API}/me", headers=bearer("cgt_unknown")).status_code == 401
    r = client.get(f"{API}/me", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


# --- /tokens ---------------------------------------------------------------------------------


def test_own_tokens_list_create_and_revoke(
    client: TestClient, now: datetime, operator: tuple[int, str]
) -> None:
    _uid, token = operator
    r = client.post(
        f"{API}/tokens",
        json={"name": "报表脚本", "expires_at": (now + timedelta(days=30)).isoformat()},
        headers=bearer(token),
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["token"].startswith("cgt_")
    listed = client.get(f"{API}/tokens", headers=bearer(token)).json()
    assert [t["name"] for t in listed] == ["报表脚本", "tests"]
    assert all("token" not in t for t in listed)

    r = client.delete(f"{API}/tokens/{new['id']}", headers=bearer(token))
    assert r.status_code == 204
    assert client.get(f"{API}/me", headers=bearer(new["token"])).status_code == 401
    r = client.delete(f"{API}/tokens/{new['id']}", headers=bearer(token))
    assert r.status_code == 409


def test_tokens_need_credentials(client: TestClient) -> None:
    assert client.get(f"{API}/tokens").status_code == 401
    assert client.post(f"{API}/tokens", json={"name": "x"}).status_code == 401
    assert client.delete(f"{API}/tokens/1").status_code == 401


def test_token_create_validates(
    client: TestClient, now: datetime, operator: tuple[int, str]
) -> None:
    _uid, token = operator
    assert client.post(f"{API}/tokens", json={}, headers=bearer(token)).status_code == 422
    past = (now - timedelta(days=1)).isoformat()
    r = client.post(f"{API}/tokens", json={"name": "x", "expires_at": past}, headers=bearer(token))
    assert r.status_code == 422
    assert "晚于当前时间" in r.json()["detail"]


def test_revoking_someone_elses_token_is_404(
    client: TestClient, session: Session, now: datetime, operator: tuple[int, str]
) -> None:
    other, _ = make_user(session, role=Role.OPERATOR, now=now)
    (their,) = service.list_tokens(session, user_id=other.id)
    _uid, token = operator
    assert client.delete(f"{API}/tokens/{their.id}", headers=bearer(token)).status_code == 404
    assert client.delete(f"{API}/tokens/999999", headers=bearer(token)).status_code == 404


# --- admin: /users and /posts ----------------------------------------------------------------


def test_admin_creates_a_user_and_gives_a_post(
    client: TestClient, session: Session, admin_token: str, territory: MiniTerritory
) -> None:
    r = client.post(
        f"{API}/users",
        json={"username": "zhao", "display_name": "赵六", "password": PASSWORD},
        headers=bearer(admin_token),
    )
    assert r.status_code == 201, r.text
    user = r.json()
    assert (user["username"], user["posts"]) == ("zhao", [])
    assert "argon2" not in str(user)
    assert PASSWORD not in str(user)
    assert (user["must_change_password"], user["totp_enabled"]) == (False, False)

    grid = territory.region(territory.GRID_A1)
    r = client.post(
        f"{API}/users/{user['id']}/posts",
        json={"role": "grid_worker", "region_id": grid.id, "title": "专职网格员"},
        headers=bearer(admin_token),
    )
    assert r.status_code == 201, r.text
    post = r.json()
    assert (post["role"], post["anchor_name"], post["title"]) == (
        "grid_worker",
        "建国里第一网格",
        "专职网格员",
    )

    listed = client.get(f"{API}/users", headers=bearer(admin_token)).json()
    assert {u["username"] for u in listed} == {"root", "zhao"}
    one = client.get(f"{API}/users/{user['id']}", headers=bearer(admin_token)).json()
    assert [p["id"] for p in one["posts"]] == [post["id"]]

    r = client.delete(f"{API}/posts/{post['id']}", headers=bearer(admin_token))
    assert r.status_code == 204
    assert (
        client.get(f"{API}/users/{user['id']}", headers=bearer(admin_token)).json()["posts"] == []
    )
    actions = [e.action for e in list_entries(session)]
    assert {"user.create", "post.add", "post.remove"} <= set(actions)


def test_admin_endpoints_refuse_non_admins(client: TestClient, operator: tuple[int, str]) -> None:
    uid, token = operator
    h = bearer(token)
    assert client.get(f"{API}/users", headers=h).status_code == 403
    assert client.get(f"{API}/users/{uid}", headers=h).status_code == 403
    body = {"username": "x1", "display_name": "x", "password": PASSWORD}
    assert client.post(f"{API}/users", json=body, headers=h).status_code == 403
    r = client.post(f"{API}/users/{uid}/posts", json={"role": "admin"}, headers=h)
    assert r.status_code == 403
    assert client.delete(f"{API}/posts/1", headers=h).status_code == 403


def test_admin_endpoints_need_credentials(client: TestClient) -> None:
    assert client.get(f"{API}/users").status_code == 401
    assert client.get(f"{API}/users/1").status_code == 401
    assert client.post(f"{API}/users", json={}).status_code in (401, 422)
    assert client.post(f"{API}/users/1/posts", json={"role": "admin"}).status_code == 401
    assert client.delete(f"{API}/posts/1").status_code == 401


def test_admin_endpoints_404(client: TestClient, admin_token: str) -> None:
    h = bearer(admin_token)
    assert client.get(f"{API}/users/999999", headers=h).status_code == 404
    r = client.post(f"{API}/users/999999/posts", json={"role": "resident"}, headers=h)
    assert r.status_code == 404
    assert client.delete(f"{API}/posts/999999", headers=h).status_code == 404
    me = client.get(f"{API}/me", headers=h).json()
    r = client.post(
        f"{API}/users/{me['user']['id']}/posts",
        json={"role": "grid_worker", "region_id": 999999},
        headers=h,
    )
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"username": "ok_name", "display_name": "甲", "password": "short"}, "10 个字符"),
        ({"username": "ok_name", "display_name": "甲", "password": "lettersonly1"}, "三类"),
        ({"username": "bad name", "display_name": "甲", "password": PASSWORD}, "用户名"),
        ({"username": "ok_name", "display_name": "", "password": PASSWORD}, ""),
        ({"username": "ok_name", "password": PASSWORD}, ""),
    ],
)
def test_create_user_validates(
    client: TestClient, admin_token: str, body: dict[str, str], fragment: str
) -> None:
    r = client.post(f"{API}/users", json=body, headers=bearer(admin_token))
    assert r.status_code == 422
    assert fragment in r.json()["detail"]


def test_create_user_conflict(client: TestClient, admin_token: str) -> None:
    body = {"username": "root", "display_name": "重复", "password": PASSWORD}
    r = client.post(f"{API}/users", json=body, headers=bearer(admin_token))
    assert r.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"role": "emperor"},
        {"role": "department_handler"},
        {"role": "utility_handler"},
        {"role": "grid_worker", "department_id": 1},
        {},
    ],
)
def test_add_post_validates(
    client: TestClient, admin_token: str, operator: tuple[int, str], body: dict[str, Any]
) -> None:
    uid, _ = operator
    r = client.post(f"{API}/users/{uid}/posts", json=body, headers=bearer(admin_token))
    assert r.status_code == 422


def test_add_the_same_post_twice_conflicts(
    client: TestClient, session: Session, admin_token: str, operator: tuple[int, str]
) -> None:
    uid, _ = operator
    city = session.scalar(select(Region.id).where(Region.code == SPARE_CITY))
    r = client.post(
        f"{API}/users/{uid}/posts",
        json={"role": "operator", "region_id": city},
        headers=bearer(admin_token),
    )
    assert r.status_code == 409
