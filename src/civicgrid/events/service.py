"""Use cases of outbound events: webhook subscriptions (subscribe, change, rotate the secret,
delete), the fan-out of event rows to the sinks, and the replay of deliveries.

Every use case is one transaction (``@use_case``); admins' changes are audited. The signing
secrets are stored encrypted with the field key and shown once, when made.
"""

from __future__ import annotations

import secrets as random_bytes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Invalid, NotFound
from civicgrid.events.catalogue import parse_event_types
from civicgrid.events.models import WebhookSecret, WebhookSubscription
from civicgrid.events.notices import NoticePolicy, notices_for
from civicgrid.events.signing import secret_from_bytes
from civicgrid.kit.crypto import FieldCipher
from civicgrid.notify import service as notify
from civicgrid.notify.models import DeliveryAttempt, OutboxMessage
from civicgrid.notify.service import Recipient

SUBJECT = "webhook_subscription"
WEBHOOK = "webhook"
AMQP = "amqp"
SECRET_BYTES = 32
MAX_URL = 255
MAX_GRACE = timedelta(days=7)


def check_url(url: str) -> str:
    """The subscription URL as stored, or Invalid saying what is wrong with it."""
    text = url.strip()
    if not text:
        raise Invalid("请填写接收地址 (url is required)", detail={"field": "url"})
    if len(text) > MAX_URL:
        raise Invalid(
            f"接收地址不能超过 {MAX_URL} 个字符 (url longer than {MAX_URL} characters)",
            detail={"field": "url"},
        )
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(
            f"接收地址须为 http:// 或 https:// 开头的完整网址：{text}"
            " (url must be http(s) with a host)",
            detail={"field": "url"},
        )
    if parts.username or parts.password or parts.fragment:
        raise Invalid(
            "接收地址不能包含用户名、密码或 # 片段 (no credentials or fragment in the url)",
            detail={"field": "url"},
        )
    return text


def check_event_types(values: Iterable[str]) -> list[str]:
    try:
        return [t.value for t in parse_event_types(values)]
    except ValueError as exc:
        raise Invalid(str(exc), detail={"field": "event_types"}) from exc


@dataclass(frozen=True, slots=True)
class Issued:
    """A subscription with the secret just made for it (shown once)."""

    subscription: WebhookSubscription
    secret: str


def _new_secret(cipher: FieldCipher, now: datetime) -> tuple[str, WebhookSecret]:
    secret = secret_from_bytes(random_bytes.token_bytes(SECRET_BYTES))
    return secret, WebhookSecret(secret_enc=cipher.encrypt(secret), created_at=now)


def get_subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    found = session.get(WebhookSubscription, subscription_id)
    if found is None:
        raise NotFound(f"没有编号为 {subscription_id} 的订阅 (no such subscription)")
    return found


def list_subscriptions(session: Session) -> Sequence[WebhookSubscription]:
    return session.scalars(
        select(WebhookSubscription)
        .options(selectinload(WebhookSubscription.secrets))
        .order_by(WebhookSubscription.id)
    ).all()


def live_count(subscription: WebhookSubscription, now: datetime) -> int:
    """How many secrets sign a message sent at ``now`` (two or more during a rotation)."""
    return sum(1 for s in subscription.secrets if s.expires_at is None or s.expires_at > now)


def live_secrets(
    subscription: WebhookSubscription, cipher: FieldCipher, now: datetime
) -> list[str]:
    """The secrets messages are signed with at ``now``: the newest first, then those still in
    their rotation grace."""
    live = [s for s in subscription.secrets if s.expires_at is None or s.expires_at > now]
    live.sort(key=lambda s: s.id, reverse=True)
    return [cipher.decrypt(s.secret_enc) for s in live]


@use_case
def subscribe(
    session: Session,
    *,
    url: str,
    event_types: Sequence[str],
    description: str,
    cipher: FieldCipher,
    actor: Actor,
    now: datetime,
) -> Issued:
    """Subscribe ``url`` to ``event_types``; Invalid (nothing stored) for a bad URL or an
    unknown event type. Returns the subscription and its new secret."""
    clean_url = check_url(url)
    types = check_event_types(event_types)
    secret, stored = _new_secret(cipher, now)
    subscription = WebhookSubscription(
        url=clean_url,
        event_types=types,
        description=description.strip()[:200],
        is_active=True,
        created_at=now,
        created_by_label=actor.label,
        updated_at=now,
        secrets=[stored],
    )
    session.add(subscription)
    session.flush()
    record(
        session,
        actor=actor,
        action="webhook.subscribe",
        subject_type=SUBJECT,
        subject_id=subscription.id,
        now=now,
        detail={"url": clean_url, "event_types": types},
    )
    return Issued(subscription, secret)


@use_case
def update_subscription(
    session: Session,
    *,
    subscription_id: int,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
    actor: Actor,
    now: datetime,
) -> WebhookSubscription:
    """Change what a subscription receives or pause it; every value is checked before any is
    stored."""
    subscription = get_subscription(session, subscription_id)
    clean_url = check_url(url) if url is not None else None
    types = check_event_types(event_types) if event_types is not None else None
    if clean_url is not None:
        subscription.url = clean_url
    if types is not None:
        subscription.event_types = types
    if description is not None:
        subscription.description = description.strip()[:200]
    if is_active is not None:
        subscription.is_active = is_active
    subscription.updated_at = now
    record(
        session,
        actor=actor,
        action="webhook.update",
        subject_type=SUBJECT,
        subject_id=subscription.id,
        now=now,
        detail={
            "url": subscription.url,
            "event_types": subscription.event_types,
            "is_active": subscription.is_active,
        },
    )
    return subscription


@use_case
def rotate_secret(
    session: Session,
    *,
    subscription_id: int,
    grace: timedelta,
    cipher: FieldCipher,
    actor: Actor,
    now: datetime,
) -> Issued:
    """Make a new secret; the current ones keep signing for ``grace`` (0 ends them at once,
    at most seven days), so messages carry both signatures while the receiver switches."""
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise Invalid(
            "旧密钥的过渡期须在 0 到 168 小时之间 (grace must be 0–168 hours)",
            detail={"field": "grace_hours"},
        )
    subscription = get_subscription(session, subscription_id)
    for old in subscription.secrets:
        if old.expires_at is None or old.expires_at > now + grace:
            old.expires_at = now + grace
    secret, stored = _new_secret(cipher, now)
    subscription.secrets.append(stored)
    subscription.updated_at = now
    record(
        session,
        actor=actor,
        action="webhook.rotate_secret",
        subject_type=SUBJECT,
        subject_id=subscription.id,
        now=now,
        detail={"grace_seconds": int(grace.total_seconds())},
    )
    return Issued(subscription, secret)


@use_case
def delete_subscription(
    session: Session, *, subscription_id: int, actor: Actor, now: datetime
) -> int:
    """Delete a subscription; its deliveries still waiting are marked skipped (the log of the
    others stays). Returns the number skipped."""
    subscription = get_subscription(session, subscription_id)
    skipped = notify.skip_pending(
        session,
        channel=WEBHOOK,
        recipient=Recipient(WEBHOOK, str(subscription.id)),
        reason="订阅已删除 (subscription deleted)",
    )
    record(
        session,
        actor=actor,
        action="webhook.delete",
        subject_type=SUBJECT,
        subject_id=subscription.id,
        now=now,
        detail={"url": subscription.url, "skipped": skipped},
    )
    session.delete(subscription)
    return skipped


@dataclass(frozen=True, slots=True)
class FanOut:
    """What one fan-out run wrote."""

    events: int
    webhooks: int
    broker: int
    notices: int = 0


@use_case
def fan_out(
    session: Session,
    *,
    broker: bool,
    now: datetime,
    notice_policy: NoticePolicy | None = None,
    limit: int = 500,
) -> FanOut:
    """Copy each pending event row to every active subscription of its type (channel
    ``webhook``) and, when ``broker`` is on, to the broker (channel ``amqp``); each copy keeps
    the event's id in ``source_id``. With a ``notice_policy``, the notices to people the event
    calls for are queued too (:mod:`civicgrid.events.notices`). The event row is then done.
    With no sink at all, every pending event is marked done in one statement. Idempotent: an
    event is fanned out once."""
    subscriptions = session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.is_active.is_(True))
        .order_by(WebhookSubscription.id)
    ).all()
    if not subscriptions and not broker and (notice_policy is None or not notice_policy.channels):
        # No sink at all (a fresh install, the demo city): the events have nowhere to go.
        return FanOut(notify.mark_all_done(session, "event", now=now), 0, 0)
    events = notify.pending_on(session, "event", limit=limit)
    if not events:
        return FanOut(0, 0, 0)
    webhooks = published = queued = 0
    for event in events:
        for subscription in subscriptions:
            if event.subject in subscription.event_types:
                notify.enqueue(
                    session,
                    recipient=Recipient(WEBHOOK, str(subscription.id)),
                    subject=event.subject,
                    body=event.body,
                    channel=WEBHOOK,
                    now=now,
                    source_id=event.id,
                )
                webhooks += 1
        if broker:
            notify.enqueue(
                session,
                recipient=Recipient(AMQP, "exchange"),
                subject=event.subject,
                body=event.body,
                channel=AMQP,
                now=now,
                source_id=event.id,
            )
            published += 1
        if notice_policy is not None:
            queued += notices_for(session, event, policy=notice_policy, now=now)
        notify.mark_done(event, now=now)
    return FanOut(len(events), webhooks, published, queued)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A webhook delivery with its log."""

    message: OutboxMessage
    attempts: list[DeliveryAttempt]


def list_deliveries(
    session: Session,
    *,
    subscription_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[Delivery]:
    """Newest webhook deliveries (of one subscription, in one status) with their tries."""
    rows = notify.messages_to(
        session,
        channel=WEBHOOK,
        recipient_kind=WEBHOOK,
        recipient_id=None if subscription_id is None else str(subscription_id),
        status=status,
        limit=limit,
    )
    logs = notify.attempts_of(session, [m.id for m in rows])
    return [Delivery(m, logs[m.id]) for m in rows]


def _delivery(session: Session, delivery_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, delivery_id)
    if message is None or message.channel not in (WEBHOOK, AMQP):
        raise NotFound(f"没有编号为 {delivery_id} 的事件投递 (no such delivery)")
    return message


@use_case
def replay(session: Session, *, delivery_id: int, actor: Actor, now: datetime) -> OutboxMessage:
    """Send a dead-lettered (or already delivered) webhook or broker message again, with the
    same ``webhook-id`` / message id so receivers can drop a duplicate."""
    message = _delivery(session, delivery_id)
    notify.reset_for_replay(session, message, by=actor.label, now=now)
    record(
        session,
        actor=actor,
        action="webhook.replay",
        subject_type="outbox_message",
        subject_id=message.id,
        now=now,
    )
    return message


@use_case
def replay_dead(session: Session, *, subscription_id: int, actor: Actor, now: datetime) -> int:
    """Replay every dead-lettered delivery of a subscription (after the receiver is fixed)."""
    subscription = get_subscription(session, subscription_id)
    dead = notify.messages_to(
        session,
        channel=WEBHOOK,
        recipient_kind=WEBHOOK,
        recipient_id=str(subscription.id),
        status="dead",
        limit=10_000,
    )
    for message in dead:
        notify.reset_for_replay(session, message, by=actor.label, now=now)
    record(
        session,
        actor=actor,
        action="webhook.replay_dead",
        subject_type=SUBJECT,
        subject_id=subscription.id,
        now=now,
        detail={"replayed": len(dead)},
    )
    return len(dead)
