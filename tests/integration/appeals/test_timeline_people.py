"""Timelines name people as users read them: display name and the unit of the post they acted
in, never the login name; a user without a unit (the admin, the system) by name alone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from tests.builders.appeals import PNG, World, make_appeal, submit

from civicgrid.appeals import queries
from civicgrid.appeals.channels import Channel
from civicgrid.appeals.read_models import render_detail, timeline_out
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth import service as auth_service


def test_each_event_names_the_person_and_the_unit_they_acted_for(
    session: Session, world: World, now: datetime
) -> None:
    lead = ("department", world.department[1])
    appeal = make_appeal(session, world=world, status=AppealStatus.SIGNED, now=now, lead=lead)
    names = {e.action: e.actor_name for e in timeline_out(session, appeal.id)}
    operator, dispatcher = world.actor("operator"), world.actor("dispatcher")
    department = world.actor("department")
    assert names["submit"] == f"{operator.display_name}（北京市）"
    assert names["dispatch"] == f"{dispatcher.display_name}（北京市）"
    assert names["sign"] == f"{department.display_name}（朝阳区城管执法局）"
    assert all(department.username not in n for n in names.values())

    view = render_detail(
        session, queries.by_id_for(session, operator, appeal.id), operator, world.cipher, now
    )
    assert [e.actor_name for e in view.timeline] == list(names.values())


def test_people_without_a_unit_are_named_alone_and_unknown_ids_left_out(
    session: Session, world: World
) -> None:
    admin, street = world.actor("admin"), world.actor("street_a")
    assert admin.user_id is not None
    assert street.user_id is not None
    people = auth_service.people_by_id(session, [admin.user_id, street.user_id, None, 999_999])
    assert set(people) == {admin.user_id, street.user_id}
    assert people[admin.user_id].label() == admin.display_name
    assert people[street.user_id].label("street_handler") == f"{street.display_name}（建外街道）"
    assert people[street.user_id].label("operator") == f"{street.display_name}（建外街道）"


def test_a_resident_is_named_as_the_caller_never_by_name(
    session: Session, world: World, now: datetime
) -> None:
    appeal = submit(
        session,
        world,
        now=now,
        by="resident",
        channel=Channel.SNAPSHOT,
        photos=(PNG,),
        lon=116.45,
        lat=39.91,
    )
    [event] = timeline_out(session, appeal.id)
    assert event.actor_name == "诉求人"
