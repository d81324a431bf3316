"""The admin pages of outbound events and notices: subscribing a URL shows its secret once,
rotation, pause and delete, the delivery log with replay; editing a notice template and
recording an opt-out; refusals re-rendered with the message; admins only."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.web.conftest import LoginAs

from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.events import delivery, service
from civicgrid.events.models import WebhookSubscription
from civicgrid.notify import notices
from civicgrid.notify.models import NoticeOptOut

HOOKS = "/admin/webhooks"
NOTICES = "/admin/notices"


def _subscriptions(session: Session) -> list[WebhookSubscription]:
    session.expire_all()
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def test_an_admin_subscribes_and_sees_the_secret_once(
    client: TestClient, world: World, login: LoginAs, session: Session
) -> None:
    csrf = login("admin")
    page = client.get(HOOKS)
    assert page.status_code == 200
    assert "尚无订阅" in page.text
    created = client.post(
        f"{HOOKS}/subscriptions",
        data={
            "csrf_token": csrf,
            "url": "https://hooks.example.cn/civicgrid",
            "description": "区数据中台",
            "event_appeal.created": "1",
            "event_appeal.closed": "1",
        },
    )
    assert created.status_code == 200, created.text
    match = re.search(r'id="new-secret">(whsec_[^<]+)<', created.text)
    assert match
    [stored] = _subscriptions(session)
    assert stored.event_types == ["appeal.created", "appeal.closed"]
    again = client.get(HOOKS)
    assert "hooks.example.cn" in again.text
    assert match.group(1) not in again.text
    rotated = client.post(f"{HOOKS}/subscriptions/{stored.id}/rotate", data={"csrf_token": csrf})
    new = re.search(r'id="new-secret">(whsec_[^<]+)<', rotated.text)
    assert new
    assert new.group(1) != match.group(1)


def test_a_refused_subscription_is_shown_with_the_reason_and_not_stored(
    client: TestClient, world: World, login: LoginAs, session: Session
) -> None:
    csrf = login("admin")
    no_types = client.post(
        f"{HOOKS}/subscriptions", data={"csrf_token": csrf, "url": "https://a.example.cn/h"}
    )
    assert no_types.status_code == 422
    assert "请至少订阅一种事件类型" in no_types.text
    bad_url = client.post(
        f"{HOOKS}/subscriptions",
        data={"csrf_token": csrf, "url": "a.example.cn", "event_appeal.created": "1"},
    )
    assert bad_url.status_code == 422
    assert "http:// 或 https://" in bad_url.text
    assert 'value="a.example.cn"' in bad_url.text  # the form keeps what was typed
    assert _subscriptions(session) == []


def test_pause_delete_and_replay_from_the_log(
    client: TestClient,
    world: World,
    login: LoginAs,
    session: Session,
    settings: Settings,
    clock: FrozenClock,
    now: datetime,
) -> None:
    csrf = login("admin")
    settings.outbox_max_attempts = 1
    issued = service.subscribe(
        session,
        url="http://127.0.0.1:9/closed",
        event_types=["appeal.created"],
        description="",
        cipher=world.cipher,
        actor=world.actor("admin"),
        now=now,
    )
    make_appeal(session, world=world, now=now)
    delivery.fan_out(session, settings=settings, now=now)
    delivery.deliver(session, settings=settings, cipher=world.cipher, clock=clock.now, now=now)
    log = client.get(f"{HOOKS}?status=dead")
    assert "已放弃" in log.text
    assert "无法连接接收方" in log.text
    (row,) = service.list_deliveries(session, status="dead")
    replay = client.post(
        f"{HOOKS}/deliveries/{row.message.id}/replay",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert replay.status_code == 303
    again = client.post(f"{HOOKS}/deliveries/{row.message.id}/replay", data={"csrf_token": csrf})
    assert again.status_code == 422  # now pending: nothing to replay
    assert "只有已送达或已放弃的消息可以重发" in again.text
    sid = issued.subscription.id
    paused = client.post(
        f"{HOOKS}/subscriptions/{sid}/pause", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert paused.headers["location"] == f"{HOOKS}?done=pause"
    assert _subscriptions(session)[0].is_active is False
    client.post(f"{HOOKS}/subscriptions/{sid}/delete", data={"csrf_token": csrf})
    assert _subscriptions(session) == []


def test_an_admin_edits_a_notice_template_and_records_an_opt_out(
    client: TestClient, world: World, login: LoginAs, session: Session
) -> None:
    csrf = login("admin")
    assert "受理回执" in client.get(NOTICES).text
    saved = client.post(
        f"{NOTICES}/templates/save",
        data={
            "csrf_token": csrf,
            "kind": "reply_ready",
            "subject": "答复通知",
            "body": "工单{number}已答复。",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "模板已保存" in client.get(saved.headers["location"]).text
    refused = client.post(
        f"{NOTICES}/templates/save",
        data={"csrf_token": csrf, "kind": "reply_ready", "subject": "答复", "body": "{name}好"},
    )
    assert refused.status_code == 422
    assert "未知的占位符：{name}" in refused.text
    assert [t.body for k, t, _c in notices.list_templates(session) if k.value == "reply_ready"] == [
        "工单{number}已答复。"
    ]
    opted = client.post(
        f"{NOTICES}/opt-outs",
        data={"csrf_token": csrf, "channel": "sms", "address": "13800001111"},
        follow_redirects=False,
    )
    assert opted.status_code == 303
    session.expire_all()
    assert len(session.scalars(select(NoticeOptOut)).all()) == 1


def test_only_admins_see_these_pages(client: TestClient, world: World, login: LoginAs) -> None:
    login("operator")
    assert client.get(HOOKS).status_code == 403
    assert client.get(NOTICES).status_code == 403
