"""Benchmark of the register's address substring search on PostgreSQL, without and with the
trigram index of migration ``search_0001`` (issue 19, city scale item 6: < 50 ms median over
1,000,000 addresses).

Run: ``.venv/bin/python benchmarks/address_search_bench.py [--addresses 1000000] [--queries 50]``

Creates a fresh database ``civicgrid_bench_address_search`` on the server of
``CIVICGRID_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``;
an existing one is dropped first, and it is dropped again at the end unless ``--keep``),
migrates it, builds the demo ``small`` territory through the territory use case, drops the
trigram index, and loads ``--addresses`` standard addresses with COPY: road and door plate
(``幸福路128号``), compounds (``幸福路12号院``), estates (``阳光花园3期``, ``和平路8号阳光花园``),
spread over every grid. Then, after ``ANALYZE``, it times ``--queries`` searches of realistic
fragments (a road name, a building number, an estate name, a road with its number) through
``register.queries.list_addresses_for`` (the use case behind the address list: first page of
100, by id) and the count of every matching address (what a filter by address must find in
full), for a city-wide admin and a grid worker of one community; creates the index (timed),
runs ``ANALYZE`` and times the same fragments again. ``EXPLAIN`` of one search is printed for
both states.

With ``--residents N`` (e.g. 1000000) it then loads a register on those addresses with COPY
(a building with two houses on every fifth address, each with its stored label, ``N``
residents over the houses, each with a current residence) and times, for the admin, a grid
worker of one community and one of a single grid, with the fragments above and a broad one
(``东路1``): the residents search by address (``register.queries.search_residents_for``: page
of 50 and the count, capped at 1,000) against the statement it ran before (every matching
resident joined and counted, then the first 50 by id), and the house picker
(``register.lookups.search_houses_for``, 10 houses) against its former statement (address,
building, unit and room joined and concatenated for every house in scope).

``--existing URL`` measures a database that is already loaded (e.g. ``civicgrid_scale``)
instead, read-only: the residents search and the house picker with fragments cut from its own
addresses, for the admin, a street, a community and a grid of it. A search refused because the
term is too short for a large scope (Invalid) counts as answered (the page says so).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from bench_db import drop_database, fresh_database
from bench_timing import summary, time_each
from cryptography.fernet import Fernet
from sqlalchemy import Engine, func, make_url, select, text
from sqlalchemy.orm import Session

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid import migrate
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.auth.scope import DataScope
from civicgrid.clock import monotonic
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.city import build_territory_spec
from civicgrid.errors import Invalid
from civicgrid.kit.crypto import FieldCipher
from civicgrid.register import access as register_access
from civicgrid.register import lookups as register_lookups
from civicgrid.register import queries as register_queries
from civicgrid.register import rules as register_rules
from civicgrid.register.models import Address, Building, House, Residence, Resident
from civicgrid.territory import queries as territory_queries
from civicgrid.territory import service as territory_service

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DB = "civicgrid_bench_address_search"
INDEX = "ix_register_address_name_trgm"

CHARS = "幸福和平建设解放人民中山长江黄河朝阳光明文化新华胜利东风红旗友谊青年学府科技金融"
CHARS += "振兴团结民主富强繁荣安定永安建国复兴华山泰山嵩山衡山滨河沿江望京锦绣春晖秋实"
ROAD_KINDS = ("路", "街", "大道", "巷", "胡同", "东路", "西路", "南路", "北路")
ESTATE_KINDS = ("花园", "小区", "苑", "家园", "新村", "公寓", "华庭", "雅居", "名城", "嘉园")


def _names() -> tuple[list[str], list[str]]:
    """3,000 road names and 1,400 estate names (the same for every run)."""
    rng = random.Random(0)
    chars = list(dict.fromkeys(CHARS))
    pairs = [a + b for a in chars for b in chars if a != b]
    rng.shuffle(pairs)
    roads = [p + rng.choice(ROAD_KINDS) for p in pairs[:3000]]
    estates = [p + rng.choice(ESTATE_KINDS) for p in pairs[3000:4400]]
    return roads, estates


def _address(rng: random.Random, roads: list[str], estates: list[str]) -> str:
    shape = rng.random()
    road = rng.choice(roads)
    n = rng.randint(1, 400)
    if shape < 0.45:
        return f"{road}{n}号"
    if shape < 0.75:
        return f"{road}{n}号院"
    if shape < 0.9:
        return f"{rng.choice(estates)}{rng.randint(1, 9)}期"
    return f"{road}{n}号{rng.choice(estates)}"


def _rows(
    n: int, seed: int, grids: list[tuple[int, str, str]]
) -> Iterator[tuple[str, str, int, str, str, str]]:
    rng = random.Random(seed)
    roads, estates = _names()
    seen: set[str] = set()
    created = NOW.isoformat()
    while len(seen) < n:
        name = _address(rng, roads, estates)
        if name in seen:
            continue
        seen.add(name)
        grid_id, grid_code, path = grids[len(seen) % len(grids)]
        yield f"{grid_code}{len(seen):08d}", name, grid_id, grid_code, path, created


def _load(engine: Engine, rows: Iterator[tuple[str, str, int, str, str, str]]) -> int:
    """COPY the rows into register_address through the driver connection."""
    count = 0
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        columns = "code, name, grid_id, grid_code, region_path, created_at"
        with cur.copy(f"COPY register_address ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        raw.commit()
    finally:
        raw.close()
    return count


def _fragments(rng: random.Random, names: list[str], n: int) -> list[str]:
    """Realistic typed fragments cut from stored addresses, in turn: a road name (幸福路), a
    building number (128号), an estate name (阳光花园) and a road with its number (幸福路12号)."""
    roads, estates = (set(names_) for names_ in _names())
    by_turn: list[list[str]] = [[], [], [], []]
    for name in names:
        road = next((name[:k] for k in range(3, 6) if name[:k] in roads), None)
        estate = next(
            (name[i : i + k] for i in range(len(name)) for k in (3, 4)
             if name[i : i + k] in estates),
            None,
        )  # fmt: skip
        if road is not None:
            by_turn[0].append(road)
            number = name[len(road) : name.index("号") + 1]
            by_turn[1].append(number)
            by_turn[3].append(road + number)
        if estate is not None:
            by_turn[2].append(estate)
    return [rng.choice(by_turn[i % 4]) for i in range(n)]


KINDS = ("road", "number", "estate", "road+number")


def _explain(session: Session, actor: Actor, q: str) -> str:
    stmt = register_queries.address_search_stmt(actor, q=q)
    stmt = stmt.order_by(Address.id).limit(100)
    dialect = session.get_bind().dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    rows = session.connection().exec_driver_sql("EXPLAIN ANALYZE " + sql).all()
    return "\n".join("    " + str(r[0]) for r in rows)


def _measure(session: Session, actors: dict[str, Actor], fragments: list[str], state: str) -> None:
    for label, actor in actors.items():

        def page(q: str, actor: Actor = actor) -> object:
            return register_queries.list_addresses_for(session, actor, q=q, limit=100)

        def count(q: str, actor: Actor = actor) -> object:
            stmt = register_queries.address_search_stmt(actor, q=q)
            return session.scalar(select(func.count()).select_from(stmt.subquery()))

        for case, fn in (("first page of 100", page), ("count of all matches", count)):
            times = time_each(fn, fragments, warmup=5)
            print(f"{state:13} {label:26} {case:21}: {summary(times, KINDS)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--addresses", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", default=BENCH_DB, help="scratch database (dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--residents", type=int, default=0, help="also time residents search")
    parser.add_argument("--existing", default="", help="measure this loaded database, read-only")
    args = parser.parse_args()
    if args.existing:
        _existing(args)
        return
    base_url = os.environ.get("CIVICGRID_BENCH_DATABASE_URL", DEFAULT_URL)
    load = os.getloadavg()
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, database {args.database} on "
          f"{make_url(base_url).host}")  # fmt: skip

    url = fresh_database(base_url, args.database)
    engine = make_engine(url)
    try:
        _run(engine, args)
    finally:
        engine.dispose()
        if not args.keep:
            drop_database(base_url, args.database)


def _run(engine: Engine, args: argparse.Namespace) -> None:
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    system = Actor.system("bench")
    with factory() as session:
        territory_service.create_from_spec(
            session, spec=build_territory_spec(args.seed, "small"), actor=system, now=NOW
        )
        grids = [
            (rid, code, path) for rid, code, _, path, _ in territory_queries.grid_rows(session)
        ]
        session.commit()
    with engine.begin() as conn:
        conn.execute(text(f"DROP INDEX {INDEX}"))
    print(f"territory: demo 'small', {len(grids)} grids")

    t0 = monotonic()
    loaded = _load(engine, _rows(args.addresses, args.seed, grids))
    t1 = monotonic()
    print(f"loaded {loaded:,} addresses with COPY in {t1 - t0:.1f} s")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE register_address"))

    rng = random.Random(args.seed + 1)
    with factory() as session:
        sample = list(session.scalars(text("SELECT name FROM register_address TABLESAMPLE "
                                           "SYSTEM (1) REPEATABLE (7) LIMIT 5000")))  # fmt: skip
        fragments = _fragments(rng, sample, args.queries)
        print(f"fragments ({len(fragments)}): {' '.join(fragments)}")
        first_grid = grids[0][2]
        worker = Actor(
            user_id=None, username="bench_worker", display_name="网格员",
            roles=frozenset({Role.GRID_WORKER}),
            scope=DataScope(region_paths=frozenset({first_grid.rsplit("/", 2)[0] + "/"})),
        )  # fmt: skip
        actors = {"admin (whole city)": system, "grid worker (1 community)": worker}
        print("EXPLAIN ANALYZE without the index, first page for", fragments[0])
        print(_explain(session, system, fragments[0]))
        _measure(session, actors, fragments, "no index")

    t0 = monotonic()
    with engine.begin() as conn:
        conn.execute(
            text(f"CREATE INDEX {INDEX} ON register_address USING gin (name gin_trgm_ops)")
        )
    t1 = monotonic()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE register_address"))
        size = conn.scalar(text(f"SELECT pg_size_pretty(pg_relation_size('{INDEX}'))"))
    print(f"created {INDEX} in {t1 - t0:.1f} s ({size})")

    with factory() as session:
        print("EXPLAIN ANALYZE with the index, first page for", fragments[0])
        print(_explain(session, system, fragments[0]))
        _measure(session, actors, fragments, "trigram index")
    if args.residents:
        _residents(engine, factory, args.residents, actors, [*fragments, "东路"])


def _load_register(engine: Engine, residents: int) -> None:
    """Buildings, houses, residents and residences with COPY, on every fifth address."""
    created = NOW.isoformat()
    houses = max(1, residents * 2 // 5)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SELECT id, grid_id, region_path, name FROM register_address ORDER BY id")
        addresses = cur.fetchall()[::5][: (houses + 1) // 2]
        with cur.copy("COPY register_building (id, address_id, name, grid_id, region_path, "
                      "created_at) FROM STDIN") as copy:  # fmt: skip
            for i, (aid, grid, path, _) in enumerate(addresses, 1):
                copy.write_row((i, aid, "1号楼", grid, path, created))
        with cur.copy("COPY register_house (id, building_id, unit, room, label, use, is_vacant, "
                      "grid_id, region_path, created_at) FROM STDIN") as copy:  # fmt: skip
            for h in range(1, houses + 1):
                _, grid, path, name = addresses[(h - 1) // 2]
                room = f"{100 + h % 2}"
                label = register_rules.house_label(name, "1号楼", "1单元", room)
                copy.write_row((h, (h + 1) // 2, "1单元", room, label, "residential",
                                False, grid, path, created))  # fmt: skip
        cur.execute("SELECT id, grid_id, region_path FROM register_house ORDER BY id")
        house_rows = cur.fetchall()
        columns = ("id, name, gender, birth_on, id_no_enc, id_no_hash, id_no_masked, "
                   "phone_masked, ethnicity, household_place, grid_id, region_path, created_at, "
                   "updated_at")  # fmt: skip
        with cur.copy(f"COPY register_resident ({columns}) FROM STDIN") as copy:
            for r in range(1, residents + 1):
                _, grid, path = house_rows[r % len(house_rows)]
                copy.write_row((r, f"居民{r}", "M", "1980-01-01", "x", f"h{r}", "1101**", "",
                                "", "", grid, path, created, created))  # fmt: skip
        with cur.copy("COPY register_residence (id, resident_id, house_id, kind, "
                      "relation_to_owner, grid_id, region_path) FROM STDIN") as copy:  # fmt: skip
            for r in range(1, residents + 1):
                hid, grid, path = house_rows[r % len(house_rows)]
                copy.write_row((r, r, hid, "自住", "", grid, path))
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("building", "house", "resident", "residence"):
            conn.execute(text(f"VACUUM ANALYZE register_{table}"))


def _former_residents_search(session: Session, actor: Actor, q: str) -> object:
    """The residents search by address as it ran before: every matching resident joined and
    counted, then the first 50 by id."""
    stmt = select(Resident).where(
        register_access.scope_filter(Resident.region_path, actor),
        Resident.id.in_(
            select(Residence.resident_id)
            .join(House, House.id == Residence.house_id)
            .join(Building, Building.id == House.building_id)
            .join(Address, Address.id == Building.address_id)
            .where(Residence.to_on.is_(None))
            .where(Address.name.contains(q, autoescape=True))
        ),
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(Resident.id).limit(50)).all()
    session.expunge_all()
    return total, rows


def _former_house_picker(session: Session, actor: Actor, q: str) -> object:
    """The house picker as it ran before the stored label: every house in scope joined to its
    building and address, the concatenation matched, ordered by the parts."""
    text_ = Address.name + Building.name + House.unit + House.room
    stmt = (
        select(House.id, Address.name, Building.name, House.unit, House.room)
        .join(Building, Building.id == House.building_id)
        .join(Address, Address.id == Building.address_id)
        .where(register_access.scope_filter(House.region_path, actor))
        .where(*(text_.contains(p, autoescape=True) for p in q.split()))
        .order_by(Address.name, Building.name, House.unit, House.room, House.id)
        .limit(10)
    )
    return session.execute(stmt).all()


def _time_searches(
    session: Session,
    actors: dict[str, Actor],
    fragments: list[str],
    broad: str,
    kinds: tuple[str, ...],
) -> None:
    """Before and now, per actor: the residents search by address and the house picker; and
    the address list (first page of 100 by id, ``list_addresses_for``)."""
    cipher = FieldCipher(Fernet.generate_key().decode())
    for label, actor in actors.items():
        refused: list[str] = []

        def guarded(fn: Callable[[], object], q: str, refused: list[str] = refused) -> object:
            try:
                return fn()
            except Invalid:
                refused.append(q)
                return None

        def residents_now(q: str, actor: Actor = actor) -> object:
            criteria = register_queries.ResidentSearch(address=q)
            found = guarded(lambda: register_queries.search_residents_for(
                session, actor, criteria, cipher=cipher), q)  # fmt: skip
            session.expunge_all()
            return found

        def residents_before(q: str, actor: Actor = actor) -> object:
            return _former_residents_search(session, actor, q)

        def picker_now(q: str, actor: Actor = actor) -> object:
            return guarded(
                lambda: register_lookups.search_houses_for(session, actor, q, limit=10), q
            )

        def picker_before(q: str, actor: Actor = actor) -> object:
            return _former_house_picker(session, actor, q)

        def address_list(q: str, actor: Actor = actor) -> object:
            return guarded(
                lambda: register_queries.list_addresses_for(session, actor, q=q, limit=100), q
            )

        for case, fn in (("residents before", residents_before),
                         ("residents now", residents_now),
                         ("house picker before", picker_before),
                         ("house picker now", picker_now),
                         ("address list", address_list)):  # fmt: skip
            refused.clear()
            times = time_each(fn, [*fragments, broad], warmup=5)
            note = f"; refused (term too short) {len(set(refused))}" if refused else ""
            print(f"{label:28} {case:20}: {summary(times[:-1], kinds)}; "
                  f"{broad} {times[-1]:.1f} ms{note}", flush=True)  # fmt: skip


def _residents(
    engine: Engine,
    factory: Callable[[], Session],
    residents: int,
    actors: dict[str, Actor],
    fragments: list[str],
) -> None:
    t0 = monotonic()
    _load_register(engine, residents)
    print(f"loaded a register of {residents:,} residents with COPY in {monotonic() - t0:.1f} s",
          flush=True)  # fmt: skip
    with factory() as session:
        grid = session.scalar(select(House.region_path).order_by(House.id).limit(1)) or "/"
        actors = {**actors, "grid worker (1 grid)": _worker(grid)}
        _time_searches(session, actors, fragments, "东路1", KINDS)


def _worker(path: str) -> Actor:
    return Actor(
        user_id=None, username="bench_worker", display_name="网格员",
        roles=frozenset({Role.GRID_WORKER}), scope=DataScope(region_paths=frozenset({path})),
    )  # fmt: skip


def _existing(args: argparse.Namespace) -> None:
    """Time the searches on a loaded database (read-only)."""
    engine = make_engine(args.existing)
    factory = make_session_factory(engine)
    rng = random.Random(args.seed)
    try:
        with factory() as session:
            sample = list(session.scalars(text(
                "SELECT name FROM register_address TABLESAMPLE SYSTEM (5) REPEATABLE (7) "
                "LIMIT 5000")))  # fmt: skip
            house = session.scalar(text(
                "SELECT h.region_path FROM register_house h JOIN register_residence r "
                "ON r.house_id = h.id GROUP BY h.region_path ORDER BY count(*) DESC LIMIT 1"
            ))  # fmt: skip
            grid = str(house)
            parts = grid.strip("/").split("/")
            community = "/" + "/".join(parts[:-1]) + "/"
            street = "/" + "/".join(parts[:-2]) + "/"
            actors = {
                "admin (whole city)": Actor.system("bench"),
                "street handler (1 street)": _worker(street),
                "grid worker (1 community)": _worker(community),
                "grid worker (1 grid)": _worker(grid),
            }
            for label, actor in actors.items():
                if actor.scope.is_global:
                    continue
                n = register_queries.scope_rows(session, Resident.region_path, actor)
                print(f"  {label}: {actor.scope.minimal_paths()} residents counted: {n}")
            fragments = _existing_fragments(rng, sample, args.queries)
            print(f"fragments ({len(fragments)}): {' '.join(fragments)}")
            _time_searches(session, actors, fragments, "1号楼", EXISTING_KINDS)
    finally:
        engine.dispose()


EXISTING_KINDS = ("road", "number", "road+number", "whole address")


def _existing_fragments(rng: random.Random, names: list[str], n: int) -> list[str]:
    """Fragments of stored addresses in turn: the text before the first digit (a road or
    estate), the first number with its 号, both, the whole name."""
    out: list[str] = []
    for i in range(n):
        name = rng.choice(names)
        road = re.match(r"\D+", name)
        number = re.search(r"\d+号", name)
        head = road.group(0) if road else name
        num = number.group(0) if number else name[-3:]
        out.append((head, num, name[: (number.end() if number else len(name))], name)[i % 4])
    return out


if __name__ == "__main__":
    main()
