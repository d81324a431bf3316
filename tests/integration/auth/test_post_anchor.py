"""A staff post needs an anchor: a post without region, department or utility (shown as 未指定,
seeing no territory) is refused; only a global admin and a resident stand without one."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, MiniTerritory, make_user

from civicgrid.auth import service
from civicgrid.auth.roles import Role
from civicgrid.errors import Invalid


@pytest.mark.parametrize(
    "role", [Role.OPERATOR, Role.DISPATCHER, Role.STREET_HANDLER, Role.GRID_WORKER, Role.LEADER]
)
def test_a_staff_post_without_anchor_is_refused_and_nothing_is_stored(
    session: Session, now: datetime, role: Role
) -> None:
    user, _ = make_user(session, role=Role.RESIDENT, now=now)
    with pytest.raises(Invalid, match="必须指定所属区划") as refused:
        service.add_post(session, user_id=user.id, role=role, actor=SYSTEM, now=now)
    assert refused.value.detail == {"field": "anchor"}
    session.expire_all()
    assert [p.role for p in service.get_user(session, user.id).posts] == [Role.RESIDENT.value]


def test_creating_an_account_with_an_unanchored_staff_post_stores_no_account(
    session: Session, now: datetime
) -> None:
    with pytest.raises(Invalid, match="必须指定所属区划"):
        service.create_user_with_post(
            session,
            username="lost_operator",
            display_name="无岗位",
            password="Str0ng!Passw0rd",
            role=Role.OPERATOR,
            actor=SYSTEM,
            now=now,
        )
    session.rollback()
    assert service.find_user_id(session, "lost_operator") is None


def test_admin_and_resident_posts_stand_without_anchor_and_staff_with_one(
    session: Session, now: datetime
) -> None:
    territory = MiniTerritory(session, now)
    user, _ = make_user(session, role=Role.RESIDENT, now=now)
    admin = service.add_post(session, user_id=user.id, role=Role.ADMIN, actor=SYSTEM, now=now)
    street = service.add_post(
        session,
        user_id=user.id,
        role=Role.STREET_HANDLER,
        region_id=territory.region(territory.STREET_A).id,
        actor=SYSTEM,
        now=now,
    )
    assert (admin.region_id, street.region_id) == (None, territory.region(territory.STREET_A).id)
