"""The RabbitMQ sink against the real broker on 127.0.0.1:5672 (guest/guest): events go to a
topic exchange with the event type as routing key, persistent, confirmed, and with the event's
id as message id; a broker that cannot be reached keeps the message for a retry."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime

import pika
import pytest
from pika.adapters.blocking_connection import BlockingChannel
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.builders.events import closed_port_url

from civicgrid.appeals.states import AppealStatus
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.events import delivery
from civicgrid.notify.models import OutboxMessage

pytestmark = pytest.mark.rabbitmq
BROKER = "amqp://guest:guest@127.0.0.1:5672/%2F"


@pytest.fixture
def exchange() -> str:
    return f"civicgrid.test.{uuid.uuid4().hex[:12]}"


@pytest.fixture
def queue(exchange: str) -> Iterator[tuple[BlockingChannel, str]]:
    """A consumer's queue bound to every appeal event of the test's own exchange."""
    connection = pika.BlockingConnection(pika.URLParameters(BROKER))
    channel = connection.channel()
    channel.exchange_declare(
        exchange, exchange_type=pika.exchange_type.ExchangeType("topic"), durable=True
    )
    declared = channel.queue_declare("", exclusive=True)
    name = str(declared.method.queue)
    channel.queue_bind(name, exchange, routing_key="appeal.#")
    yield channel, name
    channel.exchange_delete(exchange)
    connection.close()


def _amqp_rows(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "amqp").order_by(OutboxMessage.id)
        )
    )


def test_events_are_published_persistent_with_routing_key_and_message_id(
    session: Session,
    world: World,
    settings: Settings,
    clock: FrozenClock,
    now: datetime,
    exchange: str,
    queue: tuple[BlockingChannel, str],
) -> None:
    settings.amqp_url = BROKER
    settings.amqp_exchange = exchange
    appeal = make_appeal(session, world=world, now=now, status=AppealStatus.DISPATCHED)
    fanned = delivery.fan_out(session, settings=settings, now=now)
    assert fanned.broker == 2
    delivery.deliver(session, settings=settings, cipher=world.cipher, clock=clock.now, now=now)
    rows = _amqp_rows(session)
    assert [r.status for r in rows] == ["sent", "sent"]

    channel, name = queue
    got = []
    while True:
        method, properties, body = channel.basic_get(name, auto_ack=True)
        if method is None:
            break
        assert properties is not None
        assert body is not None
        got.append((method.routing_key, properties, json.loads(body)))
    assert [g[0] for g in got] == ["appeal.created", "appeal.dispatched"]
    assert [g[1].message_id for g in got] == [f"msg_{r.source_id}" for r in rows]
    assert all(g[1].delivery_mode == 2 for g in got)
    assert got[1][2]["data"]["number"] == appeal.number


def test_an_unreachable_broker_keeps_the_message(
    session: Session, world: World, settings: Settings, clock: FrozenClock, now: datetime
) -> None:
    settings.amqp_url = (
        closed_port_url().replace("http://", "amqp://guest:guest@").split("/hooks")[0]
    )
    make_appeal(session, world=world, now=now)
    delivery.fan_out(session, settings=settings, now=now)
    delivery.deliver(session, settings=settings, cipher=world.cipher, clock=clock.now, now=now)
    (row,) = _amqp_rows(session)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "消息队列投递失败" in row.last_error
