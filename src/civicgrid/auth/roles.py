"""Roles a post can hold, with their Chinese labels. Pure: no I/O."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user does at a post; stored as its English code."""

    ADMIN = "admin"
    OPERATOR = "operator"
    DISPATCHER = "dispatcher"
    STREET_HANDLER = "street_handler"
    DEPARTMENT_HANDLER = "department_handler"
    UTILITY_HANDLER = "utility_handler"
    GRID_WORKER = "grid_worker"
    SUPERVISOR = "supervisor"
    LEADER = "leader"
    RESIDENT = "resident"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "系统管理员",
    Role.OPERATOR: "话务员",
    Role.DISPATCHER: "派单员",
    Role.STREET_HANDLER: "街乡承办人",
    Role.DEPARTMENT_HANDLER: "部门承办人",
    Role.UTILITY_HANDLER: "公共服务企业承办人",
    Role.GRID_WORKER: "网格员",
    Role.SUPERVISOR: "督办员",
    Role.LEADER: "领导",
    Role.RESIDENT: "居民",
}

# Roles whose post is anchored on a department or a utility rather than on a region.
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_HANDLER})
UTILITY_ROLES = frozenset({Role.UTILITY_HANDLER})
# Roles whose post may stand without an anchor: a global admin, and a resident (a person, not
# a staff post). Every other post needs a region, a department or a utility.
UNANCHORED_ROLES = frozenset({Role.ADMIN, Role.RESIDENT})


def needs_anchor(role: Role) -> bool:
    """Whether a post of ``role`` must name its region, department or utility."""
    return role not in UNANCHORED_ROLES
