"""Volunteer use cases on a real database: 点单 → 派单 → 接单 → 服务 → 确认 → 评价, hours,
overlaps, 双报到 and certificates, with every refusal leaving the stored rows unchanged."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from tests.builders.participation import PWorld, make_order_setup
from tests.integration.participation.conftest import Snapshot

from civicgrid.db import make_session_factory
from civicgrid.errors import Conflict, Forbidden, Invalid, InvalidTransition, NotFound
from civicgrid.participation.volunteers import queries
from civicgrid.participation.volunteers import service as svc
from civicgrid.participation.volunteers.models import ServiceOrder

A1 = "110105001001"
A2 = "110105001002"
H = timedelta(hours=1)


def test_the_whole_order_flow_credits_hours_after_confirmation(
    session: Session, pworld: PWorld, now: datetime
) -> None:
    setup = make_order_setup(session, pworld, now=now)
    order = svc.take_order(session, order_id=setup.order.id, actor=setup.volunteer_actor, now=now)
    assert order.status == "taken"
    record = svc.record_service(
        session,
        order_id=order.id,
        started_at=now - 2 * H,
        ended_at=now,
        travel_minutes=30,
        content="更换水龙头",
        actor=setup.volunteer_actor,
        now=now,
    )
    assert record.minutes == 90
    assert queries.confirmed_minutes(session, [setup.volunteer.id]) == {}
    requester = pworld["王芳"].actor
    svc.confirm_service(session, order_id=order.id, actor=requester, now=now)
    assert queries.confirmed_minutes(session, [setup.volunteer.id]) == {setup.volunteer.id: 90}
    rated = svc.rate_order(
        session, order_id=order.id, rating=5, comment="很好", actor=requester, now=now
    )
    assert rated.status == "rated"
    cert = svc.issue_certificate(
        session,
        volunteer_id=setup.volunteer.id,
        signer="张书记",
        handler="刘干事",
        contact="010-65000000",
        actor=pworld.staff_a1,
        now=now,
    )
    assert cert.minutes_total == 90
    assert cert.number.startswith("ZM110105001001-2026-")
    assert cert.issuer == "建国里社区居民委员会"


def test_taking_an_order_twice_is_a_conflict(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    setup = make_order_setup(session, pworld, now=now)
    svc.take_order(session, order_id=setup.order.id, actor=setup.volunteer_actor, now=now)
    before = snapshot()
    with pytest.raises(InvalidTransition):
        svc.take_order(session, order_id=setup.order.id, actor=setup.volunteer_actor, now=now)
    assert snapshot() == before


def test_an_unassigned_order_cannot_be_taken(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    setup = make_order_setup(session, pworld, now=now, assign=False)
    before = snapshot()
    with pytest.raises(InvalidTransition):
        svc.take_order(session, order_id=setup.order.id, actor=setup.volunteer_actor, now=now)
    assert snapshot() == before


def test_a_non_volunteer_cannot_take(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    setup = make_order_setup(session, pworld, now=now)
    before = snapshot()
    with pytest.raises(Forbidden, match="注册志愿者"):
        svc.take_order(session, order_id=setup.order.id, actor=pworld["王芳"].actor, now=now)
    assert snapshot() == before


def test_a_serving_party_member_of_the_community_may_take_without_a_team(
    session: Session, pworld: PWorld, now: datetime
) -> None:
    setup = make_order_setup(session, pworld, now=now)
    org = svc.register_party_org(
        session, region_code=A1, name="区税务局机关党支部", actor=pworld.staff_a1, now=now
    )
    member = svc.register_volunteer(
        session,
        data=svc.NewVolunteer(
            region_code=A1, name="陈党员", is_party_member=True, party_org_id=org.id
        ),
        actor=pworld.staff_a1,
        now=now,
    )
    order = svc.take_order(
        session, order_id=setup.order.id, volunteer_id=member.id, actor=pworld.staff_a1, now=now
    )
    assert order.volunteer_id == member.id
    summaries = queries.party_org_summaries(session, pworld.staff_a1)
    assert [(s.org.name, s.member_count) for s in summaries] == [("区税务局机关党支部", 1)]


@pytest.mark.parametrize(
    ("start", "end", "travel", "message"),
    [
        (-1, -2, 0, "结束时间必须晚于开始时间"),
        (-2, -1, -5, "路途时间不能为负数"),
        (-2, -1, 60, "扣除路途时间"),
        (-30, -1, 0, "24 小时"),
        (-1, 1, 0, "晚于现在"),
    ],
)
def test_bad_hours_are_invalid_and_change_nothing(
    session: Session,
    pworld: PWorld,
    now: datetime,
    snapshot: Snapshot,
    start: int,
    end: int,
    travel: int,
    message: str,
) -> None:
    setup = make_order_setup(session, pworld, now=now)
    svc.take_order(session, order_id=setup.order.id, actor=setup.volunteer_actor, now=now)
    before = snapshot()
    with pytest.raises(Invalid, match=message):
        svc.record_service(
            session,
            order_id=setup.order.id,
            started_at=now + start * H,
            ended_at=now + end * H,
            travel_minutes=travel,
            actor=setup.volunteer_actor,
            now=now,
        )
    assert snapshot() == before
    assert session.get(ServiceOrder, setup.order.id).status == "taken"  # type: ignore[union-attr]


def test_overlapping_records_of_one_volunteer_are_a_conflict(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    setup = make_order_setup(session, pworld, now=now)
    svc.record_activity(
        session,
        volunteer_id=setup.volunteer.id,
        activity="社区义诊",
        started_at=now - 3 * H,
        ended_at=now - H,
        actor=pworld.staff_a1,
        now=now,
    )
    svc.take_order(session, order_id=setup.order.id, actor=setup.volunteer_actor, now=now)
    before = snapshot()
    with pytest.raises(Conflict, match="重叠"):
        svc.record_service(
            session,
            order_id=setup.order.id,
            started_at=now - 2 * H,
            ended_at=now,
            actor=setup.volunteer_actor,
            now=now,
        )
    assert snapshot() == before
    # touching the end of the earlier record is fine
    svc.record_service(
        session,
        order_id=setup.order.id,
        started_at=now - H,
        ended_at=now,
        actor=setup.volunteer_actor,
        now=now,
    )


def test_only_the_requester_confirms_and_rates(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    setup = make_order_setup(session, pworld, now=now)
    svc.take_order(session, order_id=setup.order.id, actor=setup.volunteer_actor, now=now)
    svc.record_service(
        session,
        order_id=setup.order.id,
        started_at=now - H,
        ended_at=now,
        actor=setup.volunteer_actor,
        now=now,
    )
    before = snapshot()
    with pytest.raises(Forbidden):
        svc.confirm_service(session, order_id=setup.order.id, actor=setup.volunteer_actor, now=now)
    with pytest.raises(NotFound):
        svc.confirm_service(session, order_id=setup.order.id, actor=pworld["赵敏"].actor, now=now)
    with pytest.raises(InvalidTransition):
        svc.rate_order(
            session, order_id=setup.order.id, rating=5, actor=pworld["王芳"].actor, now=now
        )
    assert snapshot() == before


def test_staff_of_another_community_cannot_assign(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    setup = make_order_setup(session, pworld, now=now, assign=False)
    before = snapshot()
    with pytest.raises(NotFound):
        svc.assign_order(
            session, order_id=setup.order.id, team_id=setup.team.id, actor=pworld.staff_a2, now=now
        )
    assert snapshot() == before


def test_a_team_of_another_community_is_invalid(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    setup = make_order_setup(session, pworld, now=now, assign=False)
    other = svc.create_team(
        session, region_code=A2, name="蓝色服务队", actor=pworld.staff_a2, now=now
    )
    before = snapshot()
    with pytest.raises(Invalid, match="不属于该社区"):
        svc.assign_order(
            session, order_id=setup.order.id, team_id=other.id, actor=pworld.street, now=now
        )
    assert snapshot() == before


def test_residents_order_only_from_their_own_community(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    before = snapshot()
    with pytest.raises(Forbidden):
        svc.place_order(
            session,
            data=svc.NewOrder(region_code=A2, title="助餐"),
            actor=pworld["王芳"].actor,
            now=now,
        )
    assert snapshot() == before


def test_a_volunteer_registers_once_and_team_names_are_unique(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    setup = make_order_setup(session, pworld, now=now)
    before = snapshot()
    with pytest.raises(Conflict):
        svc.register_volunteer(
            session,
            data=svc.NewVolunteer(region_code=A1, name="李强"),
            actor=setup.volunteer_actor,
            now=now,
        )
    with pytest.raises(Conflict):
        svc.create_team(session, region_code=A1, name="红色先锋队", actor=pworld.staff_a1, now=now)
    assert snapshot() == before


def test_a_certificate_needs_confirmed_hours(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    setup = make_order_setup(session, pworld, now=now)
    before = snapshot()
    with pytest.raises(Invalid, match="确认"):
        svc.issue_certificate(
            session,
            volunteer_id=setup.volunteer.id,
            signer="张",
            handler="刘",
            contact="010",
            actor=pworld.staff_a1,
            now=now,
        )
    with pytest.raises(NotFound):
        svc.issue_certificate(
            session,
            volunteer_id=setup.volunteer.id,
            signer="张",
            handler="刘",
            contact="010",
            actor=pworld.staff_a2,
            now=now,
        )
    assert snapshot() == before


def test_cancel_only_before_taking(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    setup = make_order_setup(session, pworld, now=now)
    svc.take_order(session, order_id=setup.order.id, actor=setup.volunteer_actor, now=now)
    before = snapshot()
    with pytest.raises(InvalidTransition):
        svc.cancel_order(
            session, order_id=setup.order.id, reason="不需要了", actor=pworld["王芳"].actor, now=now
        )
    assert snapshot() == before


def test_two_volunteers_taking_at_once_one_gets_a_conflict(
    session: Session, pworld: PWorld, now: datetime, connection: Connection
) -> None:
    setup = make_order_setup(session, pworld, now=now)
    other = svc.register_volunteer(
        session,
        data=svc.NewVolunteer(region_code=A1, name="周杰", team_id=setup.team.id),
        actor=pworld.staff_a1,
        now=now,
    )
    # a second session has read the order before the first volunteer took it
    rival = make_session_factory(connection)()
    stale = rival.get(ServiceOrder, setup.order.id)
    assert stale is not None
    assert stale.status == "assigned"
    rival.commit()  # keep the stale copy (no expiry) but end the rival's savepoint
    svc.take_order(session, order_id=setup.order.id, actor=setup.volunteer_actor, now=now)
    with pytest.raises(Conflict, match="他人修改"):
        svc.take_order(
            rival, order_id=setup.order.id, volunteer_id=other.id, actor=pworld.staff_a1, now=now
        )
    rival.close()
    session.expire_all()
    taken = session.get(ServiceOrder, setup.order.id)
    assert taken is not None
    assert taken.volunteer_id == setup.volunteer.id
