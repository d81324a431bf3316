"""actor_for_user builds roles and the data scope from posts: a post at region X sees X and
its descendants only; department and utility posts see their unit; a global admin all."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, MiniTerritory, make_user

from civicgrid.auth import service
from civicgrid.auth.roles import Role


def test_street_post_sees_the_street_and_below_only(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    user, _ = make_user(session, role=Role.STREET_HANDLER, region_code=territory.STREET_A, now=now)
    actor = service.actor_for_user(session, user.id)
    assert actor.roles == frozenset({Role.STREET_HANDLER})
    t = territory
    for code in (t.STREET_A, t.COMMUNITY_A1, t.COMMUNITY_A2, t.GRID_A1, t.GRID_A2):
        assert actor.scope.covers_path(t.region(code).path), code
    for code in (t.CITY, t.DISTRICT_A, t.DISTRICT_B, t.STREET_B):
        assert not actor.scope.covers_path(t.region(code).path), code
    assert not actor.scope.covers_department(t.department().id)
    (ref,) = actor.posts
    assert ref.region_path == t.region(t.STREET_A).path


def test_grid_worker_sees_only_the_grid(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    user, _ = make_user(session, role=Role.GRID_WORKER, region_code=territory.GRID_A1, now=now)
    scope = service.actor_for_user(session, user.id).scope
    assert scope.covers_path(territory.region(territory.GRID_A1).path)
    assert not scope.covers_path(territory.region(territory.GRID_A2).path)
    assert not scope.covers_path(territory.region(territory.COMMUNITY_A1).path)


def test_department_and_utility_posts_see_their_unit(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    handler, _ = make_user(
        session, role=Role.DEPARTMENT_HANDLER, department_code=territory.DEPARTMENT, now=now
    )
    scope = service.actor_for_user(session, handler.id).scope
    assert scope.department_ids == frozenset({territory.department().id})
    assert not scope.region_paths
    assert not scope.is_global
    water, _ = make_user(
        session, role=Role.UTILITY_HANDLER, utility_code=territory.UTILITY, now=now
    )
    assert service.actor_for_user(session, water.id).scope.utility_ids == frozenset(
        {territory.utility().id}
    )


def test_admin_without_region_is_global_and_with_region_is_not(
    session: Session, now: datetime, territory: MiniTerritory
) -> None:
    root, _ = make_user(session, role=Role.ADMIN, now=now)
    assert service.actor_for_user(session, root.id).scope.is_global
    district, _ = make_user(session, role=Role.ADMIN, region_code=territory.DISTRICT_A, now=now)
    scope = service.actor_for_user(session, district.id).scope
    assert not scope.is_global
    assert scope.covers_path(territory.region(territory.GRID_A1).path)
    assert not scope.covers_path(territory.region(territory.STREET_B).path)


def test_a_resident_without_region_sees_nothing(session: Session, now: datetime) -> None:
    # A staff post always has an anchor (test_post_anchor); a resident's post has none.
    resident, _ = make_user(session, role=Role.RESIDENT, now=now)
    assert service.actor_for_user(session, resident.id).scope.is_empty


def test_several_posts_merge(session: Session, now: datetime, territory: MiniTerritory) -> None:
    user, _ = make_user(session, role=Role.GRID_WORKER, region_code=territory.GRID_A1, now=now)
    service.add_post(
        session,
        user_id=user.id,
        role=Role.STREET_HANDLER,
        region_id=territory.region(territory.STREET_A).id,
        actor=SYSTEM,
        now=now,
    )
    service.add_post(
        session,
        user_id=user.id,
        role=Role.DEPARTMENT_HANDLER,
        department_id=territory.department().id,
        actor=SYSTEM,
        now=now,
    )
    actor = service.actor_for_user(session, user.id)
    assert actor.roles == frozenset(
        {Role.GRID_WORKER, Role.STREET_HANDLER, Role.DEPARTMENT_HANDLER}
    )
    # The grid lies inside the street, so one path remains.
    assert actor.scope.minimal_paths() == (territory.region(territory.STREET_A).path,)
    assert actor.scope.department_ids == frozenset({territory.department().id})
    assert len(actor.posts) == 3


def test_user_without_posts_has_no_roles(session: Session, now: datetime) -> None:
    user = service.create_user(
        session,
        username="nobody",
        display_name="无岗位",
        password="Passw0rd!x",
        actor=SYSTEM,
        now=now,
    )
    actor = service.actor_for_user(session, user.id)
    assert actor.roles == frozenset()
    assert actor.scope.is_empty
    assert actor.label == "nobody(无岗位)"
