"""People as other users read them: the display name and the unit of the post they acted in
(``赵静（和平街道）``), never the login name. Read-only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import User
from civicgrid.auth.roles import Role
from civicgrid.auth.service.posts import describe_posts

# Anchor names that say nothing about a unit (an admin's global post, a resident's none).
_NO_UNIT = frozenset({"全局", "未指定"})


@dataclass(frozen=True, slots=True)
class Person:
    """A user's display name and, per role they hold, the unit of that post."""

    name: str
    units: dict[str, str] = field(default_factory=dict)

    def label(self, role: str = "") -> str:
        """``name（unit）`` for the post of ``role`` (or the first post with a unit), the name
        alone when no post names a unit."""
        unit = self.units.get(role) or next(iter(self.units.values()), "")
        return f"{self.name}（{unit}）" if unit else self.name


def people_by_id(session: Session, user_ids: Iterable[int | None]) -> dict[int, Person]:
    """The named users with the unit of each of their posts, keyed by user id; unknown ids
    are left out."""
    wanted = sorted({i for i in user_ids if i is not None})
    if not wanted:
        return {}
    people: dict[int, Person] = {}
    for user in session.scalars(select(User).where(User.id.in_(wanted))):
        units: dict[str, str] = {}
        for post in describe_posts(session, user):
            if post.role is not Role.RESIDENT and post.anchor_name not in _NO_UNIT:
                units.setdefault(post.role.value, post.anchor_name)
        people[user.id] = Person(name=user.display_name, units=units)
    return people
