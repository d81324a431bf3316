"""The two periodic steps of outbound events, as the worker runs them: fan the event rows out
to the sinks (and to notices), then deliver the outbox with every configured sender (inbox,
webhooks, broker, SMS gateway, SMTP).
Each step calls one use case."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session

from civicgrid.config import Settings
from civicgrid.events import service
from civicgrid.events.notices import NoticePolicy
from civicgrid.events.sinks import AmqpSender, WebhookSender
from civicgrid.kit.crypto import FieldCipher
from civicgrid.notify import service as notify
from civicgrid.notify.addresses import EMAIL, SMS
from civicgrid.notify.gateway import GatewayConfig, HttpSmsSender
from civicgrid.notify.mail import SmtpConfig, SmtpSender
from civicgrid.notify.retry import RetryPolicy


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.outbox_max_attempts,
        base=timedelta(seconds=settings.outbox_backoff_seconds),
        cap=timedelta(
            seconds=max(settings.outbox_backoff_cap_seconds, settings.outbox_backoff_seconds)
        ),
    )


def notice_channels(settings: Settings) -> list[str]:
    """The notice channels that can send: SMS with a gateway URL, e-mail with an SMTP host."""
    return [c for c, on in ((SMS, settings.sms_gateway_url), (EMAIL, settings.smtp_host)) if on]


def fan_out(session: Session, *, settings: Settings, now: datetime) -> service.FanOut:
    """Job step 1: event rows → one delivery per subscription (and the broker when on), and
    the notices to people on the configured channels."""
    policy = NoticePolicy(channels=notice_channels(settings), daily_cap=settings.notice_daily_cap)
    return service.fan_out(session, broker=bool(settings.amqp_url), notice_policy=policy, now=now)


def gateway_config(settings: Settings) -> GatewayConfig:
    return GatewayConfig(
        url=settings.sms_gateway_url,
        body=settings.sms_gateway_body,
        token=settings.sms_gateway_token,
        secret=settings.sms_gateway_secret,
        signature_header=settings.sms_gateway_signature_header,
        timestamp_header=settings.sms_gateway_timestamp_header,
        sign_name=settings.sms_sign_name,
        templates=settings.sms_templates,
        param_names=settings.sms_param_names,
        success_field=settings.sms_success_field,
        success_value=settings.sms_success_value,
    )


def smtp_config(settings: Settings) -> SmtpConfig:
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        user=settings.smtp_user,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        sender=settings.smtp_sender,
        timeout=settings.webhook_timeout_seconds,
    )


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
        if settings.sms_gateway_url:
            senders[SMS] = HttpSmsSender(
                gateway_config(settings), cipher=cipher, client=client, clock=clock
            )
        if settings.smtp_host:
            senders[EMAIL] = SmtpSender(smtp_config(settings), cipher=cipher)
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
