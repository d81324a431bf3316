"""Administration of outbound events (/admin/webhooks): the webhook subscriptions with their
event types, a form to subscribe a URL (its secret is shown once, on the answer page: it cannot
survive a redirect), secret rotation, pause/resume, delete, and the delivery log with replays.
Admin only; the use cases audit every change."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.auth.roles import Role
from civicgrid.deps import DbSession, Now, clock_of, field_cipher, settings_of
from civicgrid.errors import Invalid
from civicgrid.events import service
from civicgrid.events.catalogue import EventType
from civicgrid.events.sinks import message_id
from civicgrid.web.shared import form_actions
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.form_actions import Form, FormCall, Step, perform_step
from civicgrid.web.shared.forms import require
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

ADMIN = frozenset({Role.ADMIN})
PAGE = "/admin/webhooks"
STATUS_LABELS = {
    "pending": ("待发送", "blue"),
    "sent": ("已送达", "green"),
    "dead": ("已放弃", "red"),
    "skipped": ("已跳过", "grey"),
}
ROTATION_GRACE = timedelta(hours=24)


def _page(
    request: Request,
    session: Session,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    secret: str = "",
    secret_for: str = "",
    status_code: int = 200,
) -> Response:
    status = request.query_params.get("status", "")
    deliveries = service.list_deliveries(
        session, status=status if status in STATUS_LABELS else None, limit=100
    )
    subscriptions = service.list_subscriptions(session)
    urls = {s.id: s.url for s in subscriptions}
    now = clock_of(request).now()
    return render(
        request,
        "admin/webhooks.html",
        {
            "subscriptions": [{"s": s, "live": service.live_count(s, now)} for s in subscriptions],
            "event_types": list(EventType),
            "deliveries": [
                {
                    "d": d,
                    "webhook_id": message_id(d.message),
                    "url": urls.get(int(d.message.recipient_id), "（已删除）"),
                    "status": STATUS_LABELS.get(d.message.status, (d.message.status, "grey")),
                }
                for d in deliveries
            ],
            "status": status,
            "status_labels": STATUS_LABELS,
            "errors": errors or [],
            "form": form or {},
            "secret": secret,
            "secret_for": secret_for,
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get(PAGE, include_in_schema=False)
def webhooks_page(request: Request, actor: PageActor, session: DbSession) -> Response:
    """Subscriptions, the form to add one, and the latest deliveries."""
    require(actor, ADMIN)
    return _page(request, session)


def _chosen_types(form: dict[str, str]) -> list[str]:
    return [t.value for t in EventType if form.get(f"event_{t.value}")]


@router.post(f"{PAGE}/subscriptions", include_in_schema=False)
def create_subscription(
    request: Request, form: Form, actor: PageActor, session: DbSession, now: Now
) -> Response:
    """Subscribe a URL; the answer shows its secret once."""
    require(actor, ADMIN)
    # Success answers with the page showing the secret once (it is stored encrypted and never
    # shown again), not with a redirect.
    return form_actions.perform(
        lambda: service.subscribe(
            session,
            url=form.get("url", ""),
            event_types=_chosen_types(form),
            description=form.get("description", ""),
            cipher=field_cipher(settings_of(request)),
            actor=actor,
            now=now,
        ),
        redirect=lambda issued: _page(
            request, session, secret=issued.secret, secret_for=issued.subscription.url
        ),
        refused=lambda messages, status: _page(
            request, session, errors=messages, form=form, status_code=status
        ),
        refuse=(Invalid,),
    )


@router.post(f"{PAGE}/subscriptions/{{subscription_id}}/rotate", include_in_schema=False)
def rotate_secret(
    request: Request, subscription_id: int, actor: PageActor, session: DbSession, now: Now
) -> Response:
    """A new secret, shown once; the old one keeps signing for 24 hours."""
    require(actor, ADMIN)
    issued = service.rotate_secret(
        session,
        subscription_id=subscription_id,
        grace=ROTATION_GRACE,
        cipher=field_cipher(settings_of(request)),
        actor=actor,
        now=now,
    )
    return _page(request, session, secret=issued.secret, secret_for=issued.subscription.url)


STEPS: dict[str, Step] = {
    "pause": lambda c: service.update_subscription(
        c.session, subscription_id=c.target, is_active=False, **c.by
    ),
    "resume": lambda c: service.update_subscription(
        c.session, subscription_id=c.target, is_active=True, **c.by
    ),
    "delete": lambda c: service.delete_subscription(c.session, subscription_id=c.target, **c.by),
    "replay-dead": lambda c: service.replay_dead(c.session, subscription_id=c.target, **c.by),
}


@router.post(f"{PAGE}/subscriptions/{{subscription_id}}/{{action}}", include_in_schema=False)
def subscription_action(
    request: Request,
    subscription_id: int,
    action: str,
    form: Form,
    actor: PageActor,
    session: DbSession,
    now: Now,
) -> Response:
    require(actor, ADMIN)
    call = FormCall(session=session, actor=actor, now=now, form=form, target=subscription_id)
    return perform_step(
        request,
        STEPS,
        action,
        call,
        redirect=f"{PAGE}?done={action}",
        refused=lambda msgs, status: _page(request, session, errors=msgs, status_code=status),
    )


@router.post(f"{PAGE}/deliveries/{{delivery_id}}/replay", include_in_schema=False)
def replay_delivery(
    request: Request, delivery_id: int, form: Form, actor: PageActor, session: DbSession, now: Now
) -> Response:
    require(actor, ADMIN)
    call = FormCall(session=session, actor=actor, now=now, form=form, target=delivery_id)
    steps: dict[str, Step] = {
        "replay": lambda c: service.replay(c.session, delivery_id=c.target, **c.by)
    }
    return perform_step(
        request,
        steps,
        "replay",
        call,
        redirect=f"{PAGE}?done=replay",
        refused=lambda msgs, status: _page(request, session, errors=msgs, status_code=status),
    )
