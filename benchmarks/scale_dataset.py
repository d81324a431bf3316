"""City-scale benchmark dataset on PostgreSQL: the ``city`` territory (21,600 grids), the dispatch
catalogue, the demo staff, 1,000,000 residents and 1,000,000 appeals with their timelines.

Run::

    .venv/bin/python benchmarks/scale_dataset.py \\
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test --database civicgrid_scale

The database ``--database`` on the server of ``--url`` is dropped if it exists, created and
migrated; it is kept at the end (point ``CIVICGRID_DATABASE_URL`` at it and serve the app; the
residents' and callers' fields are encrypted with the configured field key, ``var/field.key``
by default, so serve the app with the same one). Deterministic per ``--seed``. Phases:

1. **city**: the territory from ``demo.city.build_territory_spec(seed, "city")`` through the
   territory use case, the demo's one-user-per-role accounts (password ``Civic@2026``, hashed
   with argon2's cheapest parameters as the demo does; re-hashed at the first login) and the
   shipped dispatch catalogue.
2. **residents**: the demo register generator (``demo.people.build_register_spec``) over chunks
   of grids, loaded by the register's bulk use case (``create_register_bulk``: Fernet-encrypted
   ID numbers and phones, keyed hashes, masked copies, houses, addresses, tags; COPY), one
   transaction per chunk. ID numbers drawn twice across chunks are skipped.
3. **template year**: ``--template`` appeals (default 2,000) over the year that ends at
   ``--year-end`` (default: now) walked through the real appeal use cases by the demo year's
   simulation (``demo.appeals_year``): intake, dispatch, send-backs, extensions, parking,
   whistles, supervision, replies, callbacks, reopenings — the mix of statuses and timelines the
   app produces, with the last weeks still open. (The demo's supervisor watches one district; a
   city-wide supervisor, ``supervisor_city``, is added for the city's six.)
4. **clones**: the template appeals copied until ``--appeals`` exist, each copy with its own
   id, number (per Beijing day, after the template's), grid (another grid of the same district,
   so departments stay right; the street units, the address, the point and the timeline's unit
   references follow the grid), freshly composed title and content for its item and place
   (``demo.appeal_texts.compose``), caller (a pool of encrypted callers with keyed phone
   hashes), and times: a closed copy moves back by 0–6 weeks and up to an hour, an open copy by
   up to an hour (so open orders stay open, and warnings stay red/yellow/green as in the
   template). Units, timeline events, callbacks, extensions, send-backs, supervision, whistles
   and photos are copied with it. Written with COPY, one transaction per copy of the template,
   foreign-key triggers off (``session_replication_role = replica``) because the rows are
   consistent by construction; a check at the end counts orphans.
5. **finish**: id sequences and the daily number counters moved past the copies, the
   assessment facts and rollups rebuilt (``assessment.service.rebuild``), ``VACUUM ANALYZE``.

The per-phase seconds, the row counts and the database size are printed at the end (rich
progress bars on a terminal, quiet otherwise). ``--check`` runs ``scale_smoke.py`` against the
database afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_db import fresh_database
from sqlalchemy import JSON, Connection, DateTime, Engine, Table, func, make_url, select, text
from sqlalchemy.orm import Session

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid import migrate
from civicgrid.appeals.channels import AppealType
from civicgrid.appeals.models import (
    Appeal,
    AppealUnit,
    Attachment,
    Callback,
    DailySequence,
    Extension,
    ReturnRequest,
    Supervision,
    TimelineEvent,
    Whistle,
    WhistleSummons,
)
from civicgrid.appeals.numbering import format_appeal_no, numbering_day
from civicgrid.appeals.states import AppealStatus
from civicgrid.assessment import service as assessment_service
from civicgrid.auth import passwords
from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.clock import BEIJING, SystemClock, monotonic
from civicgrid.config import get_settings
from civicgrid.db import UTCDateTime, make_engine, make_session_factory
from civicgrid.demo import status as demo_status
from civicgrid.demo.accounts import DEMO_PASSWORD
from civicgrid.demo.appeal_texts import PLACE_CATEGORIES, Place, caller, compose
from civicgrid.demo.appeals_year import build_appeals_year, create_demo_actors, plan_year
from civicgrid.demo.appeals_year.world import GridSpot, load_world, point_in
from civicgrid.demo.builder import _create_users, build_session
from civicgrid.demo.city import build_territory_spec
from civicgrid.demo.models import DemoCity
from civicgrid.demo.people import GridInfo, build_register_spec
from civicgrid.dispatch import service as dispatch_service
from civicgrid.dispatch.catalogue import CatalogueItem, load_default_catalogue
from civicgrid.kit.crypto import FieldCipher
from civicgrid.kit.progress import Tracker, progress_bar
from civicgrid.register import exchange as register_exchange
from civicgrid.register.exchange import RegisterSpec
from civicgrid.territory import service as territory_service
from civicgrid.territory.models import Region

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_DATABASE = "civicgrid_scale"
SCALES = ("tiny", "small", "city")
GRID_CHUNK = 600  # grids per register transaction (≈ 28,000 residents)
CALLER_POOL = 200_000
ADDRESSES_PER_GRID = 6
CLOSED_SHIFT_WEEKS = 6
JITTER_SECONDS = 3600
# Detail keys of timeline events that hold a time (ISO text) or a child row's id.
DETAIL_TIMES = ("requested_due_at", "new_due_at", "arrive_by", "old_due_at", "due_at")
DETAIL_CHILDREN = {
    "extension_id": "appeal_extension",
    "return_id": "appeal_return",
    "whistle_id": "appeal_whistle",
}
CHILD_MODELS: tuple[type[Any], ...] = (
    AppealUnit,
    Extension,
    ReturnRequest,
    Whistle,
    WhistleSummons,
    Supervision,
    Callback,
    Attachment,
    TimelineEvent,
)


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@dataclass
class Phases:
    """Seconds per phase, printed at the end."""

    seconds: dict[str, float] = field(default_factory=dict)
    _t0: float = 0.0

    def start(self) -> None:
        self._t0 = monotonic()

    def done(self, name: str) -> None:
        self.seconds[name] = monotonic() - self._t0
        print(f"  {name}: {self.seconds[name]:.1f} s", flush=True)
        self._t0 = monotonic()


# --- 1. the city --------------------------------------------------------------------------------


def build_city(engine: Engine, *, seed: int, scale: str, now: datetime) -> list[GridInfo]:
    """Territory, accounts and catalogue; answers the grids (code, name) in code order."""
    spec = build_territory_spec(seed, scale)
    system = Actor.system("scale-dataset")
    factory = make_session_factory(engine)
    with factory() as session:
        territory_service.create_from_spec(session, spec=spec, actor=system, now=now)
        _create_users(session, spec=spec, now=now)
        dispatch_service.load_catalogue(
            session, catalogue=dispatch_service.default_catalogue(), actor=system, now=now
        )
        session.commit()
    grids = [
        GridInfo(f["properties"]["code"], f["properties"]["name"])
        for f in spec.features["features"]
        if f["properties"]["level"] == "grid"
    ]
    return sorted(grids, key=lambda g: g.code)


# --- 2. the register ----------------------------------------------------------------------------


def load_residents(
    engine: Engine,
    *,
    seed: int,
    grids: Sequence[GridInfo],
    total: int,
    cipher: FieldCipher,
    now: datetime,
    tracker: Tracker,
) -> tuple[int, int, dict[str, list[str]]]:
    """About ``total`` residents spread evenly over ``grids``; answers (residents, houses,
    addresses per grid code) — the addresses are the places the appeals use."""
    overshoot = 1.0  # households overshoot a grid's quota; measured per chunk
    taken: set[str] = set()
    addresses: dict[str, list[str]] = {}
    system = Actor.system("scale-dataset")
    factory = make_session_factory(engine)
    residents = houses = 0
    tracker.start("居民", total)
    for start in range(0, len(grids), GRID_CHUNK):
        if residents >= total:
            break
        chunk = list(grids[start : start + GRID_CHUNK])
        per_grid = max(1, round((total - residents) / (len(grids) - start) - overshoot))
        spec = build_register_spec(seed, chunk, residents_per_grid=per_grid)
        overshoot = len(spec.rows) / len(chunk) - per_grid
        rows = [r for r in spec.rows if r.id_no not in taken][: total - residents]
        taken.update(r.id_no for r in rows)
        for house in spec.houses:
            if house.is_vacant:
                continue
            places = addresses.setdefault(house.grid_code, [])
            place = f"{house.address}{house.building}"
            if len(places) < ADDRESSES_PER_GRID and place not in places:
                places.append(place)
        with factory() as session:
            counts = register_exchange.create_register_bulk(
                session, spec=RegisterSpec(houses=spec.houses, rows=rows), actor=system,
                cipher=cipher, now=now,
            )  # fmt: skip
        residents += counts.residents
        houses += counts.houses
        tracker.update(residents)
    return residents, houses, addresses


# --- 3. the template year -----------------------------------------------------------------------


def build_template(
    engine: Engine,
    *,
    seed: int,
    scale: str,
    count: int,
    year_end: datetime,
    addresses: dict[str, list[str]],
    field_key: str,
    media_dir: Path,
    residents_per_grid: int,
    tracker: Tracker,
) -> int:
    """``count`` appeals of the year through the use cases, in one transaction."""
    with engine.connect() as conn:
        trans = conn.begin()
        session = build_session(conn)
        actors = create_demo_actors(
            session, seed=seed, password=DEMO_PASSWORD, grid_workers=4,
            now=year_end - timedelta(days=366),
        )  # fmt: skip
        # The demo's supervisor watches one district (the demo city has one); the city has
        # six, so the template's supervision comes from a city-wide supervisor.
        city_id = session.scalar(select(Region.id).where(Region.level == "city"))
        user, _ = auth_service.create_user_with_post(
            session, username="supervisor_city", display_name="市督办员钱进",
            password=DEMO_PASSWORD, role=Role.SUPERVISOR, title=Role.SUPERVISOR.label,
            actor=Actor.system("scale-dataset"), now=year_end - timedelta(days=366),
            region_id=city_id,
        )  # fmt: skip
        actors.supervisor = auth_service.actor_for_user(session, user.id)
        plan = plan_year(seed=seed, scale=scale, year_end=year_end, count=count)
        created = 0
        for part, label in (("recent", "样板诉求（近期）"), ("history", "样板诉求（历史）")):
            tracker.start(label, len(plan.times(part)))
            year = build_appeals_year(
                session, seed=seed, scale=scale, plan=plan, part=part, actors=actors,
                field_key=field_key, media_dir=media_dir, addresses=addresses,
                progress=tracker.update,
            )  # fmt: skip
            created += year.created
        session.add(
            DemoCity(
                seed=seed, scale=scale, year_end=year_end, recent_from=plan.recent_from,
                residents_per_grid=residents_per_grid, appeals_total=plan.total,
                history_total=len(plan.history), history_done=len(plan.history),
                history_state=demo_status.COMPLETE, history_message="", created_at=year_end,
                history_finished_at=year_end,
            )
        )  # fmt: skip
        session.flush()
        session.close()
        trans.commit()
    return created


# --- 4. the copies ------------------------------------------------------------------------------


@dataclass
class TableRows:
    """The template's rows of one table, as column tuples in id order."""

    table: Table
    columns: list[str]
    rows: list[list[Any]]
    index: dict[int, int]  # template id → position
    max_id: int
    time_cols: list[int]

    def col(self, name: str) -> int:
        return self.positions[name]

    @functools.cached_property
    def positions(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.columns)}


def _python_type(type_: Any) -> type[Any] | None:
    """``datetime`` for time columns, ``dict`` for JSON columns, else None."""
    if isinstance(type_, UTCDateTime | DateTime):
        return datetime
    if isinstance(type_, JSON):
        return dict
    return None


def _read(conn: Connection, model: type[Any]) -> TableRows:
    table = _table(model)
    columns = [c.name for c in table.columns]
    rows = [list(r) for r in conn.execute(select(table).order_by(table.c.id))]
    time_cols = [i for i, c in enumerate(table.columns) if _python_type(c.type) is datetime]
    index = {r[0]: n for n, r in enumerate(rows)}
    max_id = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
    return TableRows(table, columns, rows, index, max_id, time_cols)


@dataclass
class Territory:
    """Grids by id and the grids of every district, with the street of each grid."""

    grids: dict[int, GridSpot]
    by_district: dict[int, list[GridSpot]]
    street_paths: dict[int, str]


def _territory(conn: Connection, addresses: dict[str, list[str]]) -> Territory:
    with Session(bind=conn) as session:
        world = load_world(session, addresses)
    paths = {
        int(rid): str(path)
        for rid, path in conn.execute(text("SELECT id, path FROM region WHERE level = 'street'"))
    }
    by_district: dict[int, list[GridSpot]] = {}
    for g in world.grids:
        by_district.setdefault(g.district.id, []).append(g)
    return Territory({g.id: g for g in world.grids}, by_district, paths)


class Callers:
    """A pool of synthetic callers, encrypted and hashed once (repeat callers are real)."""

    def __init__(self, seed: int, cipher: FieldCipher, size: int) -> None:
        rng = random.Random(f"scale-callers-{seed}")
        people = [caller(rng) for _ in range(size)]
        names = cipher.encrypt_many([n for n, _ in people])
        phones = cipher.encrypt_many([p for _, p in people])
        hashes = cipher.keyed_hash_many([p for _, p in people])
        self.pool = list(zip(names, phones, hashes, strict=True))

    def pick(self, rng: random.Random) -> tuple[str, str, str]:
        return self.pool[rng.randrange(len(self.pool))]


def _detail_changes(detail: Any) -> bool:
    """Whether a copy must rewrite this timeline detail (times, child ids, units)."""
    if not isinstance(detail, dict):
        return False
    keys = set(detail)
    return bool(keys & {*DETAIL_TIMES, *DETAIL_CHILDREN, "lead", "co_units"})


def _shift_detail(
    detail: Any, delta: timedelta, child_ids: dict[str, Callable[[int], int]], unit_map: Any
) -> str:
    if not isinstance(detail, dict) or not detail:
        return json.dumps(detail if detail is not None else {}, ensure_ascii=False)
    out = dict(detail)
    for key in DETAIL_TIMES:
        value = out.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                out[key] = (datetime.fromisoformat(value) + delta).isoformat()
    for key, table in DETAIL_CHILDREN.items():
        value = out.get(key)
        if isinstance(value, int) and table in child_ids:
            out[key] = child_ids[table](value)
    if "lead" in out and isinstance(out["lead"], dict):
        out["lead"] = unit_map(out["lead"])
    if isinstance(out.get("co_units"), list):
        out["co_units"] = [unit_map(u) if isinstance(u, dict) else u for u in out["co_units"]]
    return json.dumps(out, ensure_ascii=False)


class Cloner:
    """Copies of the template appeals with their rows; see the module docstring, phase 4."""

    def __init__(
        self,
        conn: Connection,
        *,
        seed: int,
        cipher: FieldCipher,
        addresses: dict[str, list[str]],
        callers: int = CALLER_POOL,
    ) -> None:
        self.seed = seed
        self.appeals = _read(conn, Appeal)
        self.children = {_table(m).name: _read(conn, m) for m in CHILD_MODELS}
        self.territory = _territory(conn, addresses)
        self.items: dict[str, CatalogueItem] = {
            i.code: i for i in load_default_catalogue().leaves()
        }
        self.callers = Callers(seed, cipher, callers)
        # (template street, new street id, name, path) of the appeal being copied.
        self._street: tuple[int, int, str, str] = (-1, -1, "", "")
        counters = conn.execute(select(DailySequence.day, DailySequence.last_value))
        self.days: Counter[date] = Counter({d: int(v) for d, v in counters})
        # Children of each template appeal, per table, as positions in that table's rows.
        self.by_appeal: dict[str, dict[int, list[int]]] = {}
        for name, rows in self.children.items():
            key = "whistle_id" if name == "appeal_whistle_summons" else "appeal_id"
            col = rows.col(key)
            groups: dict[int, list[int]] = {}
            for n, r in enumerate(rows.rows):
                groups.setdefault(r[col], []).append(n)
            self.by_appeal[name] = groups
        # Timeline details that a copy keeps as they are, serialised once.
        events = self.children["appeal_event"]
        detail = events.col("detail")
        self.fixed_details: dict[int, str] = {
            n: json.dumps(r[detail] or {}, ensure_ascii=False)
            for n, r in enumerate(events.rows)
            if not _detail_changes(r[detail])
        }
        self.open_positions = {
            n for n, r in enumerate(self.appeals.rows)
            if not AppealStatus(r[self.appeals.col("status")]).terminal
        }  # fmt: skip

    @property
    def template_count(self) -> int:
        return len(self.appeals.rows)

    def _new_id(self, rows: TableRows, copy: int, old_id: int) -> int:
        return rows.max_id + (copy - 1) * len(rows.rows) + rows.index[old_id] + 1

    def copy(self, copy: int, limit: int) -> dict[str, list[list[Any]]]:
        """Rows of copy number ``copy`` (1, 2, …) of the first ``limit`` template appeals."""
        a = self.appeals
        c = {name: a.col(name) for name in a.columns}
        rng = random.Random(f"scale-copy-{self.seed}-{copy}")
        out: dict[str, list[list[Any]]] = {"appeal": []}
        for name in self.children:
            out[name] = []
        child_ids: dict[str, Callable[[int], int]] = {
            name: functools.partial(self._new_id, rows, copy)
            for name, rows in self.children.items()
        }
        for pos, row in enumerate(a.rows[:limit]):
            new = list(row)
            delta = -timedelta(seconds=rng.randrange(JITTER_SECONDS))
            if pos not in self.open_positions:
                delta -= timedelta(weeks=rng.randrange(CLOSED_SHIFT_WEEKS + 1))
            for i in a.time_cols:
                if new[i] is not None:
                    new[i] = new[i] + delta
            old_id = row[0]
            new[0] = self._new_id(a, copy, old_id)
            merged = row[c["merged_into_id"]]
            if merged is not None:
                target = a.index[merged]
                new[c["merged_into_id"]] = (
                    self._new_id(a, copy, merged) if target < limit else merged
                )
            day = numbering_day(new[c["received_at"]])
            self.days[day] += 1
            new[c["number"]] = format_appeal_no(day, self.days[day])
            unit_map = self._place(new, c, row, rng)
            self._caller(new, c, row, rng)
            out["appeal"].append(new)
            for name, rows in self.children.items():
                if name == "appeal_whistle_summons":
                    continue
                for n in self.by_appeal[name].get(old_id, ()):
                    child = self._child(rows, rows.rows[n], copy, new[0], delta, unit_map,
                                        child_ids)  # fmt: skip
                    out[name].append(child)
                    if name == "appeal_whistle":
                        out["appeal_whistle_summons"].extend(
                            self._summons(rows.rows[n][0], child[0], copy, delta)
                        )
        return out

    def _caller(
        self, new: list[Any], c: dict[str, int], row: list[Any], rng: random.Random
    ) -> None:
        """Another caller from the pool; empty fields (patrol reports, a resident's own
        report without a name) stay empty."""
        if row[c["caller_name_enc"]] or row[c["caller_phone_enc"]]:
            name, phone, phone_hash = self.callers.pick(rng)
            new[c["caller_name_enc"]] = name if row[c["caller_name_enc"]] else ""
            if row[c["caller_phone_enc"]]:
                new[c["caller_phone_enc"]], new[c["caller_phone_hash"]] = phone, phone_hash
        new[c["resident_user_id"]] = None  # a resident's own list holds only their appeals

    def _summons(
        self, old_whistle: int, new_whistle: int, copy: int, delta: timedelta
    ) -> Iterator[list[Any]]:
        summons = self.children["appeal_whistle_summons"]
        for m in self.by_appeal["appeal_whistle_summons"].get(old_whistle, ()):
            s = list(summons.rows[m])
            s[0] = self._new_id(summons, copy, s[0])
            s[summons.col("whistle_id")] = new_whistle
            for i in summons.time_cols:
                if s[i] is not None:
                    s[i] = s[i] + delta
            yield s

    def _place(
        self, new: list[Any], c: dict[str, int], row: list[Any], rng: random.Random
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """Move the copy to another grid of the template's district; answers how its unit
        references change (the template grid's street becomes the new grid's street)."""
        old = self.territory.grids.get(row[c["region_id"]])
        if old is None:
            self._street = (-1, -1, "", "")  # no street of the template to replace
            return lambda u: u
        choices = self.territory.by_district[old.district.id]
        grid = choices[rng.randrange(len(choices))]
        new[c["region_id"]] = grid.id
        new[c["region_path"]] = grid.path
        if row[c["reporter_grid_id"]] == old.id:
            new[c["reporter_grid_id"]] = grid.id
        place = Place(rng.choice(grid.addresses), grid.community, grid.street.name)
        if row[c["address"]]:
            new[c["address"]] = f"{grid.street.name}{grid.community}{place.address}"
        if row[c["lon"]] is not None:
            new[c["lon"]], new[c["lat"]] = point_in(grid, rng)
        item = self.items.get(row[c["category"]])
        if item is not None:
            text_ = compose(
                item, AppealType(row[c["appeal_type"]]), rng,
                place if item.code[:2] in PLACE_CATEGORIES else None,
            )  # fmt: skip
            new[c["title"]], new[c["content"]] = text_.title, text_.content
        old_street, new_street = old.street.id, grid.street
        new_path = self.territory.street_paths.get(new_street.id, "")

        def unit_map(unit: dict[str, Any]) -> dict[str, Any]:
            if unit.get("kind") == "region" and unit.get("id") == old_street:
                return {**unit, "id": new_street.id, "name": new_street.name}
            return unit

        self._street = (old_street, new_street.id, new_street.name, new_path)
        return unit_map

    def _child(
        self,
        rows: TableRows,
        row: list[Any],
        copy: int,
        appeal_id: int,
        delta: timedelta,
        unit_map: Callable[[dict[str, Any]], dict[str, Any]],
        child_ids: dict[str, Callable[[int], int]],
    ) -> list[Any]:
        new = list(row)
        new[0] = self._new_id(rows, copy, row[0])
        new[rows.col("appeal_id")] = appeal_id
        for i in rows.time_cols:
            if new[i] is not None:
                new[i] = new[i] + delta
        name = rows.table.name
        if name in ("appeal_unit", "appeal_return"):
            kind, uid = new[rows.col("unit_kind")], new[rows.col("unit_id")]
            old_street, street_id, street_name, street_path = self._street
            if kind == "region" and uid == old_street:
                new[rows.col("unit_id")] = street_id
                if name == "appeal_unit":
                    new[rows.col("unit_name")] = street_name
                    new[rows.col("unit_path")] = street_path
        if name == "appeal_event":
            col = rows.col("detail")
            fixed = self.fixed_details.get(rows.index[row[0]])
            new[col] = (
                fixed if fixed is not None
                else _shift_detail(new[col], delta, child_ids, unit_map)
            )  # fmt: skip
        return new


def _copy_rows(conn: Connection, table: Table, rows: list[list[Any]]) -> None:
    if not rows:
        return
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    json_cols = [i for i, c in enumerate(table.columns) if _python_type(c.type) is dict]
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            for i in json_cols:
                if not isinstance(row[i], str):
                    row[i] = json.dumps(row[i], ensure_ascii=False)
            copy.write_row(row)


def clone_appeals(
    engine: Engine,
    *,
    seed: int,
    total: int,
    cipher: FieldCipher,
    addresses: dict[str, list[str]],
    callers: int = CALLER_POOL,
    tracker: Tracker,
) -> Counter[str]:
    """Copy the template until ``total`` appeals exist; answers rows written per table."""
    written: Counter[str] = Counter()
    with engine.connect() as conn:
        cloner = Cloner(conn, seed=seed, cipher=cipher, addresses=addresses, callers=callers)
        conn.rollback()
        k = cloner.template_count
        if k == 0:
            raise SystemExit("the template year has no appeals")
        tracker.start("复制诉求", total)
        done, copy = k, 0
        tracker.update(done)
        tables = {"appeal": _table(Appeal)} | {n: r.table for n, r in cloner.children.items()}
        order = ["appeal", *[_table(m).name for m in CHILD_MODELS]]
        while done < total:
            copy += 1
            limit = min(k, total - done)
            rows = cloner.copy(copy, limit)
            conn.execute(text("SET session_replication_role = replica"))
            for name in order:
                _copy_rows(conn, tables[name], rows[name])
                written[name] += len(rows[name])
            conn.commit()
            done += limit
            tracker.update(done)
        for day, last in sorted(cloner.days.items()):
            conn.execute(
                text(
                    "INSERT INTO appeal_daily_sequence (day, last_value) VALUES (:d, :v) "
                    "ON CONFLICT (day) DO UPDATE SET last_value = EXCLUDED.last_value"
                ),
                {"d": day, "v": last},
            )
        for name in order:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f'(SELECT max(id) FROM "{name}"))'
                )
            )
        conn.commit()
    return written


# --- 5. finish ----------------------------------------------------------------------------------

ORPHAN_CHECKS = (
    ("appeal_event", "appeal_id", "appeal"),
    ("appeal_unit", "appeal_id", "appeal"),
    ("appeal_callback", "appeal_id", "appeal"),
    ("appeal_attachment", "appeal_id", "appeal"),
    ("appeal_whistle_summons", "whistle_id", "appeal_whistle"),
    ("appeal", "merged_into_id", "appeal"),
    ("appeal", "region_id", "region"),
)


def check_references(conn: Connection) -> dict[str, int]:
    """Rows whose reference points nowhere (the copies were written without FK triggers)."""
    out = {}
    for table, col, target in ORPHAN_CHECKS:
        n = conn.execute(
            text(
                f'SELECT count(*) FROM "{table}" t WHERE t."{col}" IS NOT NULL AND NOT EXISTS '
                f'(SELECT 1 FROM "{target}" x WHERE x.id = t."{col}")'
            )
        ).scalar_one()
        out[f"{table}.{col}"] = int(n)
    return out


def vacuum_analyze(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def sizes(conn: Connection) -> tuple[str, list[tuple[str, int, str]]]:
    total = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
    rows = conn.execute(
        text(
            "SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid)) "
            "FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT 12"
        )
    )
    return str(total.scalar_one()), [(str(a), int(b), str(c)) for a, b, c in rows]


def _parse_time(value: str | None) -> datetime:
    if value is None:
        return SystemClock().now().replace(minute=0, second=0, microsecond=0)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BEIJING).astimezone(UTC)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("CIVICGRID_BENCH_DATABASE_URL",
                                                        DEFAULT_URL))  # fmt: skip
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="dropped and rebuilt")
    parser.add_argument("--appeals", type=int, default=1_000_000)
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--template", type=int, default=2000,
                        help="appeals walked through the use cases, then copied")  # fmt: skip
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", choices=SCALES, default="city", help="demo territory")
    parser.add_argument("--callers", type=int, default=CALLER_POOL, help="caller pool size")
    parser.add_argument("--field-key", help="Fernet key (default: the configured one)")
    parser.add_argument("--media-dir", type=Path, help="photos (default: the configured folder)")
    parser.add_argument("--year-end", help="ISO time the year ends (default: now)")
    parser.add_argument("--check", action="store_true", help="run scale_smoke.py afterwards")
    args = parser.parse_args(argv)
    settings = get_settings()
    field_key = args.field_key or settings.resolved_field_key()
    cipher = FieldCipher(field_key)
    year_end = _parse_time(args.year_end)
    template = min(args.template, args.appeals)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}; database {args.database} on "
          f"{make_url(args.url).host}; year ends {year_end.isoformat()}", flush=True)  # fmt: skip
    passwords.use_cheap_parameters_for_tests()
    phases = Phases()
    t_all = monotonic()
    phases.start()
    url = fresh_database(args.url, args.database)
    engine = make_engine(url)
    migrate.upgrade(engine)
    phases.done("database created and migrated")
    grids = build_city(engine, seed=args.seed, scale=args.scale, now=year_end - timedelta(days=400))
    phases.done(f"city: territory ({len(grids):,} grids), accounts, catalogue")
    with progress_bar("居民", args.residents) as tracker:
        residents, houses, addresses = load_residents(
            engine, seed=args.seed, grids=grids, total=args.residents, cipher=cipher,
            now=year_end - timedelta(days=390), tracker=tracker,
        )  # fmt: skip
    phases.done(f"residents: {residents:,} residents, {houses:,} houses")
    with progress_bar("样板诉求") as tracker:
        made = build_template(
            engine, seed=args.seed, scale=args.scale, count=template, year_end=year_end,
            addresses=addresses, field_key=field_key,
            media_dir=args.media_dir or settings.media_dir,
            residents_per_grid=max(1, args.residents // len(grids)), tracker=tracker,
        )  # fmt: skip
    phases.done(f"template year: {made:,} appeals through the use cases")
    with progress_bar("复制诉求", args.appeals) as tracker:
        written = clone_appeals(
            engine, seed=args.seed, total=args.appeals, cipher=cipher, addresses=addresses,
            callers=args.callers, tracker=tracker,
        )  # fmt: skip
    phases.done("copies: " + ", ".join(f"{n} {v:,}" for n, v in written.items() if v))
    with make_session_factory(engine)() as session:
        result = assessment_service.rebuild(session, now=year_end)
        session.commit()
    phases.done(f"assessment rebuilt: {result}")
    vacuum_analyze(engine)
    phases.done("VACUUM ANALYZE")
    with engine.connect() as conn:
        orphans = check_references(conn)
        statuses = {
            str(s): int(n)
            for s, n in conn.execute(
                text("SELECT status, count(*) FROM appeal GROUP BY 1 ORDER BY 2 DESC")
            )
        }
        total_size, tables = sizes(conn)
    engine.dispose()
    print(f"total {monotonic() - t_all:.1f} s; database {args.database}: {total_size}")
    print("statuses: " + ", ".join(f"{s} {n:,}" for s, n in statuses.items()))
    print("orphan references: " + ", ".join(f"{k} {v}" for k, v in orphans.items()))
    for name, n, size in tables:
        print(f"  {name:<28} {n:>12,} rows {size:>10}")
    if any(orphans.values()):
        raise SystemExit("the dataset has dangling references")
    print(f"CIVICGRID_DATABASE_URL={make_url(url).render_as_string(hide_password=True)}")
    if args.check:
        smoke = Path(__file__).with_name("scale_smoke.py")
        subprocess.run([sys.executable, str(smoke), "--url", url], check=True)


if __name__ == "__main__":
    main()
