"""Build the demo city through the services: territory, one user per role, the register and a
year of appeals (the ``demo/appeals_year`` package). Deterministic per seed.

The whole build runs inside one outer transaction (:func:`build_session`): every use case still
commits, but the outer transaction is committed only when everything succeeded, so a failed
build leaves the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.clock import Clock
from civicgrid.config import get_settings
from civicgrid.demo.appeals_year import build_appeals_year, create_demo_actors
from civicgrid.demo.city import build_territory_spec
from civicgrid.demo.people import GridInfo, build_register_spec
from civicgrid.kit.crypto import FieldCipher
from civicgrid.participation.demo import build_participation_demo
from civicgrid.register import exchange as register_exchange
from civicgrid.territory import queries as territory_queries
from civicgrid.territory import service as territory_service
from civicgrid.territory.schemas import TerritorySpec

DEMO_PASSWORD = "civic2026"  # noqa: S105  (published demo password, printed at every start)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: Role
    where: str


@dataclass
class DemoSummary:
    seed: int
    scale: str
    regions: int = 0
    grids: int = 0
    departments: int = 0
    utilities: int = 0
    residents: int = 0
    appeals: int = 0
    appeal_statuses: dict[str, int] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)


# Residents per grid by scale: ≈ 30,000 residents for the small city; the city scale exists for
# territory benchmarks and gets a thin register.
RESIDENTS_PER_GRID = {"tiny": 20, "small": 230, "city": 5}
# Grid workers created for the year of appeals (one per community, in its first grid); each
# account costs a password hash, so the city scale gets only a few.
GRID_WORKERS = {"tiny": 4, "small": 8, "city": 4}


def build_demo_city(
    engine: Engine,
    *,
    seed: int,
    scale: str,
    clock: Clock,
    field_key: str,
    residents_per_grid: int | None = None,
    appeals: int | None = None,
    media_dir: Path | None = None,
) -> DemoSummary:
    """Build the demo city in one transaction on ``engine``; returns what was created.
    ``field_key`` is the Fernet key that encrypts residents' ID numbers, phones and callers;
    ``appeals`` overrides the number of appeals of the year (default per scale); photos go to
    ``media_dir`` (default: the configured media folder)."""
    with engine.connect() as conn:
        trans = conn.begin()
        session = build_session(conn)
        try:
            summary = _build(
                session, seed=seed, scale=scale, now=clock.now(), field_key=field_key,
                residents_per_grid=residents_per_grid or RESIDENTS_PER_GRID.get(scale, 20),
                appeals=appeals, media_dir=media_dir or get_settings().media_dir,
            )  # fmt: skip
        except BaseException:
            session.close()
            if trans.is_active:  # a failed use case may have rolled the outer one back already
                trans.rollback()
            raise
        session.close()
        trans.commit()
    return summary


def build_session(conn: Connection) -> Session:
    """A session inside the build's one outer transaction on ``conn``. The use cases commit as
    always, but their commits stay inside the outer transaction without a SAVEPOINT each
    (``join_transaction_mode="rollback_only"``): the build commits once at the end, and a use
    case that fails rolls the whole build back, which is what the builder does with any error."""
    return Session(bind=conn, expire_on_commit=False, join_transaction_mode="rollback_only")


def _build(
    session: Session,
    *,
    seed: int,
    scale: str,
    now: datetime,
    field_key: str,
    residents_per_grid: int,
    appeals: int | None = None,
    media_dir: Path,
) -> DemoSummary:
    system = Actor.system("demo")
    spec = build_territory_spec(seed, scale)
    created = territory_service.create_from_spec(session, spec=spec, actor=system, now=now)
    summary = DemoSummary(seed=seed, scale=scale)
    summary.regions = created.regions.created
    summary.grids = created.regions.by_level.get("grid", 0)
    summary.departments = created.departments
    summary.utilities = created.utilities
    summary.logins = _create_users(session, spec=spec, now=now)
    grids = [
        GridInfo(f["properties"]["code"], f["properties"]["name"])
        for f in spec.features["features"]
        if f["properties"]["level"] == "grid"
    ]
    register = build_register_spec(seed, grids, residents_per_grid=residents_per_grid)
    loaded = register_exchange.create_register_bulk(
        session, spec=register, actor=system, cipher=FieldCipher(field_key), now=now
    )
    summary.residents = loaded.residents
    year_start = now - timedelta(days=366)
    actors = create_demo_actors(
        session, seed=seed, password=DEMO_PASSWORD, grid_workers=GRID_WORKERS.get(scale, 4),
        now=year_start,
    )  # fmt: skip
    addresses: dict[str, list[str]] = {}
    for house in register.houses:
        if house.is_vacant:
            continue
        places = addresses.setdefault(house.grid_code, [])
        place = f"{house.address}{house.building}"
        if place not in places:
            places.append(place)
    year = build_appeals_year(
        session, seed=seed, scale=scale, year_end=now, count=appeals, actors=actors,
        field_key=field_key, media_dir=media_dir, addresses=addresses,
    )  # fmt: skip
    summary.appeals = year.created
    summary.appeal_statuses = dict(sorted(year.by_status.items()))
    build_participation_demo(session, seed=seed, actor=system, now=now)
    return summary


def _first_code(spec: TerritorySpec, level: str) -> str:
    for feature in spec.features["features"]:
        if feature["properties"]["level"] == level:
            return str(feature["properties"]["code"])
    raise ValueError(f"the demo territory has no {level}")


def _create_users(session: Session, *, spec: TerritorySpec, now: datetime) -> list[DemoLogin]:
    """One user per role, each with a post that shows the role's view of the demo city."""
    system = Actor.system("demo")
    region = {
        level: territory_queries.get_region_by_code(session, _first_code(spec, level))
        for level in ("city", "district", "street", "grid")
    }
    department = territory_queries.get_department_by_code(session, spec.departments[0].code)
    utility = territory_queries.get_utility_by_code(session, spec.utilities[0].code)
    city, district, street, grid = (region[k] for k in ("city", "district", "street", "grid"))
    plan: list[tuple[str, str, Role, dict[str, int], str]] = [
        ("admin", "系统管理员", Role.ADMIN, {}, "全市"),
        ("operator", "话务员王晓", Role.OPERATOR, {"region_id": city.id}, city.name),
        ("dispatcher", "派单员李明", Role.DISPATCHER, {"region_id": city.id}, city.name),
        ("street", "街道承办人赵静", Role.STREET_HANDLER, {"region_id": street.id}, street.name),
        ("dept", "部门承办人孙强", Role.DEPARTMENT_HANDLER,
         {"department_id": department.id}, department.name),
        ("utility", "企业承办人周涛", Role.UTILITY_HANDLER,
         {"utility_id": utility.id}, utility.name),
        ("grid", "网格员陈芳", Role.GRID_WORKER, {"region_id": grid.id}, grid.name),
        ("supervisor", "督办员吴刚", Role.SUPERVISOR, {"region_id": district.id}, district.name),
        ("leader", "区领导郑华", Role.LEADER, {"region_id": district.id}, district.name),
        ("resident", "居民刘洋", Role.RESIDENT, {}, "个人"),
    ]  # fmt: skip
    logins = []
    for username, name, role, anchor, where in plan:
        user = auth_service.create_user(
            session, username=username, display_name=name, password=DEMO_PASSWORD,
            actor=system, now=now,
        )  # fmt: skip
        auth_service.add_post(
            session, user_id=user.id, role=role, title=role.label, actor=system, now=now,
            region_id=anchor.get("region_id"), department_id=anchor.get("department_id"),
            utility_id=anchor.get("utility_id"),
        )  # fmt: skip
        logins.append(DemoLogin(username, name, role, where))
    return logins


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
