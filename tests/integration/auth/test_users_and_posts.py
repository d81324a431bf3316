"""Use cases for accounts and posts: create_user, add_post, create_user_with_post,
remove_post — happy paths, each refusal, and the audit rows."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, MiniTerritory, make_user

from civicgrid.audit.service import list_entries
from civicgrid.auth import service
from civicgrid.auth.actor import Actor
from civicgrid.auth.models import User
from civicgrid.auth.passwords import verify_password
from civicgrid.auth.roles import Role
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound


def _user(session: Session, now: datetime, username: str = "zhangsan") -> User:
    return service.create_user(
        session,
        username=username,
        display_name="张三",
        password="Passw0rd!x",
        actor=SYSTEM,
        now=now,
    )


def test_create_user_stores_an_argon2_hash_and_audits(session: Session, now: datetime) -> None:
    user = _user(session, now)
    assert user.id is not None
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password("Passw0rd!x", user.password_hash)
    assert user.is_active
    assert user.created_at == now
    assert user.password_changed_at == now
    assert not user.must_change_password
    (entry,) = list_entries(session, subject_type="user", subject_id=user.id)
    assert entry.action == "user.create"
    assert entry.outcome == "success"
    assert entry.actor_label == SYSTEM.label
    assert "Passw0rd" not in str(entry.detail)


@pytest.mark.parametrize(
    ("username", "display_name", "password", "fragment"),
    [
        ("zhangsan", "张三", "Short1!", "至少需要 10 个字符"),
        ("zhangsan", "张三", "onlyletters1", "至少三类"),
        ("zhangsan", "张三", "Zhangsan-2026", "不能包含用户名"),
        ("zhangsan", "张三", "Qwer@123456", "过于常见"),
        ("a", "张三", "Passw0rd!x", "用户名"),
        ("has space", "张三", "Passw0rd!x", "用户名"),
        ("zhangsan", "   ", "Passw0rd!x", "姓名不能为空"),
    ],
)
def test_create_user_refuses_bad_input(
    session: Session,
    now: datetime,
    username: str,
    display_name: str,
    password: str,
    fragment: str,
) -> None:
    with pytest.raises(Invalid, match=fragment):
        service.create_user(
            session,
            username=username,
            display_name=display_name,
            password=password,
            actor=SYSTEM,
            now=now,
        )
    assert service.find_user_id(session, username) is None


def test_create_user_refuses_a_taken_username(session: Session, now: datetime) -> None:
    _user(session, now)
    with pytest.raises(Conflict, match="已被使用"):
        _user(session, now)


def test_only_admins_create_users(session: Session, now: datetime) -> None:
    clerk = Actor(
        user_id=99, username="clerk", display_name="话务员", roles=frozenset({Role.OPERATOR})
    )
    with pytest.raises(Forbidden):
        service.create_user(
            session,
            username="lisi",
            display_name="李四",
            password="Passw0rd!x",
            actor=clerk,
            now=now,
        )
    assert service.find_user_id(session, "lisi") is None


def test_add_region_post_and_audit(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    user = _user(session, now)
    street = territory.region(territory.STREET_A)
    post = service.add_post(
        session,
        user_id=user.id,
        role=Role.STREET_HANDLER,
        region_id=street.id,
        title="城管科",
        actor=SYSTEM,
        now=now,
    )
    assert post.role == "street_handler"
    assert post.region_id == street.id
    (entry,) = list_entries(session, action="post.add")
    assert entry.subject_id == str(post.id)
    assert entry.detail["user_id"] == user.id
    views = service.describe_posts(session, service.get_user(session, user.id))
    assert [(v.role, v.anchor_name, v.title) for v in views] == [
        (Role.STREET_HANDLER, "建外街道", "城管科")
    ]


def test_department_and_utility_posts(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    user = _user(session, now)
    dept = service.add_post(
        session,
        user_id=user.id,
        role=Role.DEPARTMENT_HANDLER,
        department_id=territory.department().id,
        actor=SYSTEM,
        now=now,
    )
    util = service.add_post(
        session,
        user_id=user.id,
        role=Role.UTILITY_HANDLER,
        utility_id=territory.utility().id,
        actor=SYSTEM,
        now=now,
    )
    assert dept.department_id == territory.department().id
    assert util.utility_id == territory.utility().id


@pytest.mark.parametrize(
    ("role", "anchor", "error", "fragment"),
    [
        (Role.DEPARTMENT_HANDLER, None, Invalid, "必须指定所属部门"),
        (Role.DEPARTMENT_HANDLER, "region", Invalid, "必须指定所属部门"),
        (Role.UTILITY_HANDLER, None, Invalid, "必须指定所属公共服务企业"),
        (Role.STREET_HANDLER, "department", Invalid, "不能设在部门上"),
        (Role.LEADER, "utility", Invalid, "不能设在公共服务企业上"),
        (Role.STREET_HANDLER, "both", Invalid, "只能设在一个"),
        (Role.GRID_WORKER, "missing_region", NotFound, "区划"),
        (Role.DEPARTMENT_HANDLER, "missing_department", NotFound, "部门"),
        (Role.UTILITY_HANDLER, "missing_utility", NotFound, "公共服务企业"),
    ],
)
def test_add_post_refuses_anchors_that_do_not_fit(
    session: Session,
    now: datetime,
    territory: MiniTerritory,
    role: Role,
    anchor: str | None,
    error: type[Exception],
    fragment: str,
) -> None:
    user = _user(session, now)
    street = territory.region(territory.STREET_A).id
    dept = territory.department().id
    util = territory.utility().id
    anchors: dict[str, int] = {
        "": {},
        "region": {"region_id": street},
        "department": {"department_id": dept},
        "utility": {"utility_id": util},
        "both": {"region_id": street, "department_id": dept},
        "missing_region": {"region_id": 999_999},
        "missing_department": {"department_id": 999_999},
        "missing_utility": {"utility_id": 999_999},
    }[anchor or ""]
    with pytest.raises(error, match=fragment):
        service.add_post(
            session,
            user_id=user.id,
            role=role,
            region_id=anchors.get("region_id"),
            department_id=anchors.get("department_id"),
            utility_id=anchors.get("utility_id"),
            actor=SYSTEM,
            now=now,
        )
    assert service.get_user(session, user.id).posts == []
    assert list_entries(session, action="post.add") == []


def test_add_post_refuses_an_unknown_user(session: Session, now: datetime) -> None:
    with pytest.raises(NotFound, match="用户"):
        service.add_post(session, user_id=999_999, role=Role.RESIDENT, actor=SYSTEM, now=now)


def test_add_post_refuses_the_same_post_twice(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    user = _user(session, now)
    grid = territory.region(territory.GRID_A1).id
    service.add_post(
        session, user_id=user.id, role=Role.GRID_WORKER, region_id=grid, actor=SYSTEM, now=now
    )
    with pytest.raises(Conflict, match="相同的岗位"):
        service.add_post(
            session, user_id=user.id, role=Role.GRID_WORKER, region_id=grid, actor=SYSTEM, now=now
        )


def test_district_admin_manages_only_inside_the_district(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    admin, _ = make_user(session, role=Role.ADMIN, region_code=territory.DISTRICT_A, now=now)
    district_admin = service.actor_for_user(session, admin.id)
    user = _user(session, now)
    inside = territory.region(territory.COMMUNITY_A1).id
    outside = territory.region(territory.STREET_B).id
    service.add_post(
        session,
        user_id=user.id,
        role=Role.GRID_WORKER,
        region_id=inside,
        actor=district_admin,
        now=now,
    )
    with pytest.raises(Forbidden, match="不在您的管理范围内"):
        service.add_post(
            session,
            user_id=user.id,
            role=Role.GRID_WORKER,
            region_id=outside,
            actor=district_admin,
            now=now,
        )
    with pytest.raises(Forbidden, match="全局"):
        service.add_post(session, user_id=user.id, role=Role.ADMIN, actor=district_admin, now=now)
    with pytest.raises(Forbidden, match="不在您的管理范围内"):
        service.add_post(
            session,
            user_id=user.id,
            role=Role.DEPARTMENT_HANDLER,
            department_id=territory.department().id,
            actor=district_admin,
            now=now,
        )


def test_only_admins_add_posts(session: Session, now: datetime) -> None:
    user = _user(session, now)
    leader = Actor(user_id=5, username="boss", display_name="领导", roles=frozenset({Role.LEADER}))
    with pytest.raises(Forbidden):
        service.add_post(session, user_id=user.id, role=Role.RESIDENT, actor=leader, now=now)


def test_create_user_with_post_is_one_transaction(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    with pytest.raises(Invalid):
        service.create_user_with_post(
            session,
            username="wangwu",
            display_name="王五",
            password="Passw0rd!x",
            role=Role.DEPARTMENT_HANDLER,
            actor=SYSTEM,
            now=now,
        )
    assert service.find_user_id(session, "wangwu") is None
    user, post = service.create_user_with_post(
        session,
        username="wangwu",
        display_name="王五",
        password="Passw0rd!x",
        role=Role.DEPARTMENT_HANDLER,
        department_id=territory.department().id,
        actor=SYSTEM,
        now=now,
    )
    assert post.user_id == user.id
    assert [e.action for e in list_entries(session)] == ["post.add", "user.create"]


def test_remove_post_and_audit(session: Session, now: datetime, territory: MiniTerritory) -> None:
    user, _ = make_user(session, role=Role.GRID_WORKER, region_code=territory.GRID_A1, now=now)
    (post,) = user.posts
    post_id = post.id
    service.remove_post(session, post_id=post_id, actor=SYSTEM, now=now)
    assert service.get_user(session, user.id).posts == []
    (entry,) = list_entries(session, action="post.remove")
    assert entry.subject_id == str(post_id)
    assert entry.detail["role"] == "grid_worker"
    with pytest.raises(NotFound):
        service.remove_post(session, post_id=post_id, actor=SYSTEM, now=now)


def test_the_last_global_admin_post_stays(session: Session, now: datetime) -> None:
    first, _ = make_user(session, role=Role.ADMIN, now=now)
    with pytest.raises(Conflict, match="最后一个"):
        service.remove_post(session, post_id=first.posts[0].id, actor=SYSTEM, now=now)
    make_user(session, role=Role.ADMIN, now=now)
    service.remove_post(session, post_id=first.posts[0].id, actor=SYSTEM, now=now)
    assert service.get_user(session, first.id).posts == []


def test_a_district_admin_cannot_see_posts_elsewhere(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    admin, _ = make_user(session, role=Role.ADMIN, region_code=territory.DISTRICT_A, now=now)
    worker, _ = make_user(session, role=Role.GRID_WORKER, region_code=territory.STREET_B, now=now)
    with pytest.raises(NotFound):
        service.remove_post(
            session,
            post_id=worker.posts[0].id,
            actor=service.actor_for_user(session, admin.id),
            now=now,
        )


def test_list_users_is_for_admins(session: Session, now: datetime) -> None:
    _user(session, now, "b_user")
    _user(session, now, "a_user")
    assert [u.username for u in service.list_users(session, actor=SYSTEM)] == ["a_user", "b_user"]
    with pytest.raises(Forbidden):
        service.list_users(session, actor=Actor(user_id=1, username="x", display_name="x"))


def test_resolve_anchor_codes(session: Session, territory: MiniTerritory) -> None:
    ids = service.resolve_anchor_codes(session, region_code=territory.GRID_A1)
    assert ids.region_id == territory.region(territory.GRID_A1).id
    ids = service.resolve_anchor_codes(session, department_code=territory.DEPARTMENT)
    assert ids.department_id == territory.department().id
    ids = service.resolve_anchor_codes(session, utility_code=territory.UTILITY)
    assert ids.utility_id == territory.utility().id
    for kwargs in ({"region_code": "000"}, {"department_code": "X"}, {"utility_code": "Y"}):
        with pytest.raises(NotFound):
            service.resolve_anchor_codes(session, **kwargs)
