"""JSON API of outbound events (/api/v1/webhooks), for admins: the event types, webhook
subscriptions (create, change, rotate the secret, delete), the delivery log and replays."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from civicgrid.auth.actor import Actor
from civicgrid.auth.deps import require_roles
from civicgrid.auth.roles import Role
from civicgrid.deps import AppSettings, DbSession, Now, field_cipher
from civicgrid.events import service
from civicgrid.events.catalogue import EventType
from civicgrid.events.models import WebhookSubscription
from civicgrid.events.schemas import (
    AttemptRead,
    DeliveryRead,
    EventTypeRead,
    ReplayedRead,
    RotateRequest,
    SubscriptionCreate,
    SubscriptionIssued,
    SubscriptionRead,
    SubscriptionUpdate,
)
from civicgrid.events.sinks import message_id

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

AdminActor = Annotated[Actor, Depends(require_roles(Role.ADMIN))]
STATUSES = "^(pending|sent|dead|skipped)$"


def _read(subscription: WebhookSubscription, now: datetime) -> SubscriptionRead:
    return SubscriptionRead(
        id=subscription.id,
        url=subscription.url,
        description=subscription.description,
        event_types=list(subscription.event_types),
        is_active=subscription.is_active,
        created_at=subscription.created_at,
        created_by=subscription.created_by_label,
        secrets_live=service.live_count(subscription, now),
    )


def _issued(issued: service.Issued, now: datetime) -> SubscriptionIssued:
    return SubscriptionIssued(**_read(issued.subscription, now).model_dump(), secret=issued.secret)


def _delivery(found: service.Delivery) -> DeliveryRead:
    m = found.message
    return DeliveryRead(
        id=m.id,
        subscription_id=int(m.recipient_id) if m.recipient_kind == service.WEBHOOK else None,
        channel=m.channel,
        event_type=m.subject,
        webhook_id=message_id(m),
        status=m.status,
        attempts=m.attempts,
        next_attempt_at=m.next_attempt_at,
        last_error=m.last_error,
        created_at=m.created_at,
        sent_at=m.sent_at,
        log=[AttemptRead(at=a.at, ok=a.ok, detail=a.detail) for a in found.attempts],
    )


@router.get("/event-types", response_model=list[EventTypeRead], summary="可订阅的事件类型")
def list_event_types(actor: AdminActor) -> list[EventTypeRead]:
    return [EventTypeRead(code=t.value, label=t.label) for t in EventType]


@router.post(
    "/subscriptions",
    response_model=SubscriptionIssued,
    status_code=201,
    summary="新建订阅（返回签名密钥，仅此一次）",
)
def create_subscription(
    actor: AdminActor,
    session: DbSession,
    now: Now,
    settings: AppSettings,
    body: SubscriptionCreate,
    response: Response,
) -> SubscriptionIssued:
    """Subscribe a URL to event types. 422 (nothing stored) for a URL that is not a full
    http(s) address or an unknown event type."""
    issued = service.subscribe(
        session,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        cipher=field_cipher(settings),
        actor=actor,
        now=now,
    )
    response.headers["Location"] = f"{router.prefix}/subscriptions/{issued.subscription.id}"
    return _issued(issued, now)


@router.get("/subscriptions", response_model=list[SubscriptionRead], summary="订阅列表")
def list_subscriptions(actor: AdminActor, session: DbSession, now: Now) -> list[SubscriptionRead]:
    return [_read(s, now) for s in service.list_subscriptions(session)]


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionRead, summary="订阅")
def read_subscription(
    actor: AdminActor, session: DbSession, now: Now, subscription_id: int
) -> SubscriptionRead:
    return _read(service.get_subscription(session, subscription_id), now)


@router.patch(
    "/subscriptions/{subscription_id}", response_model=SubscriptionRead, summary="修改或暂停订阅"
)
def update_subscription(
    actor: AdminActor, session: DbSession, now: Now, subscription_id: int, body: SubscriptionUpdate
) -> SubscriptionRead:
    changed = service.update_subscription(
        session,
        subscription_id=subscription_id,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        is_active=body.is_active,
        actor=actor,
        now=now,
    )
    return _read(changed, now)


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="删除订阅")
def delete_subscription(
    actor: AdminActor, session: DbSession, now: Now, subscription_id: int
) -> Response:
    service.delete_subscription(session, subscription_id=subscription_id, actor=actor, now=now)
    return Response(status_code=204)


@router.post(
    "/subscriptions/{subscription_id}/rotate",
    response_model=SubscriptionIssued,
    summary="轮换签名密钥（过渡期内新旧密钥同时签名）",
)
def rotate_secret(
    actor: AdminActor,
    session: DbSession,
    now: Now,
    settings: AppSettings,
    subscription_id: int,
    body: RotateRequest,
) -> SubscriptionIssued:
    issued = service.rotate_secret(
        session,
        subscription_id=subscription_id,
        grace=timedelta(hours=body.grace_hours),
        cipher=field_cipher(settings),
        actor=actor,
        now=now,
    )
    return _issued(issued, now)


@router.post(
    "/subscriptions/{subscription_id}/replay-dead",
    response_model=ReplayedRead,
    summary="重发该订阅全部已放弃的投递",
)
def replay_dead(
    actor: AdminActor, session: DbSession, now: Now, subscription_id: int
) -> ReplayedRead:
    count = service.replay_dead(session, subscription_id=subscription_id, actor=actor, now=now)
    return ReplayedRead(replayed=count)


@router.get("/deliveries", response_model=list[DeliveryRead], summary="投递记录")
def list_deliveries(
    actor: AdminActor,
    session: DbSession,
    subscription_id: Annotated[int | None, Query(ge=1)] = None,
    status: Annotated[str | None, Query(pattern=STATUSES)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryRead]:
    found = service.list_deliveries(
        session, subscription_id=subscription_id, status=status, limit=limit
    )
    return [_delivery(d) for d in found]


@router.post(
    "/deliveries/{delivery_id}/replay", response_model=DeliveryRead, summary="重发一条投递"
)
def replay_delivery(
    actor: AdminActor, session: DbSession, now: Now, delivery_id: int
) -> DeliveryRead:
    """Queue a dead-lettered or delivered message again (same webhook-id); 422 while it is
    still waiting to be sent."""
    message = service.replay(session, delivery_id=delivery_id, actor=actor, now=now)
    return _delivery(service.Delivery(message, []))
