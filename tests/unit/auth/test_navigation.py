"""The role → navigation table: each role sees only its pages."""

from __future__ import annotations

import pytest

from civicgrid.auth.roles import Role
from civicgrid.web.shared.navigation import NAV_TABLE, ROLE_NAV, nav_items

MAP = ("民情图", "/community-map")
CONSULT = ("议事协商", "/participation/consultations")
ORDERS = ("志愿服务", "/participation/orders")
VOLUNTEERS = ("志愿者台账", "/participation/volunteers")
PROJECTS = ("服务项目", "/participation/projects")
PARTICIPATION = [CONSULT, ORDERS, VOLUNTEERS, PROJECTS]
WARNINGS = ("预警通知", "/notices/preference")

EXPECTED: dict[Role, list[tuple[str, str]]] = {
    Role.OPERATOR: [("受理", "/appeals/new")],
    Role.DISPATCHER: [("派单队列", "/dispatch/queue")],
    Role.STREET_HANDLER: [
        ("待办", "/appeals/inbox"),
        ("人房", "/register"),
        MAP,
        *PARTICIPATION,
        WARNINGS,
    ],
    Role.DEPARTMENT_HANDLER: [("待办", "/appeals/inbox"), WARNINGS],
    Role.UTILITY_HANDLER: [("待办", "/appeals/inbox"), WARNINGS],
    Role.GRID_WORKER: [("我的任务", "/grid/tasks"), ("人房", "/register"), MAP, *PARTICIPATION],
    Role.SUPERVISOR: [MAP, *PARTICIPATION, ("督办", "/appeals/supervision")],
    Role.LEADER: [MAP, *PARTICIPATION, ("领导驾驶舱", "/dashboard")],
    Role.RESIDENT: [CONSULT, ORDERS, ("我的诉求", "/portal")],
    Role.ADMIN: [*PARTICIPATION, ("管理", "/admin")],
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_exactly_its_pages(role: Role) -> None:
    assert ROLE_NAV[role] == EXPECTED[role]
    assert [(i.label, i.href) for i in nav_items([role])] == EXPECTED[role]


def test_every_page_is_reachable_by_some_role() -> None:
    for entry in NAV_TABLE:
        assert entry.roles, entry.href


def test_several_roles_get_each_page_once_in_table_order() -> None:
    items = nav_items([Role.GRID_WORKER, Role.STREET_HANDLER, Role.ADMIN])
    assert [i.href for i in items] == [
        "/appeals/inbox",
        "/grid/tasks",
        "/register",
        "/community-map",
        *(href for _, href in PARTICIPATION),
        "/notices/preference",
        "/admin",
    ]


def test_no_roles_no_navigation() -> None:
    assert nav_items([]) == []


def test_current_page_and_its_subpages_are_marked_active() -> None:
    items = nav_items([Role.GRID_WORKER], "/register/houses/7")
    assert {i.href: i.active for i in items} == {
        "/grid/tasks": False,
        "/register": True,
        "/community-map": False,
        **{href: False for _, href in PARTICIPATION},
    }
    assert not any(i.active for i in nav_items([Role.GRID_WORKER], "/registered"))
