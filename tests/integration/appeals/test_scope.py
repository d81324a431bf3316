"""The access road: ``by_id_for`` and ``list_for`` for every kind of actor."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import String, case, event, literal, select, true
from sqlalchemy.orm import Session
from tests.builders.appeals import PNG, World, make_appeal, submit
from tests.builders.auth import MiniTerritory, make_region

from civicgrid.appeals import queries, read_models
from civicgrid.appeals.channels import Channel
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.queries import access, workbench
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth.actor import Actor
from civicgrid.errors import NotFound
from civicgrid.territory.models import Region


@pytest.fixture
def appeals(session: Session, world: World, now: datetime) -> dict[str, int]:
    a = make_appeal(
        session, world=world, now=now, status=AppealStatus.DISPATCHED, lead=world.department
    )
    b = submit(session, world, now=now, region_code=MiniTerritory.STREET_B)
    c = submit(session, world, now=now, region_code=None)
    d = submit(session, world, now=now, by="resident", channel=Channel.WEB, region_code=None)
    e = make_appeal(session, world=world, now=now, grid=True)
    f = make_appeal(
        session,
        world=world,
        now=now,
        status=AppealStatus.DISPATCHED,
        lead=world.street_b,
        region_code=None,
    )
    return {"A": a.id, "B": b.id, "C": c.id, "D": d.id, "E": e.id, "F": f.id}


VISIBLE = {
    "operator": "ABCDEF",
    "admin": "ABCDEF",
    "dispatcher": "ABCDEF",
    "supervisor": "ABCDEF",
    "leader": "ABCDEF",
    "district_b_operator": "BF",
    "street_a": "AE",
    "street_b": "BF",
    "department": "A",
    "utility": "",
    "grid_a1": "E",
    "grid_a2": "",
    "resident": "D",
    "resident2": "",
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_each_actor_sees_exactly_its_appeals(
    session: Session, world: World, now: datetime, appeals: dict[str, int], who: str
) -> None:
    actor = world.actor(who)
    page = queries.list_for(session, actor, queries.AppealFilters(limit=100), now=now)
    by_id = {v: k for k, v in appeals.items()}
    assert "".join(sorted(by_id[a.id] for a in page.items)) == VISIBLE[who]
    assert page.total == len(VISIBLE[who])
    for name, appeal_id in appeals.items():
        if name in VISIBLE[who]:
            assert queries.by_id_for(session, actor, appeal_id).id == appeal_id
        else:
            with pytest.raises(NotFound):
                queries.by_id_for(session, actor, appeal_id)


@pytest.mark.parametrize("wide_depth", [0, 9])
def test_both_forms_of_the_scope_select_the_same_appeals(
    session: Session,
    world: World,
    appeals: dict[str, int],
    wide_depth: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every scope as one UNION of id sets (narrow) and as row conditions (wide)."""
    monkeypatch.setattr(access, "WIDE_DEPTH", wide_depth)
    access._scope_condition.cache_clear()
    by_id = {v: k for k, v in appeals.items()}
    try:
        for who, visible in VISIBLE.items():
            stmt = select(Appeal.id).where(access.scope_condition(world.actor(who)))
            assert "".join(sorted(by_id[i] for i in session.scalars(stmt))) == visible, who
    finally:
        access._scope_condition.cache_clear()


def test_a_city_post_skips_the_filter_only_while_it_covers_every_city(
    session: Session, world: World, now: datetime, appeals: dict[str, int]
) -> None:
    operator = world.actor("operator")
    roots = session.scalars(select(Region.path).where(Region.parent_id.is_(None))).all()
    assert len(roots) == 1
    assert access.visible_condition(session, operator) is true()
    other = make_region(session, code="120000000000", name="天津市", level="city", now=now)
    assert access.visible_condition(session, operator) is access.scope_condition(operator)
    assert not operator.scope.covers_path(other.path)
    assert access.visible_condition(session, world.actor("street_a")) is not true()
    page = queries.list_for(session, operator, queries.AppealFilters(limit=100), now=now)
    assert {a.id for a in page.items} == set(appeals.values())


@pytest.mark.parametrize(
    ("path", "under"),
    [
        ("/1/2/8/", True),
        ("/1/2/8/31/", True),
        ("/1/2/80/", False),
        ("/1/2/81/5/", False),
        ("/1/2/", False),
        ("/1/2/7/", False),
        ("/1/2/8", False),
        ("", False),
    ],
)
def test_a_path_prefix_is_a_range_of_exactly_the_paths_below(
    session: Session, path: str, under: bool
) -> None:
    condition = access.path_under(literal(path, String()), "/1/2/8/")
    assert session.scalar(select(case((condition, True), else_=False))) is under


def test_actor_without_posts_sees_nothing(
    session: Session, now: datetime, appeals: dict[str, int]
) -> None:
    nobody = Actor(user_id=None, username="nobody", display_name="无")
    assert queries.list_for(session, nobody, queries.AppealFilters(), now=now).total == 0
    with pytest.raises(NotFound):
        queries.by_id_for(session, nobody, appeals["A"])


def test_released_unit_loses_sight(session: Session, world: World, now: datetime) -> None:
    from civicgrid.appeals import service

    appeal = make_appeal(
        session,
        world=world,
        now=now,
        status=AppealStatus.DISPATCHED,
        lead=world.utility,
        region_code=None,
    )
    utility = world.actor("utility")
    assert queries.by_id_for(session, utility, appeal.id).id == appeal.id
    service.dispatch(
        session,
        appeal_id=appeal.id,
        lead=world.department,
        actor=world.actor("dispatcher"),
        now=now,
    )
    with pytest.raises(NotFound):
        queries.by_id_for(session, utility, appeal.id)


def test_list_paging_and_grid_photo(session: Session, world: World, now: datetime) -> None:
    for _ in range(3):
        submit(session, world, now=now)
    first = queries.list_for(
        session, world.actor("operator"), queries.AppealFilters(limit=2), now=now
    )
    second = queries.list_for(
        session, world.actor("operator"), queries.AppealFilters(offset=2, limit=2), now=now
    )
    assert first.total == second.total == 3
    assert len(first.items) == 2
    assert len(second.items) == 1
    assert {a.id for a in first.items}.isdisjoint(a.id for a in second.items)
    assert PNG


def test_location_without_region_is_placed_in_its_grid(
    session: Session, world: World, now: datetime
) -> None:
    grid = world.territory.region(MiniTerritory.GRID_A2)
    square = [[116.50, 39.90], [116.52, 39.90], [116.52, 39.92], [116.50, 39.92], [116.50, 39.90]]
    grid.boundary = json.dumps({"type": "Polygon", "coordinates": [square]})
    session.flush()
    appeal = submit(
        session,
        world,
        now=now,
        by="resident",
        channel=Channel.SNAPSHOT,
        region_code=None,
        lon=116.51,
        lat=39.91,
        photos=(PNG,),
    )
    assert appeal.region_id == grid.id
    assert queries.by_id_for(session, world.actor("grid_a2"), appeal.id).id == appeal.id
    outside = submit(
        session,
        world,
        now=now,
        by="resident",
        channel=Channel.SNAPSHOT,
        region_code=None,
        lon=110.0,
        lat=30.0,
        photos=(PNG,),
    )
    assert outside.region_id is None


def _count_queries(session: Session, run: Callable[[], object]) -> int:
    statements: list[str] = []
    conn = session.connection()

    def listener(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(conn, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(conn, "before_cursor_execute", listener)
    return len(statements)


def test_list_query_count_does_not_grow_with_rows(
    session: Session, world: World, now: datetime
) -> None:
    def listing() -> object:
        session.expire_all()
        page = queries.list_for(session, world.actor("operator"), queries.AppealFilters(), now=now)
        return [(read_models.list_item(a, now), queries.lead_unit(a)) for a in page.items]

    make_appeal(session, world=world, now=now, status=AppealStatus.DISPATCHED)
    few = _count_queries(session, listing)
    for _ in range(4):
        make_appeal(session, world=world, now=now, status=AppealStatus.DISPATCHED)
    assert _count_queries(session, listing) == few


@pytest.mark.parametrize("who", ["street_a", "street_b", "department", "utility"])
def test_own_unit_queues_without_the_scope_filter_stay_inside_the_scope(
    session: Session, world: World, now: datetime, appeals: dict[str, int], who: str
) -> None:
    """The handler queues skip the data-scope filter (their own units imply it): every
    appeal they count and list is one the handler may open."""
    actor = world.actor(who)
    keys = sorted(workbench.UNIT_HELD)
    counts = workbench.count_queues(session, actor, keys, now=now)
    seen: set[int] = set()
    for key in keys:
        page = workbench.list_queue(session, actor, key, now=now, limit=100)
        assert page.total == counts[key] == len(page.items), key
        seen.update(a.id for a in page.items)
    for appeal_id in seen:
        assert queries.by_id_for(session, actor, appeal_id).id == appeal_id
    by_id = {v: k for k, v in appeals.items()}
    held = {"street_b": "F", "department": "A"}.get(who, "")
    assert "".join(sorted(by_id[i] for i in seen if i in by_id)) == held
