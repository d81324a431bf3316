"""Benchmark of the appeal list's text search (``GET /api/v1/appeals?q=`` and the inbox's search
box) on PostgreSQL, without and with the trigram indexes of migration ``search_0002`` (issue 19,
city scale item 5: every page and API call of the load mix under 200 ms at p95).

Run: ``.venv/bin/python benchmarks/appeal_search_bench.py [--appeals 100000] [--queries 40]``

Creates a fresh database ``civicgrid_bench_appeal_search`` on the server of
``CIVICGRID_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``;
an existing one is dropped first, and it is dropped again at the end unless ``--keep``),
migrates it, builds the demo ``small`` territory through the territory use case, drops the
three trigram indexes, and loads ``--appeals`` synthetic appeals with COPY: texts composed by
the demo city's own generator (``demo.appeal_texts.compose``: every catalogue item, every
appeal type, places on 3,000 roads and 1,400 estates of the address benchmark), spread over
every grid and over two years, nine in ten closed. After ``VACUUM ANALYZE`` it times, for a
city-wide admin and for a street handler, ``--queries`` searches of realistic fragments
(a two-character problem word, a four-to-six-character phrase cut from a stored text, a road
or estate name, a tracking-number fragment of six digits, a whole tracking number, in turn):
the first page of 50 newest first and the count of every match, both as the list ran them
before (two statements: the page newest first, then the count) and through
``appeals.queries.list_for`` now (one statement with a window count). Then it measures the
raw insert rate (``--inserts`` single-row INSERT + COMMIT, as intake commits one appeal per
transaction), creates the three
indexes (timed, sizes printed), runs ``ANALYZE``, and times the same searches and inserts
again. ``EXPLAIN ANALYZE`` of one search is printed for both states.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from address_search_bench import _names
from bench_db import drop_database, fresh_database
from bench_timing import summary, time_each
from sqlalchemy import ColumnElement, Engine, func, make_url, select, text
from sqlalchemy.orm import Session

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid import migrate
from civicgrid.appeals.channels import AppealType
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.numbering import format_appeal_no
from civicgrid.appeals.queries import access
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.auth.scope import DataScope
from civicgrid.clock import monotonic
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.appeal_texts import Place, compose
from civicgrid.demo.city import build_territory_spec
from civicgrid.dispatch.catalogue import load_default_catalogue
from civicgrid.territory import service as territory_service
from civicgrid.territory.models import Region

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DB = "civicgrid_bench_appeal_search"
INDEXES = {
    "ix_appeal_title_trgm": "lower(title)",
    "ix_appeal_content_trgm": "lower(content)",
    "ix_appeal_address_trgm": "lower(address)",
}
KINDS = ("word (2)", "phrase (4-6)", "place", "number part", "number")
COLUMNS = (
    "number, channel, flow, appeal_type, status, level, title, content, category, address, "
    "region_id, region_path, caller_name_enc, caller_phone_enc, caller_phone_hash, "
    "confidential, anonymous, received_at, closed_at, disposition, disposition_note, "
    "reply_text, reopen_count, excluded_from_rates, version"
)
Row = tuple[Any, ...]


def _places(rng: random.Random, n: int = 20_000) -> list[str]:
    roads, estates = _names()
    out = []
    for _ in range(n):
        if rng.random() < 0.7:
            out.append(f"{rng.choice(roads)}{rng.randint(1, 400)}号")
        else:
            out.append(f"{rng.choice(estates)}{rng.randint(1, 30)}号楼")
    return out


def _rows(n: int, seed: int, grids: Sequence[tuple[int, str, str, str]]) -> Iterator[Row]:
    """``n`` appeals: (grid id, path, street name, community name) per grid in turn."""
    rng = random.Random(seed)
    items = [i for i in load_default_catalogue().items if i.level == 3]
    types = list(AppealType)
    weights = [6 if t is AppealType.COMPLAINT else 2 for t in types]
    places = _places(rng)
    start = NOW - timedelta(days=730)
    seq: dict[date, int] = {}
    for k in range(n):
        grid_id, path, street, community = grids[k % len(grids)]
        received = start + timedelta(seconds=730 * 86400 * k / n + rng.random())
        day = (received + timedelta(hours=8)).date()
        seq[day] = seq.get(day, 0) + 1
        address = rng.choice(places)
        item = rng.choice(items)
        kind = rng.choices(types, weights)[0]
        body = compose(item, kind, rng, Place(address, community, street))
        closed = rng.random() < 0.9 and received < NOW - timedelta(days=15)
        yield (
            format_appeal_no(day, seq[day]), "hotline", "hotline", kind.value,
            "closed" if closed else "dispatched", "general", body.title[:200], body.content,
            item.code, address, grid_id, path, "", "", "", False, False, received,
            received + timedelta(days=5) if closed else None, "", "", "", 0, False, 1,
        )  # fmt: skip


def _copy(engine: Engine, rows: Iterator[Row]) -> int:
    count = 0
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY appeal ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        raw.commit()
    finally:
        raw.close()
    return count


def _fragments(rng: random.Random, sample: Sequence[tuple[str, str, str]], n: int) -> list[str]:
    """Typed fragments in turn (:data:`KINDS`), cut from stored appeals (number, content,
    address)."""
    words = ["噪音", "漏水", "停水", "垃圾", "路灯", "占道", "井盖", "油烟", "停车", "供暖", "欠薪"]
    out: list[str] = []
    for i in range(n):
        number, content, address = rng.choice(sample)
        kind = KINDS[i % len(KINDS)]
        if kind == "word (2)":
            out.append(rng.choice(words))
        elif kind == "phrase (4-6)":
            size = rng.randint(4, 6)
            core = [c for c in content if "\u4e00" <= c <= "\u9fff"]
            at = rng.randrange(0, max(1, len(core) - size))
            out.append("".join(core[at : at + size]))
        elif kind == "place":
            out.append(address.split("号")[0].rstrip("0123456789") or address)
        elif kind == "number part":
            at = rng.randrange(4, len(number) - 6)
            out.append(number[at : at + 6])
        else:
            out.append(number)
    return out


def _conds(actor: Actor, q: str) -> list[ColumnElement[bool]]:
    """The WHERE of ``list_for`` with only ``q`` given."""
    return [access.scope_condition(actor), access.text_condition(q)]


def _explain(session: Session, actor: Actor, q: str, *, count: bool) -> str:
    conds = _conds(actor, q)
    if count:
        stmt: Any = select(func.count()).select_from(Appeal).where(*conds)
    else:
        stmt = (
            select(Appeal)
            .where(*conds)
            .order_by(Appeal.received_at.desc(), Appeal.id.desc())
            .limit(50)
        )
    dialect = session.get_bind().dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    rows = session.connection().exec_driver_sql("EXPLAIN ANALYZE " + sql).all()
    return "\n".join("    " + str(r[0]) for r in rows)


def _measure(session: Session, actors: dict[str, Actor], fragments: list[str], state: str) -> None:
    """Times the search two ways: as the list ran it before ``search_0002`` (a page
    statement newest first, then a count statement) and through ``list_for`` now (one
    statement with a window count)."""
    for label, actor in actors.items():

        def two_statements(q: str, actor: Actor = actor) -> object:
            conds = _conds(actor, q)
            stmt = (
                select(Appeal)
                .where(*conds)
                .order_by(Appeal.received_at.desc(), Appeal.id.desc())
                .limit(50)
            )
            total = session.scalar(select(func.count()).select_from(Appeal).where(*conds))
            found = session.scalars(stmt).all()
            session.expunge_all()
            return total, found

        def list_for(q: str, actor: Actor = actor) -> object:
            page = access.list_for(session, actor, access.AppealFilters(text=q), now=NOW)
            session.expunge_all()
            return page

        for case, fn in (("page+count, 2 statements", two_statements),
                         ("list_for (window count)", list_for)):  # fmt: skip
            times = time_each(fn, fragments, warmup=3)
            print(f"{state:13} {label:20} {case:25}: {summary(times, KINDS)}", flush=True)


def _insert_rate(engine: Engine, n: int, seed: int, grid: tuple[int, str, str, str]) -> float:
    """Appeals per second, one INSERT and one COMMIT each (intake's transaction shape)."""
    rows = list(_rows(n, seed, [grid]))
    placeholders = ", ".join(["%s"] * len(rows[0]))
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        t0 = monotonic()
        for row in rows:
            # Unique numbers of their own (a far day), so the loaded ones never collide.
            cur.execute(
                f"INSERT INTO appeal ({COLUMNS}) VALUES ({placeholders})",
                ("9" + str(row[0])[1:], *row[1:]),
            )
            raw.commit()
        elapsed = monotonic() - t0
        cur.execute("DELETE FROM appeal WHERE number LIKE '9%'")
        raw.commit()
    finally:
        raw.close()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appeals", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--inserts", type=int, default=2000)
    parser.add_argument(
        "--before-queries", type=int, default=0, help="fewer fragments without the indexes"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", default=BENCH_DB, help="scratch database (dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
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


def _grids(session: Session) -> list[tuple[int, str, str, str]]:
    """(grid id, path, street name, community name) of every grid."""
    names = {str(p): str(n) for p, n in session.execute(select(Region.path, Region.name))}
    out = []
    for rid, path in session.execute(
        select(Region.id, Region.path).where(Region.level == "grid").order_by(Region.id)
    ):
        parts = path.strip("/").split("/")
        community = "/" + "/".join(parts[:-1]) + "/"
        street = "/" + "/".join(parts[:-2]) + "/"
        out.append((int(rid), str(path), names.get(street, ""), names.get(community, "")))
    return out


def _run(engine: Engine, args: argparse.Namespace) -> None:
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    system = Actor.system("bench")
    with factory() as session:
        territory_service.create_from_spec(
            session, spec=build_territory_spec(args.seed, "small"), actor=system, now=NOW
        )
        session.commit()
        grids = _grids(session)
    with engine.begin() as conn:
        for name in INDEXES:
            conn.execute(text(f"DROP INDEX {name}"))
    print(f"territory: demo 'small', {len(grids)} grids", flush=True)

    t0 = monotonic()
    loaded = _copy(engine, _rows(args.appeals, args.seed, grids))
    print(f"loaded {loaded:,} appeals with COPY in {monotonic() - t0:.1f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE appeal"))
        size = conn.scalar(text("SELECT pg_size_pretty(pg_total_relation_size('appeal'))"))
    print(f"appeal table with its indexes: {size}")

    street = grids[0][1].rsplit("/", 3)[0] + "/"
    handler = Actor(
        user_id=None, username="bench_street", display_name="街道",
        roles=frozenset({Role.STREET_HANDLER}),
        scope=DataScope(region_paths=frozenset({street})),
    )  # fmt: skip
    actors = {"admin (whole city)": system, "street handler": handler}
    rng = random.Random(args.seed + 1)
    with factory() as session:
        sample = [
            (str(n), str(c), str(a))
            for n, c, a in session.execute(
                text(
                    "SELECT number, content, address FROM appeal TABLESAMPLE SYSTEM (1) "
                    "REPEATABLE (7) LIMIT 2000"
                )
            )
        ]
        fragments = _fragments(rng, sample, args.queries)
        print(f"fragments ({len(fragments)}): {' '.join(fragments)}")
        for q in fragments[: len(KINDS)]:
            found = session.scalar(
                select(func.count()).select_from(Appeal).where(access.text_condition(q))
            )
            print(f"  {q}: {found:,} matching appeals")
        print("EXPLAIN ANALYZE without the indexes, admin, first page for", fragments[1])
        print(_explain(session, system, fragments[1], count=False))
        _measure(session, actors, fragments[: args.before_queries or None], "no index")
    rate = _insert_rate(engine, args.inserts, args.seed + 2, grids[0])
    print(f"no index      raw insert rate ({args.inserts} rows, one commit each): "
          f"{rate:,.0f} appeals/s", flush=True)  # fmt: skip

    t0 = monotonic()
    with engine.begin() as conn:
        for name, expression in INDEXES.items():
            conn.execute(text(f"CREATE INDEX {name} ON appeal USING gin ({expression} "
                              "gin_trgm_ops)"))  # fmt: skip
    built = monotonic() - t0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE appeal"))
        size_sql = "SELECT pg_size_pretty(pg_relation_size(:name))"
        sizes = ", ".join(
            f"{name} {conn.scalar(text(size_sql), {'name': name})}" for name in INDEXES
        )
    print(f"created the three indexes in {built:.1f} s ({sizes})", flush=True)

    with factory() as session:
        for label, count in ((fragments[1], False), (fragments[1], True)):
            print(f"EXPLAIN ANALYZE with the indexes, admin, {'count' if count else 'page'} "
                  f"for {label}")  # fmt: skip
            print(_explain(session, system, label, count=count))
        print("EXPLAIN ANALYZE with the indexes, admin, page for a two-character word",
              fragments[0])  # fmt: skip
        print(_explain(session, system, fragments[0], count=False))
        _measure(session, actors, fragments, "trigram index")
    rate = _insert_rate(engine, args.inserts, args.seed + 2, grids[0])
    print(f"trigram index raw insert rate ({args.inserts} rows, one commit each): "
          f"{rate:,.0f} appeals/s", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
