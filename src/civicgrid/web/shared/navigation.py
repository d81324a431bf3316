"""Which pages each role sees in the navigation. Pure: no I/O, no web framework.

The table is the single place that says "a dispatcher sees the dispatch queue"; pages still
check roles themselves (``auth.deps.require_roles``) — hiding a link is not access control.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from civicgrid.auth.roles import Role

HANDLERS = (Role.STREET_HANDLER, Role.DEPARTMENT_HANDLER, Role.UTILITY_HANDLER)


@dataclass(frozen=True)
class NavEntry:
    """One page of the navigation and the roles that see it."""

    label: str
    href: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class NavItem:
    """A navigation link as rendered for one request."""

    label: str
    href: str
    active: bool = False


# Participation pages: staff who manage or read them, and residents who take part.
PARTICIPATION_STAFF = (
    Role.ADMIN,
    Role.STREET_HANDLER,
    Role.GRID_WORKER,
    Role.SUPERVISOR,
    Role.LEADER,
)
PARTICIPATION_ALL = (*PARTICIPATION_STAFF, Role.RESIDENT)

# Order is the order of the links in the top bar.
NAV_TABLE: tuple[NavEntry, ...] = (
    NavEntry("受理", "/appeals/new", frozenset({Role.OPERATOR})),
    NavEntry("派单队列", "/dispatch/queue", frozenset({Role.DISPATCHER})),
    NavEntry("待办", "/appeals/inbox", frozenset(HANDLERS)),
    NavEntry("我的任务", "/grid/tasks", frozenset({Role.GRID_WORKER})),
    NavEntry("人房", "/register", frozenset({Role.GRID_WORKER, Role.STREET_HANDLER})),
    NavEntry(
        "民情图",
        "/community-map",
        frozenset({Role.GRID_WORKER, Role.STREET_HANDLER, Role.SUPERVISOR, Role.LEADER}),
    ),
    NavEntry("议事协商", "/participation/consultations", frozenset(PARTICIPATION_ALL)),
    NavEntry("志愿服务", "/participation/orders", frozenset(PARTICIPATION_ALL)),
    NavEntry("志愿者台账", "/participation/volunteers", frozenset(PARTICIPATION_STAFF)),
    NavEntry("服务项目", "/participation/projects", frozenset(PARTICIPATION_STAFF)),
    NavEntry("督办", "/appeals/supervision", frozenset({Role.SUPERVISOR})),
    NavEntry("预警通知", "/notices/preference", frozenset(HANDLERS)),
    NavEntry("领导驾驶舱", "/dashboard", frozenset({Role.LEADER})),
    NavEntry("我的诉求", "/portal", frozenset({Role.RESIDENT})),
    NavEntry("管理", "/admin", frozenset({Role.ADMIN})),
)

ROLE_NAV: dict[Role, list[tuple[str, str]]] = {
    role: [(e.label, e.href) for e in NAV_TABLE if role in e.roles] for role in Role
}


def nav_items(roles: Iterable[Role], current_path: str = "") -> list[NavItem]:
    """The links for a user holding ``roles`` (each page once, in table order); the link whose
    page contains ``current_path`` is marked active."""
    held = frozenset(roles)
    return [
        NavItem(
            label=e.label,
            href=e.href,
            active=current_path == e.href or current_path.startswith(e.href + "/"),
        )
        for e in NAV_TABLE
        if e.roles & held
    ]
