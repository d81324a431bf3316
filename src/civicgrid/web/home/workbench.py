"""What the landing page shows each role (UX "workbench first"): groups of counted queues, each
linking to the list of exactly those appeals. Counts come from
:func:`civicgrid.appeals.queries.workbench.count_queues`, one statement per group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.appeals.queries import workbench
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role


@dataclass(frozen=True, slots=True)
class Tile:
    """One count on the workbench and the list it opens."""

    key: str
    label: str
    count: int
    href: str
    urgent: bool  # shown in the warning colour when not zero


@dataclass(frozen=True, slots=True)
class Group:
    """A titled row of tiles, with the page where the work is done."""

    title: str
    tiles: list[Tile]
    action_label: str = ""
    action_href: str = ""


@dataclass(frozen=True, slots=True)
class _Spec:
    title: str
    keys: tuple[str, ...]
    href: str  # "{key}" is replaced by the queue key
    urgent: frozenset[str] = frozenset()
    action_label: str = ""
    action_href: str = ""


INBOX = "/appeals/inbox?queue={key}"

SPECS: dict[Role, tuple[_Spec, ...]] = {
    Role.DISPATCHER: (
        _Spec(
            "等待我处理",
            ("manual", "return_requests", "extension_requests"),
            INBOX,
            frozenset({"return_requests", "extension_requests"}),
            "去派单",
            "/dispatch/queue",
        ),
    ),
    Role.STREET_HANDLER: (
        _Spec(
            "本单位主办",
            ("to_sign", "handling", "due_soon", "overdue_mine", "sent_back"),
            INBOX,
            frozenset({"to_sign", "due_soon", "overdue_mine", "sent_back"}),
        ),
        _Spec("本单位协办", ("co_unit",), INBOX),
    ),
    Role.GRID_WORKER: (
        _Spec(
            "我的网格",
            ("to_verify", "grid_open"),
            "/grid/tasks",
            frozenset({"to_verify"}),
            "巡查上报",
            "/grid/report",
        ),
    ),
    Role.SUPERVISOR: (
        _Spec(
            "督办",
            ("overdue", "red", "yellow"),
            INBOX,
            frozenset({"overdue", "red"}),
            "去督办",
            "/appeals/supervision",
        ),
    ),
    Role.OPERATOR: (
        _Spec(
            "今日回访",
            ("callbacks",),
            INBOX,
            frozenset({"callbacks"}),
            "受理新诉求",
            "/appeals/new",
        ),
    ),
    Role.LEADER: (
        _Spec(
            "全局",
            ("overdue", "red"),
            INBOX,
            frozenset({"overdue", "red"}),
            "看数据大屏",
            "/dashboard",
        ),
    ),
    Role.RESIDENT: (
        _Spec(
            "我的诉求",
            ("my_open", "my_to_rate"),
            "/portal",
            frozenset({"my_to_rate"}),
            "我要反映",
            "/portal/report",
        ),
    ),
}
SPECS[Role.DEPARTMENT_HANDLER] = SPECS[Role.STREET_HANDLER]
SPECS[Role.UTILITY_HANDLER] = SPECS[Role.STREET_HANDLER]

ADMIN_LINKS = (
    ("区划与网格", "/admin/territory"),
    ("用户与岗位", "/admin/users"),
    ("分类目录", "/admin/catalogue"),
    ("管理首页", "/admin"),
)


def groups_for(session: Session, actor: Actor, now: datetime) -> list[Group]:
    """The workbench of ``actor``: the groups of every role they hold, in a fixed order, each
    counted by one statement; a group two roles share is shown once."""
    groups: list[Group] = []
    seen: set[str] = set()
    for role in SPECS:
        if role not in actor.roles:
            continue
        for spec in SPECS[role]:
            if spec.title + ",".join(spec.keys) in seen:
                continue
            seen.add(spec.title + ",".join(spec.keys))
            counts = workbench.count_queues(session, actor, spec.keys, now=now)
            tiles = [
                Tile(
                    key=k,
                    label=workbench.queue(k).label,
                    count=counts[k],
                    href=spec.href.format(key=k),
                    urgent=k in spec.urgent and counts[k] > 0,
                )
                for k in spec.keys
            ]
            groups.append(Group(spec.title, tiles, spec.action_label, spec.action_href))
    return groups
