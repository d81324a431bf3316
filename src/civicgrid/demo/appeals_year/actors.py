"""Who acts in the demo year: the centre's staff, a handler for every unit, grid workers and a
few residents — real users with posts, created through ``create_user_with_post``."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.territory import queries as territory_queries


@dataclass
class DemoActors:
    """Who acts in the demo year: the centre's staff, one handler per unit, grid workers and a
    few residents, as :class:`Actor` objects of real users with posts."""

    operator: Actor
    dispatcher: Actor
    supervisor: Actor
    streets: dict[int, Actor] = field(default_factory=dict)
    """Handlers of streets, and of the district (区政府兜底), by region id."""
    departments: dict[int, Actor] = field(default_factory=dict)
    utilities: dict[int, Actor] = field(default_factory=dict)
    grid_workers: dict[int, Actor] = field(default_factory=dict)
    """Grid workers by the id of their grid."""
    residents: list[Actor] = field(default_factory=list)

    def handler(self, kind: str, unit_id: int) -> Actor:
        """The handler of a unit (``region``, ``department`` or ``utility``)."""
        table = {"region": self.streets, "department": self.departments}.get(kind, self.utilities)
        return table[unit_id]


_NAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦许何吕施张孔曹严华金魏陶姜"
_GIVEN = "建国晓东丽华志强秀兰海燕文博红梅立新春燕国庆玉兰德明静怡"


def _handler_name(rng: random.Random, prefix: str) -> str:
    given = rng.choice(_GIVEN) + rng.choice(_GIVEN)
    return f"{prefix}{rng.choice(_NAMES)}{given}"


@dataclass
class _Users:
    """Finds demo users or creates them with a post (``create_user_with_post``)."""

    session: Session
    password: str
    now: datetime
    rng: random.Random
    system: Actor = field(default_factory=lambda: Actor.system("demo"))

    def existing(self, username: str) -> Actor | None:
        user_id = auth_service.find_user_id(self.session, username)
        return None if user_id is None else auth_service.actor_for_user(self.session, user_id)

    def make(self, username: str, name: str, role: Role, **anchor: int) -> Actor:
        found = self.existing(username)
        if found is not None:
            return found
        user, _ = auth_service.create_user_with_post(
            self.session, username=username, display_name=name, password=self.password,
            role=role, title=role.label, actor=self.system, now=self.now, **anchor,
        )  # fmt: skip
        return auth_service.actor_for_user(self.session, user.id)

    def required(self, username: str) -> Actor:
        found = self.existing(username)
        if found is None:
            raise LookupError(f"the demo user {username} is missing")
        return found


def _taken_units(users: _Users) -> dict[tuple[str, int], Actor]:
    """The units the seeded demo handlers (street, dept, utility, grid) already hold."""
    taken: dict[tuple[str, int], Actor] = {}
    for username in ("street", "dept", "utility", "grid"):
        found = users.existing(username)
        if found is None:
            continue
        for post in found.posts:
            for kind, unit in (
                ("region", post.region_id),
                ("department", post.department_id),
                ("utility", post.utility_id),
            ):
                if unit is not None:
                    taken[(kind, unit)] = found
    return taken


def _add_region_actors(
    users: _Users,
    actors: DemoActors,
    taken: dict[tuple[str, int], Actor],
    grid_workers: int,
) -> None:
    """A handler for the district and every street; grid workers, one per community."""
    regions = territory_queries.all_regions(users.session)
    parent = {r.id: r.parent_id for r in regions}
    for (kind, unit), actor in taken.items():
        if kind == "region" and actor.has_role(Role.GRID_WORKER):
            actors.grid_workers[unit] = actor
    covered = {parent.get(g) for g in actors.grid_workers}
    rng = users.rng
    for region in regions:
        if region.level in ("district", "street"):
            label = "区政府承办人" if region.level == "district" else "街道承办人"
            actors.streets[region.id] = taken.get(("region", region.id)) or users.make(
                f"{region.level}_{region.code}", _handler_name(rng, label),
                Role.STREET_HANDLER, region_id=region.id,
            )  # fmt: skip
        elif region.level == "grid" and len(actors.grid_workers) < grid_workers:
            if region.parent_id in covered:
                continue
            covered.add(region.parent_id)
            actors.grid_workers[region.id] = users.make(
                f"grid_{region.code}", _handler_name(rng, "网格员"), Role.GRID_WORKER,
                region_id=region.id,
            )  # fmt: skip


def _add_unit_actors(
    users: _Users, actors: DemoActors, taken: dict[tuple[str, int], Actor]
) -> None:
    """A handler for every department and every utility."""
    rng = users.rng
    for dept in territory_queries.list_departments(users.session):
        actors.departments[dept.id] = taken.get(("department", dept.id)) or users.make(
            f"dept_{dept.code}", _handler_name(rng, "部门承办人"), Role.DEPARTMENT_HANDLER,
            department_id=dept.id,
        )  # fmt: skip
    for util in territory_queries.list_utilities(users.session):
        actors.utilities[util.id] = taken.get(("utility", util.id)) or users.make(
            f"util_{util.code}", _handler_name(rng, "企业承办人"), Role.UTILITY_HANDLER,
            utility_id=util.id,
        )  # fmt: skip


def create_demo_actors(
    session: Session, *, seed: int, password: str, grid_workers: int, now: datetime
) -> DemoActors:
    """The centre's demo users, plus a handler for every street, the district, every department
    and every utility that has none yet, up to ``grid_workers`` grid workers (one per community,
    in its first grid) and three more residents — all created with ``create_user_with_post``."""
    users = _Users(session, password, now, random.Random(f"civicgrid-demo-actors-{seed}"))
    actors = DemoActors(
        operator=users.required("operator"),
        dispatcher=users.required("dispatcher"),
        supervisor=users.required("supervisor"),
    )
    taken = _taken_units(users)
    _add_region_actors(users, actors, taken, grid_workers)
    _add_unit_actors(users, actors, taken)
    resident = users.existing("resident")
    if resident is not None:
        actors.residents.append(resident)
    for n in range(1, 4):
        actors.residents.append(
            users.make(f"resident{n}", _handler_name(users.rng, ""), Role.RESIDENT)
        )
    return actors
