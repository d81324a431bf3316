"""The admin users page refuses a staff post without anchor: 422, the Chinese message beside the
所在区划 / 单位 field, the typed input kept, no account created."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.web.conftest import LoginAs

from civicgrid.auth import service


def test_creating_an_account_without_anchor_shows_the_message_beside_the_field(
    client: TestClient, login: LoginAs, session: Session
) -> None:
    csrf = login("admin")
    r = client.post(
        "/admin/users",
        data={
            "username": "nowhere_op",
            "display_name": "钱七",
            "password": "Str0ng!Passw0rd",
            "role": "operator",
            "anchor": "",
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 422
    message = "话务员岗位必须指定所属区划（或部门、公共服务企业）"
    assert f'<p class="errors field-error" id="anchor-error">{message}</p>' in r.text
    assert 'aria-describedby="anchor-error"' in r.text
    assert 'value="nowhere_op"' in r.text
    session.expire_all()
    assert service.find_user_id(session, "nowhere_op") is None


def test_adding_a_post_without_anchor_shows_the_message_in_that_users_form(
    client: TestClient, login: LoginAs, world: World
) -> None:
    csrf = login("admin")
    uid = world.actor("grid_a1").user_id
    r = client.post(
        f"/admin/users/{uid}/posts",
        data={"role": "leader", "anchor": "", "title": "", "csrf_token": csrf},
    )
    assert r.status_code == 422
    assert f'id="anchor-{uid}-error">领导岗位必须指定所属区划' in r.text


def test_an_unknown_role_is_refused_with_the_input_kept(
    client: TestClient, login: LoginAs, session: Session
) -> None:
    csrf = login("admin")
    r = client.post(
        "/admin/users",
        data={
            "username": "no_role",
            "display_name": "孙八",
            "password": "Str0ng!Passw0rd",
            "role": "emperor",
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 422
    assert "请选择角色" in r.text
    assert 'value="no_role"' in r.text
    session.expire_all()
    assert service.find_user_id(session, "no_role") is None


def test_the_users_list_says_what_a_post_without_a_place_reaches(
    client: TestClient, login: LoginAs, world: World
) -> None:
    login("admin")
    page = client.get("/admin/users").text
    assert "居民 · 仅本人" in page
    assert "系统管理员 · 全局" in page
    assert "未指定" not in page
