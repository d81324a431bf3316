"""Notices to people end to end: the caller's tracking number and the reply notice through a
real local HTTP SMS gateway (configured, not coded, per vendor), staff deadline warnings by
e-mail through a real local SMTP server; opt-outs, confidential callers and the daily cap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal, submit
from tests.builders.events import Gateway, running_gateway, running_mailbox

from civicgrid.appeals.jobs import sweep_deadlines
from civicgrid.appeals.states import AppealStatus
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.errors import Invalid
from civicgrid.events import delivery
from civicgrid.notify import notices
from civicgrid.notify.models import OutboxMessage

PHONE = "13812345678"
S = AppealStatus


@pytest.fixture
def gateway(settings: Settings) -> Iterator[Gateway]:
    with running_gateway(Gateway(secret="gw-secret")) as gw:
        settings.sms_gateway_url = gw.url
        settings.sms_gateway_secret = "gw-secret"
        settings.sms_sign_name = "某区12345"
        settings.sms_templates = {"tracking_number": "SMS_1001", "reply_ready": "SMS_1002"}
        settings.sms_param_names = {"number": "code"}
        settings.sms_success_field = "code"
        settings.sms_success_value = "OK"
        yield gw


def _notices(session: Session, channel: str = "sms") -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == channel).order_by(OutboxMessage.id)
        )
    )


def _run(session: Session, world: World, settings: Settings, clock: FrozenClock) -> None:
    delivery.fan_out(session, settings=settings, now=clock.now())
    delivery.deliver(
        session,
        settings=settings,
        cipher=world.cipher,
        clock=clock.now,
        now=clock.now(),
        draw=lambda: 0.0,
    )


def test_the_caller_gets_the_tracking_number_and_the_reply_notice_by_sms(
    session: Session, world: World, settings: Settings, clock: FrozenClock, gateway: Gateway
) -> None:
    appeal = make_appeal(session, world=world, now=clock.now(), status=S.REPLIED)
    _run(session, world, settings, clock)
    assert [m.status for m in _notices(session)] == ["sent", "sent"]
    assert [signed for _body, signed in gateway.received] == [True, True]
    bodies = [body for body, _signed in gateway.received]
    assert bodies[0] == {
        "phone": PHONE,
        "sign_name": "某区12345",
        "template_id": "SMS_1001",
        "params": {"code": appeal.number},
    }
    assert bodies[1]["template_id"] == "SMS_1002"
    # the outbox keeps the phone only encrypted, keyed by its hash
    for row in _notices(session):
        assert PHONE not in (row.recipient_id + row.body + (row.address_enc or ""))
        assert "张三" not in row.body


def test_an_admins_template_words_the_text(
    session: Session, world: World, settings: Settings, clock: FrozenClock, gateway: Gateway
) -> None:
    settings.sms_gateway_body = '{"to": "{phone}", "content": "【{sign_name}】{text}"}'
    notices.save_template(
        session,
        kind="tracking_number",
        subject="受理回执",
        body="已受理，编号{number}。",
        actor=world.actor("admin"),
        now=clock.now(),
    )
    appeal = make_appeal(session, world=world, now=clock.now())
    _run(session, world, settings, clock)
    assert gateway.received[0][0] == {
        "to": PHONE,
        "content": f"【某区12345】已受理，编号{appeal.number}。",
    }


def test_confidential_callers_and_opted_out_phones_get_no_text(
    session: Session, world: World, settings: Settings, clock: FrozenClock, gateway: Gateway
) -> None:
    submit(session, world, now=clock.now(), confidential=True)
    _run(session, world, settings, clock)
    assert _notices(session) == []

    assert notices.opt_out(
        session,
        channel="sms",
        address="138-1234-5678",
        cipher=world.cipher,
        actor=world.actor("operator"),
        now=clock.now(),
    )
    submit(session, world, now=clock.now())
    _run(session, world, settings, clock)
    (row,) = _notices(session)
    assert (row.status, row.last_error) == ("skipped", "已退订 (opted out)")
    assert gateway.received == []


def test_a_loop_cannot_flood_a_phone_past_the_daily_cap(
    session: Session, world: World, settings: Settings, clock: FrozenClock, gateway: Gateway
) -> None:
    settings.notice_daily_cap = 2
    for _ in range(3):
        submit(session, world, now=clock.now())
    _run(session, world, settings, clock)
    assert [m.status for m in _notices(session)] == ["sent", "sent", "capped"]
    assert len(gateway.received) == 2
    clock.advance(timedelta(days=1))  # a new Beijing day
    submit(session, world, now=clock.now())
    _run(session, world, settings, clock)
    assert _notices(session)[-1].status == "sent"


def test_a_gateway_that_refuses_keeps_the_notice_for_a_retry(
    session: Session, world: World, settings: Settings, clock: FrozenClock, gateway: Gateway
) -> None:
    gateway.code = "isv.BUSINESS_LIMIT_CONTROL"
    submit(session, world, now=clock.now())
    _run(session, world, settings, clock)
    (row,) = _notices(session)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "短信网关拒绝" in row.last_error
    gateway.code = "OK"
    clock.advance(timedelta(minutes=1))
    _run(session, world, settings, clock)
    assert _notices(session)[0].status == "sent"


def test_staff_get_deadline_warnings_by_email_as_they_chose(
    session: Session, world: World, settings: Settings, clock: FrozenClock, now: datetime
) -> None:
    notices.save_preference(
        session,
        channel="email",
        address="Handler@Street-A.example.cn",
        deadline_warnings=True,
        cipher=world.cipher,
        actor=world.actor("street_a"),
        now=now,
    )
    notices.save_preference(
        session,
        channel="email",
        address="b@street-b.example.cn",
        deadline_warnings=True,
        cipher=world.cipher,
        actor=world.actor("street_b"),
        now=now,
    )
    appeal = make_appeal(session, world=world, now=now, status=S.IN_PROGRESS)
    with running_mailbox() as (mailbox, port):
        settings.smtp_host, settings.smtp_port = "127.0.0.1", port
        clock.advance(timedelta(days=60))
        sweep_deadlines(session, now=clock.now())
        _run(session, world, settings, clock)
        rows = _notices(session, "email")
        assert [m.status for m in rows] == ["sent"]
        (mail,) = mailbox.messages
    assert mail["To"] == "handler@street-a.example.cn"  # only street A holds the order
    assert appeal.number in str(mail["Subject"])
    assert "已超期" in mail.get_content()


def test_bad_preferences_and_templates_are_refused(
    session: Session, world: World, now: datetime
) -> None:
    with pytest.raises(Invalid, match="手机号码格式不对"):
        notices.save_preference(
            session,
            channel="sms",
            address="12345",
            deadline_warnings=True,
            cipher=world.cipher,
            actor=world.actor("street_a"),
            now=now,
        )
    with pytest.raises(Invalid, match="没有承办单位的岗位"):
        notices.save_preference(
            session,
            channel="sms",
            address=PHONE,
            deadline_warnings=True,
            cipher=world.cipher,
            actor=world.actor("resident"),
            now=now,
        )
    with pytest.raises(Invalid, match=r"未知的占位符：\{name\}"):
        notices.save_template(
            session,
            kind="reply_ready",
            subject="答复",
            body="{name}您好，工单{number}已答复",
            actor=world.actor("admin"),
            now=now,
        )
    assert notices.find_preference(session, world.actor("street_a").user_id or 0) is None
    assert all(not customised for _k, _t, customised in notices.list_templates(session))
