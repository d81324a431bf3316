"""Build the demo city through the services: territory, one user per role, the register and a
year of appeals (the ``demo/appeals_year`` package). Deterministic per seed.

The city with the recent weeks of appeals is built inside one outer transaction
(:func:`build_session`): every use case still commits, but the outer transaction is committed
only when everything succeeded, so a failed build leaves the database as it was. The months of
history before those weeks are built in the same transaction (``history="inline"``) or later
(``history="later"``) by :func:`build_demo_history`, which ``make run`` starts in the background
while the city is already served: there each use case commits on its own, the progress is kept
in the :class:`~civicgrid.demo.models.DemoCity` row, and the pages show it. Both ways build the
same appeals for the same seed.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.clock import Clock
from civicgrid.config import get_settings
from civicgrid.demo import status
from civicgrid.demo.accounts import DEMO_PASSWORD as DEMO_PASSWORD  # re-exported
from civicgrid.demo.accounts import DemoLogin
from civicgrid.demo.appeals_year import (
    build_appeals_year,
    create_demo_actors,
    plan_year,
)
from civicgrid.demo.city import build_territory_spec
from civicgrid.demo.models import DemoCity
from civicgrid.demo.people import GridInfo, build_register_spec
from civicgrid.demo.training import train_demo_model
from civicgrid.dispatch import service as dispatch_service
from civicgrid.kit.crypto import FieldCipher
from civicgrid.participation.demo import build_participation_demo
from civicgrid.register import exchange as register_exchange
from civicgrid.register.exchange import RegisterSpec
from civicgrid.territory import queries as territory_queries
from civicgrid.territory import service as territory_service
from civicgrid.territory.schemas import TerritorySpec


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
    history_pending: int = 0
    """Appeals of the history left for :func:`build_demo_history`."""
    model_version: str | None = None


# Residents per grid by scale: ≈ 30,000 residents for the small city; the city scale exists for
# territory benchmarks and gets a thin register.
RESIDENTS_PER_GRID = {"tiny": 20, "small": 230, "city": 5}
# Grid workers created for the year of appeals (one per community, in its first grid); each
# account costs a password hash, so the city scale gets only a few.
GRID_WORKERS = {"tiny": 4, "small": 8, "city": 4}


Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: a phase of the build and how far it is."""

HISTORY_MODES = ("inline", "later")


@dataclass(frozen=True)
class HistorySummary:
    """What :func:`build_demo_history` built."""

    appeals: int
    dropped: int
    appeal_statuses: dict[str, int]
    model_version: str | None


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
    models_dir: Path | None = None,
    history: str = "inline",
    progress: Progress | None = None,
) -> DemoSummary:
    """Build the demo city in one transaction on ``engine``; returns what was created.
    ``field_key`` is the Fernet key that encrypts residents' ID numbers, phones and callers;
    ``appeals`` overrides the number of appeals of the year (default per scale); photos go to
    ``media_dir`` and the dispatch model to ``models_dir`` (defaults: the configured folders).
    ``history="later"`` leaves the months before the recent weeks to
    :func:`build_demo_history`."""
    if history not in HISTORY_MODES:
        raise ValueError(f"unknown history mode {history!r}")
    settings = get_settings()
    with engine.connect() as conn:
        trans = conn.begin()
        session = build_session(conn)
        try:
            summary = _build(
                session, seed=seed, scale=scale, now=clock.now(), field_key=field_key,
                residents_per_grid=residents_per_grid or RESIDENTS_PER_GRID.get(scale, 20),
                appeals=appeals, media_dir=media_dir or settings.media_dir,
                history=history, progress=progress or _silent,
            )  # fmt: skip
        except BaseException:
            session.close()
            if trans.is_active:  # a failed use case may have rolled the outer one back already
                trans.rollback()
            raise
        trans.commit()
        analyze(conn)
        session.close()
    # With the history left for later, the model learns from the recent weeks' closed appeals;
    # build_demo_history trains it again on the whole year.
    progress = progress or _silent
    progress("训练派单模型", 0, 1)
    summary.model_version = _train(engine, models_dir or settings.models_dir, clock.now())
    progress("训练派单模型", 1, 1)
    return summary


def _silent(_phase: str, _done: int, _total: int) -> None:
    return None


def build_session(conn: Connection) -> Session:
    """A session inside the build's one outer transaction on ``conn``. The use cases commit as
    always, but their commits stay inside the outer transaction without a SAVEPOINT each
    (``join_transaction_mode="rollback_only"``): the build commits once at the end, and a use
    case that fails rolls the whole build back, which is what the builder does with any error."""
    return Session(bind=conn, expire_on_commit=False, join_transaction_mode="rollback_only")


def analyze(conn: Connection) -> None:
    """Give the query planner statistics of what the build wrote and, on PostgreSQL, clear the
    dead rows it left: every appeal is updated several times as it walks the workflow, so a
    year leaves tens of thousands of dead row versions (≈ 84,000 in the small city) that
    autovacuum, which may be off or not have run yet, would otherwise leave for the first
    visitors' queries. ``VACUUM ANALYZE`` cannot run inside a transaction: the connection's
    transaction is committed first and the statement runs in autocommit (the connection goes
    back to the pool's isolation level when it is returned). SQLite: ``PRAGMA optimize``
    analyses the tables that need it."""
    if conn.dialect.name == "postgresql":
        conn.commit()
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        conn.execute(text("PRAGMA optimize"))
        conn.commit()


def _train(engine: Engine, models_dir: Path, now: datetime) -> str | None:
    with Session(bind=engine) as session:
        model = train_demo_model(session, models_dir=models_dir, now=now)
    return None if model is None else model.version


def _city_inputs(
    seed: int, scale: str, residents_per_grid: int
) -> tuple[TerritorySpec, RegisterSpec, dict[str, list[str]]]:
    """The territory and register specs (deterministic per seed) and, per grid code, the
    register addresses that appeals use as their places."""
    spec = build_territory_spec(seed, scale)
    grids = [
        GridInfo(f["properties"]["code"], f["properties"]["name"])
        for f in spec.features["features"]
        if f["properties"]["level"] == "grid"
    ]
    register = build_register_spec(seed, grids, residents_per_grid=residents_per_grid)
    addresses: dict[str, list[str]] = {}
    for house in register.houses:
        if house.is_vacant:
            continue
        places = addresses.setdefault(house.grid_code, [])
        place = f"{house.address}{house.building}"
        if place not in places:
            places.append(place)
    return spec, register, addresses


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
    history: str,
    progress: Progress,
) -> DemoSummary:
    system = Actor.system("demo")
    progress("区划与人房", 0, 1)
    spec, register, addresses = _city_inputs(seed, scale, residents_per_grid)
    created = territory_service.create_from_spec(session, spec=spec, actor=system, now=now)
    summary = DemoSummary(seed=seed, scale=scale)
    summary.regions = created.regions.created
    summary.grids = created.regions.by_level.get("grid", 0)
    summary.departments = created.departments
    summary.utilities = created.utilities
    summary.logins = _create_users(session, spec=spec, now=now)
    # The dispatch catalogue in the database: the classifier's suggestions name its items.
    dispatch_service.load_catalogue(
        session, catalogue=dispatch_service.default_catalogue(), actor=system, now=now
    )
    loaded = register_exchange.create_register_bulk(
        session, spec=register, actor=system, cipher=FieldCipher(field_key), now=now
    )
    summary.residents = loaded.residents
    progress("区划与人房", 1, 1)
    actors = create_demo_actors(
        session, seed=seed, password=DEMO_PASSWORD, grid_workers=GRID_WORKERS.get(scale, 4),
        now=now - timedelta(days=366),
    )  # fmt: skip
    plan = plan_year(seed=seed, scale=scale, year_end=now, count=appeals)
    parts = ("recent", "history") if history == "inline" else ("recent",)
    for part in parts:
        label = "近期诉求" if part == "recent" else "历史诉求"
        year = build_appeals_year(
            session, seed=seed, scale=scale, plan=plan, part=part, actors=actors,
            field_key=field_key, media_dir=media_dir, addresses=addresses,
            progress=functools.partial(progress, label),
        )  # fmt: skip
        summary.appeals += year.created
        for name, n in year.by_status.items():
            summary.appeal_statuses[name] = summary.appeal_statuses.get(name, 0) + n
    summary.appeal_statuses = dict(sorted(summary.appeal_statuses.items()))
    build_participation_demo(session, seed=seed, actor=system, now=now)
    summary.history_pending = len(plan.history) if history == "later" else 0
    session.add(
        DemoCity(
            seed=seed, scale=scale, year_end=now, recent_from=plan.recent_from,
            residents_per_grid=residents_per_grid, appeals_total=plan.total,
            history_total=len(plan.history), history_done=0 if history == "later" else
            len(plan.history), history_state=status.PENDING if history == "later" else
            status.COMPLETE, history_message="", created_at=now,
            history_finished_at=None if history == "later" else now,
        )
    )  # fmt: skip
    session.flush()
    return summary


# The history commits every few appeals and, on SQLite, leaves the write lock free for a moment
# after each commit, so that the server's requests (every SQLite transaction takes the write lock,
# see civicgrid.db) get their turn instead of waiting behind a build that re-takes it at once.
CHUNK_APPEALS = 10
PROGRESS_APPEALS = 50
SQLITE_PAUSE_SECONDS = 0.03


def build_demo_history(
    engine: Engine,
    *,
    clock: Clock,
    field_key: str,
    media_dir: Path | None = None,
    models_dir: Path | None = None,
    progress: Progress | None = None,
) -> HistorySummary:
    """Build the history :func:`build_demo_city` left for later (``history="later"``) while
    the city may already be in use: committed every :data:`CHUNK_APPEALS` appeals (each use
    case in its own SAVEPOINT), an appeal someone acted on meanwhile keeps what they did (its
    simulated steps stop), the progress is written to the ``DemoCity`` row every
    :data:`PROGRESS_APPEALS` appeals, and at the end the planner statistics are refreshed and
    the dispatch model is trained on the whole year. Raises ``LookupError`` when there is no
    pending history; marks the row ``failed`` (and re-raises) when the build fails, keeping
    what was committed."""
    settings = get_settings()
    report = progress or _silent
    row = _claim_history(engine, clock)
    _, _, addresses = _city_inputs(row.seed, row.scale, row.residents_per_grid)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if not sqlite:
            # Many small commits; losing the last few in a crash only loses demo data.
            conn.execute(text("SET synchronous_commit TO off"))
            conn.commit()
        session = Session(
            bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

        def checkpoint(done: int, total: int) -> None:
            if done % PROGRESS_APPEALS == 0 or done == total:
                status.mark_progress(session, row.id, done=done, now=clock.now())
            session.commit()
            conn.commit()
            report("历史诉求", done, total)
            if sqlite:
                time.sleep(SQLITE_PAUSE_SECONDS)
            conn.begin()

        conn.begin()
        try:
            actors = create_demo_actors(
                session, seed=row.seed, password=DEMO_PASSWORD,
                grid_workers=GRID_WORKERS.get(row.scale, 4),
                now=row.year_end - timedelta(days=366),
            )  # fmt: skip
            plan = plan_year(
                seed=row.seed, scale=row.scale, year_end=row.year_end, count=row.appeals_total
            )
            year = build_appeals_year(
                session, seed=row.seed, scale=row.scale, plan=plan, part="history",
                actors=actors, field_key=field_key, media_dir=media_dir or settings.media_dir,
                addresses=addresses, progress=checkpoint, progress_every=CHUNK_APPEALS,
                tolerant=True,
            )  # fmt: skip
            status.mark_finished(session, row.id, state=status.COMPLETE, now=clock.now())
            session.commit()
            conn.commit()
        except BaseException as exc:
            session.close()
            conn.rollback()  # the current chunk; the ones before it stay
            status.mark_finished(
                conn, row.id, state=status.FAILED, now=clock.now(),
                message=f"{type(exc).__name__}: {exc}"[:500],
            )  # fmt: skip
            conn.commit()
            raise
        session.close()
        analyze(conn)
    report("训练派单模型", 0, 1)
    version = _train(engine, models_dir or settings.models_dir, clock.now())
    report("训练派单模型", 1, 1)
    return HistorySummary(
        appeals=year.created, dropped=year.dropped,
        appeal_statuses=dict(sorted(year.by_status.items())), model_version=version,
    )  # fmt: skip


def _claim_history(engine: Engine, clock: Clock) -> DemoCity:
    """The demo city's row, claimed for this process; ``LookupError`` when no history waits."""
    with Session(bind=engine, expire_on_commit=False) as session:
        row = status.demo_city(session)
        if row is None or not status.claim_history(
            session, row.id, pid=os.getpid(), now=clock.now()
        ):
            raise LookupError("no demo history is waiting to be built")
        session.commit()
        session.expunge(row)
    return row


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
