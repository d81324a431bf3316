"""The register reads participation goes through (``register.queries``): current residences,
residents living in a region, names and the scoped resident reference."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM
from tests.builders.participation import PWorld
from tests.builders.register import make_house

from civicgrid.errors import NotFound
from civicgrid.register import queries
from civicgrid.register import service as register_service


def test_current_residence_paths_and_residents_living_in_a_region(
    session: Session, pworld: PWorld, now: datetime
) -> None:
    wang = pworld["王芳"].resident
    community = pworld.territory.region("110105001001")
    paths = queries.current_residence_paths(session, wang.id, now.date())
    assert paths
    assert all(p.startswith(community.path) for p in paths)
    living = queries.resident_ids_living_in(session, community.path, now.date(), limit=1000)
    assert wang.id in living
    assert living == sorted(set(living))
    assert queries.resident_ids_living_in(session, community.path, now.date(), limit=1) == [
        living[0]
    ]


def test_a_residence_that_ended_no_longer_counts(
    session: Session, pworld: PWorld, now: datetime
) -> None:
    wang = pworld["王芳"].resident
    a1 = pworld.territory.region("110105001001")
    a2 = pworld.territory.region("110105001002")
    house = make_house(session, grid_code="110105001002001", now=now)
    register_service.move_resident(
        session,
        resident_id=wang.id,
        house_id=house.id,
        kind="自住",
        on=now.date(),
        actor=SYSTEM,
        now=now,
    )
    paths = queries.current_residence_paths(session, wang.id, now.date())
    assert paths == [house.region_path]
    assert paths[0].startswith(a2.path)
    assert wang.id not in queries.resident_ids_living_in(session, a1.path, now.date(), limit=1000)
    # the day before the move the old residence was still current
    before = queries.current_residence_paths(session, wang.id, now.date() - timedelta(days=1))
    assert any(p.startswith(a1.path) for p in before)


def test_names_and_the_scoped_reference(session: Session, pworld: PWorld) -> None:
    wang = pworld["王芳"].resident
    assert queries.resident_names(session, [wang.id, wang.id, -5]) == {wang.id: wang.name}
    assert queries.resident_names(session, []) == {}
    ref = queries.resident_ref_for(session, pworld.staff_a1, wang.id)
    assert (ref.id, ref.name, ref.region_path) == (wang.id, wang.name, wang.region_path)
    with pytest.raises(NotFound):
        queries.resident_ref_for(session, pworld.staff_a2, wang.id)
