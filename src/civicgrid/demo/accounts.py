"""The demo accounts: one user per role, with the published password, as ``civicgrid demo``
prints them at every start and the login page of a demo city lists them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.roles import Role

DEMO_PASSWORD = "Civic@2026"  # noqa: S105  (published demo password, printed at every start)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: Role
    where: str


DEMO_USERS: tuple[tuple[str, Role], ...] = (
    ("admin", Role.ADMIN),
    ("operator", Role.OPERATOR),
    ("dispatcher", Role.DISPATCHER),
    ("street", Role.STREET_HANDLER),
    ("dept", Role.DEPARTMENT_HANDLER),
    ("utility", Role.UTILITY_HANDLER),
    ("grid", Role.GRID_WORKER),
    ("supervisor", Role.SUPERVISOR),
    ("leader", Role.LEADER),
    ("resident", Role.RESIDENT),
)


def demo_logins(session: Session) -> list[DemoLogin]:
    """The demo accounts that exist in the database (for printing at start-up)."""
    logins = []
    for username, role in DEMO_USERS:
        user_id = auth_service.find_user_id(session, username)
        if user_id is None:
            continue
        user = auth_service.get_user(session, user_id)
        where = ", ".join(
            p.anchor_name or "全市" for p in auth_service.describe_posts(session, user)
        )
        logins.append(DemoLogin(username, user.display_name, role, where))
    return logins
