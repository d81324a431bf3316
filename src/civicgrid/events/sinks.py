"""Senders of the event channels: Standard Webhooks over HTTP and AMQP 0-9-1 (RabbitMQ).

Each sender raises on failure, so the notify delivery job retries with backoff and finally
dead-letters the message; on success it returns what the other side said for the delivery log.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from types import TracebackType

import httpx
import pika
from pika import exceptions as amqp_errors
from pika.adapters.blocking_connection import BlockingChannel
from pika.exchange_type import ExchangeType
from sqlalchemy.orm import Session

from civicgrid.events.models import WebhookSubscription
from civicgrid.events.service import live_secrets
from civicgrid.events.signing import signature_header
from civicgrid.kit.crypto import FieldCipher
from civicgrid.notify.models import OutboxMessage

USER_AGENT = "civicgrid-webhooks/1"


class DeliveryFailed(RuntimeError):
    """The receiver answered, but not with a 2xx."""


def message_id(message: OutboxMessage) -> str:
    """The id every sink gives an event: its event row's id (the same on retries, replays and
    across subscriptions, so a receiver can drop duplicates)."""
    return f"msg_{message.source_id or message.id}"


class WebhookSender:
    """Posts a delivery's body to its subscription's URL with the three Standard Webhooks
    headers, signed with every live secret of the subscription at the time of sending."""

    def __init__(
        self,
        session: Session,
        *,
        cipher: FieldCipher,
        clock: Callable[[], datetime],
        client: httpx.Client,
    ) -> None:
        self._session = session
        self._cipher = cipher
        self._clock = clock
        self._client = client

    def send(self, message: OutboxMessage) -> str | None:
        subscription = self._session.get(WebhookSubscription, int(message.recipient_id))
        if subscription is None or not subscription.is_active:
            raise DeliveryFailed("订阅已停用或已删除 (subscription paused or deleted)")
        now = self._clock()
        timestamp = int(now.timestamp())
        body = message.body.encode("utf-8")
        msg_id = message_id(message)
        headers = {
            "content-type": "application/json; charset=utf-8",
            "user-agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(
                live_secrets(subscription, self._cipher, now), msg_id, timestamp, body
            ),
        }
        try:
            response = self._client.post(subscription.url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryFailed(f"接收方超时未答复 (timeout: {type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"无法连接接收方 (cannot connect: {exc})") from exc
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}")
        return f"HTTP {response.status_code}"


class AmqpSender:
    """Publishes events to a RabbitMQ topic exchange: routing key = event type, persistent
    messages, publisher confirms (an unconfirmed publish raises), message id = the event's id.
    One connection per delivery run, opened at the first message; use as a context manager."""

    def __init__(self, url: str, exchange: str, *, timeout: float = 5.0) -> None:
        self._params = pika.URLParameters(url)
        self._params.socket_timeout = timeout
        self._params.blocked_connection_timeout = timeout
        self._exchange = exchange
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None

    def _open(self) -> BlockingChannel:
        if self._channel is None or not self._channel.is_open:
            self.close()
            self._connection = pika.BlockingConnection(self._params)
            channel = self._connection.channel()
            channel.exchange_declare(
                self._exchange, exchange_type=ExchangeType("topic"), durable=True
            )
            channel.confirm_delivery()
            self._channel = channel
        return self._channel

    def send(self, message: OutboxMessage) -> str | None:
        try:
            channel = self._open()
            channel.basic_publish(
                exchange=self._exchange,
                routing_key=message.subject,
                body=message.body.encode("utf-8"),
                properties=pika.BasicProperties(
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,  # persistent,
                    message_id=message_id(message),
                    type=message.subject,
                ),
                mandatory=False,
            )
        except amqp_errors.AMQPError as exc:
            self.close()
            raise DeliveryFailed(f"消息队列投递失败 (broker: {type(exc).__name__} {exc})") from exc
        return "confirmed"

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with suppress(amqp_errors.AMQPError):  # the connection is gone either way
                connection.close()

    def __enter__(self) -> AmqpSender:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
