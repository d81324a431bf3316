"""Intake: recording appeals (numbers, deadlines, encryption, photos) and the dispositions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import JPEG, MAX_BYTES, PNG, World, make_appeal, submit
from tests.builders.auth import MiniTerritory
from tests.integration.appeals.conftest import actions_of, state_of

from civicgrid.appeals import queries, service
from civicgrid.appeals.caller import caller_view
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.models import Appeal, Attachment
from civicgrid.appeals.states import AppealStatus, EmergencyLine
from civicgrid.audit.models import AuditEntry
from civicgrid.errors import Forbidden, Invalid, InvalidTransition
from civicgrid.notify.models import OutboxMessage


def test_submit_records_number_deadline_timeline_audit_and_outbox(
    session: Session, world: World, now: datetime
) -> None:
    appeal = submit(session, world, now=now)
    assert appeal.number == "2026112400001"
    assert appeal.status == AppealStatus.RECEIVED
    assert appeal.dispatch_due_at is not None
    assert appeal.dispatch_due_at > now
    assert appeal.region_path.startswith(world.territory.region(MiniTerritory.STREET_A).path)
    assert actions_of(session, appeal.id) == ["submit"]
    audit = session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "appeal", AuditEntry.subject_id == str(appeal.id)
        )
    ).all()
    assert [a.action for a in audit] == ["appeal.submit"]
    outbox = session.scalars(select(OutboxMessage)).all()
    assert any(m.recipient_kind == "role" and appeal.number in m.subject for m in outbox)
    second = submit(session, world, now=now)
    assert second.number == "2026112400002"


def test_caller_is_encrypted_and_shown_by_role(
    session: Session, world: World, now: datetime
) -> None:
    appeal = submit(session, world, now=now, confidential=True)
    assert "13812345678" not in appeal.caller_phone_enc
    assert "张三" not in appeal.caller_name_enc
    op = caller_view(appeal, world.actor("operator"), world.cipher)
    assert (op.name, op.phone) == ("张*", "138****5678")
    handler = caller_view(appeal, world.actor("street_a"), world.cipher)
    assert handler.hidden
    assert handler.phone == ""
    assert "张" not in handler.name
    open_appeal = submit(session, world, now=now)
    assert caller_view(open_appeal, world.actor("street_a"), world.cipher).phone == "13812345678"


def test_resident_snapshot_needs_photo_and_location(
    session: Session, world: World, now: datetime
) -> None:
    with pytest.raises(Invalid, match="照片"):
        submit(
            session, world, now=now, by="resident", channel=Channel.SNAPSHOT, lon=116.4, lat=39.9
        )
    with pytest.raises(Invalid, match="定位"):
        submit(session, world, now=now, by="resident", channel=Channel.SNAPSHOT, photos=(PNG,))
    appeal = submit(
        session,
        world,
        now=now,
        by="resident",
        channel=Channel.SNAPSHOT,
        lon=116.45,
        lat=39.91,
        photos=(PNG, JPEG),
    )
    assert appeal.resident_user_id == world.actor("resident").user_id
    rows = session.scalars(select(Attachment).where(Attachment.appeal_id == appeal.id)).all()
    assert sorted(r.content_type for r in rows) == ["image/jpeg", "image/png"]
    assert world.media.store.load(rows[0].media_key) in (PNG, JPEG)


@pytest.mark.parametrize(
    ("photos", "message"),
    [((b"GIF89a" + b"\x00" * 10,), "JPEG"), ((PNG + b"\x00" * MAX_BYTES,), "超过单张上限")],
)
def test_bad_photo_stores_nothing(
    session: Session, world: World, now: datetime, photos: tuple[bytes, ...], message: str
) -> None:
    with pytest.raises(Invalid, match=message):
        submit(
            session,
            world,
            now=now,
            by="resident",
            channel=Channel.SNAPSHOT,
            lon=116.45,
            lat=39.91,
            photos=photos,
        )
    assert session.scalars(select(Appeal)).all() == []


@pytest.mark.parametrize(("lon", "lat"), [(39.9, 116.4), (116.4, None), (200.0, 39.9)])
def test_malformed_coordinates_are_refused(
    session: Session, world: World, now: datetime, lon: float, lat: float | None
) -> None:
    with pytest.raises(Invalid, match=r"经纬度|坐标"):
        submit(session, world, now=now, lon=lon, lat=lat)
    assert session.scalars(select(Appeal)).all() == []


def test_channel_roles(session: Session, world: World, now: datetime) -> None:
    with pytest.raises(Forbidden):
        submit(session, world, now=now, by="resident", channel=Channel.HOTLINE)
    with pytest.raises(Forbidden):
        submit(
            session,
            world,
            now=now,
            by="operator",
            channel=Channel.GRID_PATROL,
            lon=116.45,
            lat=39.91,
            photos=(PNG,),
        )
    with pytest.raises(Forbidden):  # grid worker outside their grid
        submit(
            session,
            world,
            now=now,
            by="grid_a1",
            channel=Channel.GRID_PATROL,
            region_code=MiniTerritory.GRID_A2,
            lon=116.45,
            lat=39.91,
            photos=(PNG,),
        )
    with pytest.raises(Forbidden):
        submit(session, world, now=now, by="street_a")
    patrol = make_appeal(session, world=world, now=now, grid=True)
    assert patrol.flow == "grid"


@pytest.mark.parametrize(
    "status",
    [
        AppealStatus.ANSWERED_DIRECTLY,
        AppealStatus.TRANSFERRED_EMERGENCY,
        AppealStatus.REDIRECTED_LEGAL_ROUTE,
        AppealStatus.EXPLAINED,
        AppealStatus.REFERRED_POLICE,
    ],
)
def test_dispositions_then_close(
    session: Session, world: World, now: datetime, status: AppealStatus
) -> None:
    appeal = make_appeal(
        session, world=world, now=now, status=status, appeal_type=AppealType.INQUIRY
    )
    assert appeal.disposition
    service.close_disposed(session, appeal_id=appeal.id, actor=world.actor("operator"), now=now)
    assert appeal.status == AppealStatus.CLOSED
    assert appeal.closed_at == now


def test_answer_from_knowledge_base(session: Session, world: World, now: datetime) -> None:
    from civicgrid.appeals import knowledge

    article = knowledge.create_article(
        session,
        title="居住证办理",
        body="携带身份证到社区服务站办理。",
        keywords="居住证, 办证",
        actor=world.actor("operator"),
        now=now,
    )
    found = queries.search_knowledge(session, "居住证")
    assert [a.id for a in found] == [article.id]
    assert queries.search_knowledge(session, "护照") == []
    appeal = submit(session, world, now=now, appeal_type=AppealType.INQUIRY)
    service.answer_directly(
        session,
        appeal_id=appeal.id,
        text=article.body,
        knowledge_article_id=article.id,
        actor=world.actor("operator"),
        now=now,
    )
    assert appeal.knowledge_article_id == article.id
    assert appeal.status == AppealStatus.ANSWERED_DIRECTLY


def test_disposition_refusals_change_nothing(session: Session, world: World, now: datetime) -> None:
    appeal = submit(session, world, now=now)
    before = state_of(session, appeal.id)
    with pytest.raises(Invalid):
        service.explain(
            session, appeal_id=appeal.id, text="  ", actor=world.actor("operator"), now=now
        )
    with pytest.raises(Invalid):
        service.transfer_emergency(
            session, appeal_id=appeal.id, line=None, actor=world.actor("operator"), now=now
        )
    with pytest.raises(Forbidden):
        service.accept(session, appeal_id=appeal.id, actor=world.actor("supervisor"), now=now)
    assert state_of(session, appeal.id) == before
    service.transfer_emergency(
        session,
        appeal_id=appeal.id,
        line=EmergencyLine.AMBULANCE,
        actor=world.actor("operator"),
        now=now,
    )
    with pytest.raises(InvalidTransition):
        service.accept(session, appeal_id=appeal.id, actor=world.actor("operator"), now=now)


def test_merge_and_refusals(session: Session, world: World, now: datetime) -> None:
    target = submit(session, world, now=now)
    dup = submit(session, world, now=now, caller_phone="13900000000")
    op = world.actor("operator")
    before = state_of(session, dup.id)
    with pytest.raises(Invalid):
        service.merge(session, appeal_id=dup.id, target_number=dup.number, actor=op, now=now)
    with pytest.raises(Invalid):
        service.merge(session, appeal_id=dup.id, target_number="2026112499999", actor=op, now=now)
    with pytest.raises(Invalid):
        service.merge(session, appeal_id=dup.id, target_number="abc", actor=op, now=now)
    assert state_of(session, dup.id) == before
    service.merge(session, appeal_id=dup.id, target_number=target.number, actor=op, now=now)
    assert dup.status == AppealStatus.MERGED
    assert dup.merged_into_id == target.id
    assert [a.id for a in queries.merged_into(session, target.id)] == [dup.id]
    assert actions_of(session, target.id) == ["submit", "merge_in"]


def test_numbers_restart_each_beijing_day(session: Session, world: World, now: datetime) -> None:
    assert submit(session, world, now=now).number == "2026112400001"
    assert submit(session, world, now=now).number == "2026112400002"
    # 16:30 UTC is already the next day in Beijing
    next_day = now.replace(hour=16, minute=30, tzinfo=UTC)
    assert submit(session, world, now=next_day).number == "2026112500001"
    assert submit(session, world, now=now).number == "2026112400003"
