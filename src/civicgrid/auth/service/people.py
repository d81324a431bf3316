"""People as other users read them: the display name and the unit of the post they acted in
(``赵静（和平街道）``), never the login name. Read-only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Post, User
from civicgrid.auth.roles import Role
from civicgrid.territory import queries as territory_queries


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


def _unit_name(session: Session, post: Post, regions: dict[int, str]) -> str:
    """The name of the post's region, department or utility ('' for none: an admin's global
    post, a resident)."""
    if post.region_id is not None:
        return regions.get(post.region_id, "")
    if post.department_id is not None:
        department = territory_queries.find_department(session, post.department_id)
        return department.name if department else ""
    if post.utility_id is not None:
        utility = territory_queries.find_utility(session, post.utility_id)
        return utility.name if utility else ""
    return ""


def people_by_id(session: Session, user_ids: Iterable[int | None]) -> dict[int, Person]:
    """The named users with the unit of each of their posts, keyed by user id; unknown ids
    are left out. Two statements for the users and their posts, one for all their regions,
    one per distinct department or utility."""
    wanted = sorted({i for i in user_ids if i is not None})
    if not wanted:
        return {}
    users = list(session.scalars(select(User).where(User.id.in_(wanted))))
    posts = [p for u in users for p in u.posts if p.role != Role.RESIDENT.value]
    region_ids = [p.region_id for p in posts if p.region_id is not None]
    regions = {
        rid: region.name
        for rid, region in territory_queries.regions_by_ids(session, region_ids).items()
    }
    people: dict[int, Person] = {}
    for user in users:
        units: dict[str, str] = {}
        for post in sorted(user.posts, key=lambda p: p.id):
            if post.role == Role.RESIDENT.value:
                continue
            name = _unit_name(session, post, regions)
            if name:
                units.setdefault(post.role, name)
        people[user.id] = Person(name=user.display_name, units=units)
    return people
