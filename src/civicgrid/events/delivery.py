"""The two periodic steps of outbound events, as the worker runs them: fan the event rows out
to the sinks, then deliver the outbox with every configured sender (inbox, webhooks, broker).
Each step calls one use case."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session

from civicgrid.config import Settings
from civicgrid.events import service
from civicgrid.events.sinks import AmqpSender, WebhookSender
from civicgrid.kit.crypto import FieldCipher
from civicgrid.notify import service as notify
from civicgrid.notify.retry import RetryPolicy


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.outbox_max_attempts,
        base=timedelta(seconds=settings.outbox_backoff_seconds),
        cap=timedelta(
            seconds=max(settings.outbox_backoff_cap_seconds, settings.outbox_backoff_seconds)
        ),
    )


def fan_out(session: Session, *, settings: Settings, now: datetime) -> service.FanOut:
    """Job step 1: event rows → one delivery per subscription (and the broker when on)."""
    return service.fan_out(session, broker=bool(settings.amqp_url), now=now)


def deliver(
    session: Session,
    *,
    settings: Settings,
    cipher: FieldCipher,
    clock: Callable[[], datetime],
    now: datetime,
    draw: Callable[[], float] | None = None,
) -> int:
    """Job step 2: send every due outbox message on the configured channels."""
    with ExitStack() as stack:
        client = stack.enter_context(
            httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
        )
        senders: dict[str, notify.Sender] = {
            "inbox": notify.InboxSender(),
            service.WEBHOOK: WebhookSender(session, cipher=cipher, clock=clock, client=client),
        }
        if settings.amqp_url:
            senders[service.AMQP] = stack.enter_context(
                AmqpSender(
                    settings.amqp_url,
                    settings.amqp_exchange,
                    timeout=settings.webhook_timeout_seconds,
                )
            )
        return notify.deliver_pending(
            session,
            senders=senders,
            now=now,
            policy=retry_policy(settings),
            draw=draw or notify.jitter,
        )
