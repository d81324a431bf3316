"""The unit pickers' search (承办单位 by name): scoped regions, departments on the actor's line,
utilities for everyone, every part of the query matched, names starting with it first."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session
from tests.builders.auth import MiniTerritory
from tests.builders.register import actor_at

from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.territory.units import search_units, units_for

pytestmark = pytest.mark.postgres


def test_a_city_dispatcher_finds_every_unit_by_part_of_its_name(
    session: Session, now: datetime
) -> None:
    territory = MiniTerritory(session, now)
    dispatcher = actor_at(territory, territory.CITY, Role.DISPATCHER)
    names = [u.name for u in units_for(session, dispatcher)]
    assert names == [
        "建外街道",
        "中关村街道",
        "朝阳区",
        "海淀区",
        "朝阳区城管执法局",
        "北京自来水集团",
    ]
    found = search_units(session, dispatcher, "城管")
    assert [(u.kind, u.name) for u in found] == [("department", "朝阳区城管执法局")]
    assert found[0].value == f"department:{territory.department().id}"
    assert [u.name for u in search_units(session, dispatcher, "朝阳 执法")] == ["朝阳区城管执法局"]
    assert [u.name for u in search_units(session, dispatcher, "朝阳")] == [
        "朝阳区",
        "朝阳区城管执法局",
    ]
    assert search_units(session, dispatcher, "不存在") == []


def test_units_are_scoped_to_the_actor_line(session: Session, now: datetime) -> None:
    territory = MiniTerritory(session, now)
    street_b = actor_at(territory, territory.STREET_B, Role.STREET_HANDLER)
    names = [u.name for u in units_for(session, street_b)]
    # Street B lies in 海淀区: its own street, no 朝阳 department, utilities for all.
    assert names == ["中关村街道", "北京自来水集团"]
    district_a = actor_at(territory, territory.DISTRICT_A, Role.DISPATCHER)
    assert [u.name for u in units_for(session, district_a, kinds=("department",))] == [
        "朝阳区城管执法局"
    ]
    assert [u.name for u in search_units(session, Actor.system(), "街道")] == [
        "建外街道",
        "中关村街道",
    ]
