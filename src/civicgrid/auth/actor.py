"""Who is acting: the authenticated user with roles and data scope. Pure value object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from civicgrid.auth.roles import Role
from civicgrid.auth.scope import GLOBAL_SCOPE, DataScope


@dataclass(frozen=True)
class PostRef:
    """One post of the actor: a role held at a region, a department or a utility."""

    post_id: int
    role: Role
    region_id: int | None = None
    region_path: str | None = None
    department_id: int | None = None
    utility_id: int | None = None


# Pending account actions: what a web session must do before any other page or call.
PENDING_PASSWORD_CHANGE = "password_change"  # noqa: S105 - an action name, not a secret
PENDING_TOTP_ENROLMENT = "totp_enrolment"


@dataclass(frozen=True)
class Actor:
    """The user behind a request, job or CLI command. ``pending`` names account actions the
    user must complete first (a forced password change, a required 2FA enrolment)."""

    user_id: int | None
    username: str
    display_name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    scope: DataScope = field(default_factory=DataScope)
    posts: tuple[PostRef, ...] = ()
    pending: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def label(self) -> str:
        return f"{self.username}({self.display_name})"

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """An actor for CLI commands, jobs and the demo builder: global scope, admin role."""
        return cls(
            user_id=None,
            username=name,
            display_name="系统",
            roles=frozenset({Role.ADMIN}),
            scope=GLOBAL_SCOPE,
        )


class ActingAs(TypedDict):
    """The keyword arguments every use case takes: who acts, and when (``**call.by``; mypy
    checks the keys against the use case)."""

    actor: Actor
    now: datetime
