"""The webhook admin API (/api/v1/webhooks): subscriptions with their one-time secret,
refusals that store nothing, rotation, the delivery log and replays; admins only."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal

from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.events import delivery
from civicgrid.events.models import WebhookSubscription

BASE = "/api/v1/webhooks"
NEW = {
    "url": "https://hooks.example.cn/civicgrid",
    "event_types": ["appeal.created", "appeal.closed"],
    "description": "区数据中台",
}


def _count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(WebhookSubscription)) or 0


def test_an_admin_subscribes_and_sees_the_secret_once(
    client: TestClient, world: World, session: Session
) -> None:
    headers = world["admin"].headers
    created = client.post(f"{BASE}/subscriptions", json=NEW, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["appeal.created", "appeal.closed"]
    assert body["secrets_live"] == 1
    assert created.headers["location"] == f"{BASE}/subscriptions/{body['id']}"
    listed = client.get(f"{BASE}/subscriptions", headers=headers).json()
    assert [s["id"] for s in listed] == [body["id"]]
    assert "secret" not in listed[0]
    # the stored secret is encrypted, not the text handed out
    stored = session.get(WebhookSubscription, body["id"])
    assert stored is not None
    assert body["secret"] not in stored.secrets[0].secret_enc


def test_unknown_event_types_and_bad_urls_get_422_and_store_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    headers = world["admin"].headers
    unknown = client.post(
        f"{BASE}/subscriptions",
        json={**NEW, "event_types": ["appeal.created", "appeal.exploded"]},
        headers=headers,
    )
    assert unknown.status_code == 422
    assert "未知的事件类型：appeal.exploded" in unknown.json()["detail"]
    bad_url = client.post(
        f"{BASE}/subscriptions", json={**NEW, "url": "hooks.example.cn"}, headers=headers
    )
    assert bad_url.status_code == 422
    assert "http:// 或 https://" in bad_url.json()["detail"]
    missing = client.post(f"{BASE}/subscriptions", json={"url": NEW["url"]}, headers=headers)
    assert missing.status_code == 422
    assert "event_types" in missing.json()["detail"]
    extra = client.post(f"{BASE}/subscriptions", json={**NEW, "secret": "x"}, headers=headers)
    assert extra.status_code == 422
    assert _count(session) == 0


def test_only_admins_manage_webhooks(client: TestClient, world: World, session: Session) -> None:
    for who in ("operator", "dispatcher", "leader"):
        refused = client.post(f"{BASE}/subscriptions", json=NEW, headers=world[who].headers)
        assert refused.status_code == 403, who
    assert client.get(f"{BASE}/deliveries").status_code == 401
    assert _count(session) == 0


def test_rotation_returns_a_new_secret_and_both_sign_during_the_grace(
    client: TestClient, world: World
) -> None:
    headers = world["admin"].headers
    first = client.post(f"{BASE}/subscriptions", json=NEW, headers=headers).json()
    rotated = client.post(
        f"{BASE}/subscriptions/{first['id']}/rotate", json={"grace_hours": 24}, headers=headers
    )
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"] != first["secret"]
    assert rotated.json()["secrets_live"] == 2
    too_long = client.post(
        f"{BASE}/subscriptions/{first['id']}/rotate", json={"grace_hours": 500}, headers=headers
    )
    assert too_long.status_code == 422
    missing = client.post(f"{BASE}/subscriptions/999999/rotate", json={}, headers=headers)
    assert missing.status_code == 404


def test_pause_change_and_delete(client: TestClient, world: World, session: Session) -> None:
    headers = world["admin"].headers
    sub = client.post(f"{BASE}/subscriptions", json=NEW, headers=headers).json()
    paused = client.patch(
        f"{BASE}/subscriptions/{sub['id']}",
        json={"is_active": False, "event_types": ["appeal.overdue"]},
        headers=headers,
    )
    assert paused.status_code == 200
    assert (paused.json()["is_active"], paused.json()["event_types"]) == (
        False,
        ["appeal.overdue"],
    )
    refused = client.patch(
        f"{BASE}/subscriptions/{sub['id']}",
        json={"is_active": True, "url": "ftp://x.cn/"},
        headers=headers,
    )
    assert refused.status_code == 422
    assert (
        client.get(f"{BASE}/subscriptions/{sub['id']}", headers=headers).json()["is_active"]
        is False
    )  # nothing of the refused change was stored
    assert client.delete(f"{BASE}/subscriptions/{sub['id']}", headers=headers).status_code == 204
    assert _count(session) == 0
    assert client.delete(f"{BASE}/subscriptions/{sub['id']}", headers=headers).status_code == 404


def test_the_delivery_log_and_replay(
    client: TestClient,
    world: World,
    session: Session,
    settings: Settings,
    clock: FrozenClock,
    now: datetime,
) -> None:
    headers = world["admin"].headers
    settings.outbox_max_attempts = 1
    sub = client.post(
        f"{BASE}/subscriptions",
        json={**NEW, "url": "http://127.0.0.1:9/closed-port"},
        headers=headers,
    ).json()
    make_appeal(session, world=world, now=now)
    session.commit()
    delivery.fan_out(session, settings=settings, now=now)
    waiting = client.get(f"{BASE}/deliveries", headers=headers).json()
    assert [(d["event_type"], d["status"]) for d in waiting] == [("appeal.created", "pending")]
    replay_pending = client.post(f"{BASE}/deliveries/{waiting[0]['id']}/replay", headers=headers)
    assert replay_pending.status_code == 422
    delivery.deliver(session, settings=settings, cipher=world.cipher, clock=clock.now, now=now)
    dead = client.get(
        f"{BASE}/deliveries",
        params={"status": "dead", "subscription_id": sub["id"]},
        headers=headers,
    ).json()
    assert len(dead) == 1
    assert dead[0]["webhook_id"].startswith("msg_")
    assert [a["ok"] for a in dead[0]["log"]] == [False]
    assert "无法连接接收方" in dead[0]["log"][0]["detail"]
    replayed = client.post(f"{BASE}/deliveries/{dead[0]['id']}/replay", headers=headers)
    assert replayed.status_code == 200
    assert (replayed.json()["status"], replayed.json()["attempts"]) == ("pending", 0)
    assert replayed.json()["webhook_id"] == dead[0]["webhook_id"]
    assert (
        client.get(f"{BASE}/deliveries", params={"status": "lost"}, headers=headers).status_code
        == 422
    )
    clock.advance(timedelta(minutes=1))
    assert client.post(f"{BASE}/deliveries/999999/replay", headers=headers).status_code == 404


def test_event_types_are_listed_with_chinese_labels(client: TestClient, world: World) -> None:
    listed = client.get(f"{BASE}/event-types", headers=world["admin"].headers).json()
    codes = {t["code"]: t["label"] for t in listed}
    assert codes["appeal.created"] == "诉求受理"
    assert "appeal.overdue" in codes
