"""Webhooks end to end: appeal use cases emit events, the fan-out copies them per
subscription, the delivery job posts them to a real HTTP receiver on 127.0.0.1 that checks the
Standard Webhooks signature; a receiver that is down, slow or failing loses nothing: the
message is retried with backoff, dead-lettered after the last attempt and can be replayed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.builders.events import Receiver, closed_port_url

from civicgrid.appeals.states import AppealStatus
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.errors import Invalid
from civicgrid.events import delivery, service
from civicgrid.notify import service as notify_service
from civicgrid.notify.models import DeliveryAttempt, OutboxMessage

S = AppealStatus


def _subscribe(
    session: Session, world: World, now: datetime, url: str, *types: str
) -> service.Issued:
    return service.subscribe(
        session,
        url=url,
        event_types=list(types) or ["appeal.created", "appeal.dispatched"],
        description="区数据中台",
        cipher=world.cipher,
        actor=world.actor("admin"),
        now=now,
    )


def _deliver(session: Session, world: World, settings: Settings, clock: FrozenClock) -> int:
    """Run the delivery job step (inbox messages go too); the webhook deliveries sent so far."""
    delivery.deliver(
        session,
        settings=settings,
        cipher=world.cipher,
        clock=clock.now,
        now=clock.now(),
        draw=lambda: 0.0,
    )
    return sum(r.status == "sent" for r in _webhooks(session))


def _webhooks(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.channel == "webhook")
            .order_by(OutboxMessage.id)
        )
    )


def test_events_reach_the_receiver_signed_once_per_subscribed_change(
    session: Session, world: World, settings: Settings, clock: FrozenClock, receiver: Receiver
) -> None:
    issued = _subscribe(session, world, clock.now(), receiver.url)
    receiver.secrets = [issued.secret]
    appeal = make_appeal(session, world=world, now=clock.now(), status=S.SIGNED)

    fanned = delivery.fan_out(session, settings=settings, now=clock.now())
    # submit → created, dispatch → dispatched; signing is no event
    assert (fanned.events, fanned.webhooks, fanned.broker) == (2, 2, 0)
    assert _deliver(session, world, settings, clock) == 2

    assert len(receiver.verified) == 2
    bodies = [json.loads(r.body) for r in receiver.received]
    assert [b["type"] for b in bodies] == ["appeal.created", "appeal.dispatched"]
    assert bodies[1]["data"] == {
        "appeal_id": appeal.id,
        "number": appeal.number,
        "action": "dispatch",
        "status": "dispatched",
        "previous_status": "received",
    }
    # nothing of the caller leaves the system
    assert "张三" not in receiver.received[0].body.decode()
    assert "13812345678" not in receiver.received[0].body.decode()
    rows = _webhooks(session)
    assert [r.status for r in rows] == ["sent", "sent"]
    assert [r.webhook_id for r in receiver.received] == [f"msg_{r.source_id}" for r in rows]
    assert receiver.received[0].timestamp == int(clock.now().timestamp())
    # a second run has nothing left to fan out or send
    assert delivery.fan_out(session, settings=settings, now=clock.now()).events == 0
    assert _deliver(session, world, settings, clock) == 2
    assert len(receiver.received) == 2


def test_only_the_subscribed_types_of_active_subscriptions_are_copied(
    session: Session, world: World, settings: Settings, now: datetime
) -> None:
    closed = _subscribe(session, world, now, "https://a.example.cn/hook", "appeal.closed")
    paused = _subscribe(session, world, now, "https://b.example.cn/hook", "appeal.created")
    service.update_subscription(
        session,
        subscription_id=paused.subscription.id,
        is_active=False,
        actor=world.actor("admin"),
        now=now,
    )
    make_appeal(session, world=world, now=now, status=S.CLOSED)
    fanned = delivery.fan_out(session, settings=settings, now=now)
    rows = _webhooks(session)
    assert fanned.webhooks == 1
    assert [(r.recipient_id, r.subject) for r in rows] == [
        (str(closed.subscription.id), "appeal.closed")
    ]


def test_a_failing_receiver_is_retried_with_backoff_then_dead_lettered_then_replayed(
    session: Session, world: World, settings: Settings, clock: FrozenClock, receiver: Receiver
) -> None:
    settings.outbox_max_attempts = 3
    issued = _subscribe(session, world, clock.now(), receiver.url, "appeal.created")
    receiver.secrets = [issued.secret]
    receiver.status = 500
    make_appeal(session, world=world, now=clock.now())
    delivery.fan_out(session, settings=settings, now=clock.now())

    assert _deliver(session, world, settings, clock) == 0
    (row,) = _webhooks(session)
    assert (row.status, row.attempts) == ("pending", 1)
    # base 30 s, no jitter drawn: half the first ceiling
    assert row.next_attempt_at == clock.now() + timedelta(seconds=15)
    assert "HTTP 500" in row.last_error
    # not yet due: nothing is sent
    assert _deliver(session, world, settings, clock) == 0
    assert len(receiver.received) == 1

    for wait in (timedelta(seconds=15), timedelta(seconds=30)):
        clock.advance(wait)
        assert _deliver(session, world, settings, clock) == 0
    (row,) = _webhooks(session)
    assert (row.status, row.attempts, row.next_attempt_at) == ("dead", 3, None)
    assert len({r.webhook_id for r in receiver.received}) == 1  # the same id on every try
    log = session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.message_id == row.id))
    assert [(a.ok, a.detail[:8]) for a in log] == [(False, "HTTP 500")] * 3
    clock.advance(timedelta(days=1))
    assert _deliver(session, world, settings, clock) == 0  # dead letters wait for a person

    receiver.status = 200
    assert (
        service.replay_dead(
            session,
            subscription_id=issued.subscription.id,
            actor=world.actor("admin"),
            now=clock.now(),
        )
        == 1
    )
    assert _deliver(session, world, settings, clock) == 1
    (row,) = _webhooks(session)
    assert row.status == "sent"
    assert receiver.received[-1].webhook_id == receiver.received[0].webhook_id
    assert receiver.received[-1].verified_with == [issued.secret]


def test_a_receiver_that_is_down_keeps_the_message(
    session: Session, world: World, settings: Settings, clock: FrozenClock
) -> None:
    _subscribe(session, world, clock.now(), closed_port_url(), "appeal.created")
    make_appeal(session, world=world, now=clock.now())
    delivery.fan_out(session, settings=settings, now=clock.now())
    assert _deliver(session, world, settings, clock) == 0
    (row,) = _webhooks(session)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "无法连接接收方" in row.last_error


def test_a_slow_receiver_times_out_and_the_message_waits_for_its_retry(
    session: Session, world: World, settings: Settings, clock: FrozenClock, receiver: Receiver
) -> None:
    settings.webhook_timeout_seconds = 0.2
    issued = _subscribe(session, world, clock.now(), receiver.url, "appeal.created")
    receiver.secrets = [issued.secret]
    receiver.hold = True
    make_appeal(session, world=world, now=clock.now())
    delivery.fan_out(session, settings=settings, now=clock.now())
    assert _deliver(session, world, settings, clock) == 0
    (row,) = _webhooks(session)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "超时" in row.last_error
    assert row.next_attempt_at is not None


def test_during_a_rotation_both_secrets_sign_until_the_grace_ends(
    session: Session, world: World, settings: Settings, clock: FrozenClock, receiver: Receiver
) -> None:
    first = _subscribe(session, world, clock.now(), receiver.url, "appeal.created")
    second = service.rotate_secret(
        session,
        subscription_id=first.subscription.id,
        grace=timedelta(hours=1),
        cipher=world.cipher,
        actor=world.actor("admin"),
        now=clock.now(),
    )
    assert second.secret != first.secret
    receiver.secrets = [first.secret, second.secret]
    make_appeal(session, world=world, now=clock.now())
    delivery.fan_out(session, settings=settings, now=clock.now())
    _deliver(session, world, settings, clock)
    during = receiver.received[-1]
    assert len(during.signature.split(" ")) == 2
    assert during.verified_with == [first.secret, second.secret]

    clock.advance(timedelta(hours=2))
    make_appeal(session, world=world, now=clock.now())
    delivery.fan_out(session, settings=settings, now=clock.now())
    _deliver(session, world, settings, clock)
    after = receiver.received[-1]
    assert after.verified_with == [second.secret]


@pytest.mark.parametrize(
    ("url", "types", "field"),
    [
        ("ftp://example.cn/hook", ["appeal.created"], "url"),
        ("https:///nohost", ["appeal.created"], "url"),
        ("https://user:pw@example.cn/hook", ["appeal.created"], "url"),
        ("https://example.cn/hook", ["appeal.created", "appeal.exploded"], "event_types"),
        ("https://example.cn/hook", [" "], "event_types"),
    ],
)
def test_bad_subscriptions_are_refused_and_nothing_is_stored(
    session: Session, world: World, now: datetime, url: str, types: list[str], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        service.subscribe(
            session,
            url=url,
            event_types=types,
            description="",
            cipher=world.cipher,
            actor=world.actor("admin"),
            now=now,
        )
    assert refused.value.detail == {"field": field}
    assert service.list_subscriptions(session) == []


def test_a_pending_delivery_cannot_be_replayed(
    session: Session, world: World, settings: Settings, now: datetime
) -> None:
    _subscribe(session, world, now, "https://a.example.cn/hook", "appeal.created")
    make_appeal(session, world=world, now=now)
    delivery.fan_out(session, settings=settings, now=now)
    (row,) = _webhooks(session)
    with pytest.raises(Invalid, match="只有已送达或已放弃"):
        service.replay(session, delivery_id=row.id, actor=world.actor("admin"), now=now)


def test_deleting_a_subscription_skips_its_waiting_deliveries(
    session: Session, world: World, settings: Settings, now: datetime
) -> None:
    issued = _subscribe(session, world, now, "https://a.example.cn/hook", "appeal.created")
    make_appeal(session, world=world, now=now)
    delivery.fan_out(session, settings=settings, now=now)
    skipped = service.delete_subscription(
        session, subscription_id=issued.subscription.id, actor=world.actor("admin"), now=now
    )
    assert skipped == 1
    assert [r.status for r in _webhooks(session)] == ["skipped"]


def test_without_any_sink_events_are_closed_in_one_statement(
    session: Session, world: World, settings: Settings, now: datetime
) -> None:
    for _ in range(3):
        make_appeal(session, world=world, now=now)
    fanned = delivery.fan_out(session, settings=settings, now=now)
    assert (fanned.events, fanned.webhooks) == (3, 0)
    session.expire_all()
    pending = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.channel == "event", OutboxMessage.status == "pending"
        )
    ).all()
    assert pending == []
    # a subscription made afterwards starts with the events that come after it
    _subscribe(session, world, now, "https://a.example.cn/hook", "appeal.created")
    make_appeal(session, world=world, now=now)
    assert delivery.fan_out(session, settings=settings, now=now).webhooks == 1


def test_the_purge_keeps_what_is_waiting_or_dead_and_drops_old_deliveries(
    session: Session, world: World, settings: Settings, clock: FrozenClock, receiver: Receiver
) -> None:
    settings.outbox_max_attempts = 1
    good = _subscribe(session, world, clock.now(), receiver.url, "appeal.created")
    receiver.secrets = [good.secret]
    down = _subscribe(session, world, clock.now(), closed_port_url(), "appeal.created")
    make_appeal(session, world=world, now=clock.now())
    delivery.fan_out(session, settings=settings, now=clock.now())
    _deliver(session, world, settings, clock)
    assert sorted(r.status for r in _webhooks(session)) == ["dead", "sent"]
    clock.advance(timedelta(days=100))
    make_appeal(session, world=world, now=clock.now())  # a fresh event, kept
    deleted = notify_service.purge_delivered(session, before=clock.now() - timedelta(days=90))
    assert deleted == 1  # the old delivered copy; its event stays for the dead letter
    rows = _webhooks(session)
    assert [r.status for r in rows] == ["dead"]
    events = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "event")).all()
    assert len(events) == 2
    assert session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.message_id == rows[0].id)
    ).all()
    # once the receiver is fixed and the dead letter replayed, everything old can go
    service.update_subscription(
        session,
        subscription_id=down.subscription.id,
        url=receiver.url,
        actor=world.actor("admin"),
        now=clock.now(),
    )
    receiver.secrets.append(down.secret)
    service.replay(session, delivery_id=rows[0].id, actor=world.actor("admin"), now=clock.now())
    _deliver(session, world, settings, clock)
    assert [r.status for r in _webhooks(session)] == ["sent"]
    clock.advance(timedelta(days=100))
    deleted = notify_service.purge_delivered(session, before=clock.now() - timedelta(days=90))
    assert _webhooks(session) == []
    assert deleted == 2  # the copy sent at day 100 (created at day 0) and its event
