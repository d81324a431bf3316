"""Request protection through the real app: security headers on every answer, 429 with
Retry-After for throttled routes (per IP and per account), the health endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World

from civicgrid.app import create_app
from civicgrid.appeals.models import Appeal
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.db import make_session_factory
from civicgrid.protect.headers import PAGE_POLICY

INTAKE = "/api/v1/appeals"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Small limits, so that a test reaches them in a few requests."""
    return settings.model_copy(
        update={
            "throttle_rating_ip": "2/minute",
            "throttle_tracking_ip": "3/minute",
            "throttle_intake": "2/minute",
        }
    )


def _intake(**extra: Any) -> dict[str, Any]:
    return {
        "channel": "hotline",
        "appeal_type": "complaint",
        "title": "路灯不亮",
        "content": "永安里路口的路灯一周没亮了。",
        "region_id": None,
        "lon": 116.51,
        "lat": 39.91,
        "caller_name": "王五",
        "caller_phone": "13800002222",
        **extra,
    }


@pytest.mark.parametrize("path", ["/healthz", "/login", "/api/v1/appeals", "/static/css/app.css"])
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.headers["content-security-policy"] == PAGE_POLICY
    assert "script-src 'self';" in PAGE_POLICY
    assert "'unsafe-inline'" not in PAGE_POLICY.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in PAGE_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers


def test_hsts_is_sent_when_cookies_are_secure(
    connection: Connection, clock: FrozenClock, settings: Settings
) -> None:
    secure = settings.model_copy(update={"cookie_secure": True})
    app = create_app(secure, session_factory=make_session_factory(connection), clock=clock)
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_the_api_docs_page_needs_no_wider_policy(client: TestClient) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "https://" not in policy
    assert "frame-ancestors 'none'" in policy


def test_healthz_answers_without_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_the_database_reachable_and_the_schema_at_head(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["database"] == "ok"
    assert body["schema"] == "head"
    assert body["current"] == body["expected"]
    assert body["expected"]


def test_rating_is_refused_with_429_and_retry_after_past_the_limit(client: TestClient) -> None:
    body = {"resolved": True, "satisfaction": "satisfied", "number": "X", "phone_last4": "0000"}
    statuses = [client.post("/api/v1/appeals/999999/rate", json=body).status_code for _ in range(2)]
    assert statuses == [404, 404]  # counted although the appeal does not exist
    refused = client.post("/api/v1/appeals/999999/rate", json=body)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert refused.json() == {
        "detail": "请求过于频繁，请在 60 秒后重试",
        "error": "Throttled",
        "retry_after": 60,
    }


def test_public_tracking_guesses_are_throttled_per_ip_with_a_chinese_page(
    client: TestClient,
) -> None:
    form = {"number": "20261124000001", "phone_tail": "1234"}
    html = {"Accept": "text/html"}
    first = [client.post("/portal/track", data=form, headers=html) for _ in range(3)]
    assert all(r.status_code != 429 for r in first)
    refused = client.post("/portal/track", data=form, headers=html)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert "请求过于频繁" in refused.text
    assert refused.headers["content-type"].startswith("text/html")
    other_ip = TestClient(client.app, client=("203.0.113.9", 5000))
    assert other_ip.post("/portal/track", data=form, headers=html).status_code != 429


def test_intake_is_throttled_per_account_and_a_refused_request_stores_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    operator, other = world["operator"].headers, world["district_b_operator"].headers
    assert client.post(INTAKE, json=_intake(), headers=operator).status_code == 201
    assert client.post(INTAKE, json=_intake(), headers=operator).status_code == 201
    stored = session.scalar(select(func.count()).select_from(Appeal))
    refused = client.post(INTAKE, json=_intake(), headers=operator)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert session.scalar(select(func.count()).select_from(Appeal)) == stored
    # another operator behind the same address is not held back
    assert client.post(INTAKE, json=_intake(), headers=other).status_code != 429


def test_invented_tokens_count_apart_but_are_refused_and_store_nothing(
    client: TestClient, session: Session
) -> None:
    """Each invented token is a new identity for the count, so authentication, which runs
    after the count, is what refuses them: nothing is stored."""
    for n in range(4):
        response = client.post(
            INTAKE, json=_intake(), headers={"Authorization": f"Bearer invented-{n}"}
        )
        assert response.status_code == 401
    assert session.scalar(select(func.count()).select_from(Appeal)) == 0


def test_the_throttle_can_be_switched_off(
    connection: Connection, clock: FrozenClock, settings: Settings
) -> None:
    off = settings.model_copy(update={"throttle_enabled": False, "throttle_rating_ip": "1/hour"})
    app: FastAPI = create_app(off, session_factory=make_session_factory(connection), clock=clock)
    body = {"resolved": True, "satisfaction": "satisfied", "number": "X", "phone_last4": "0000"}
    with TestClient(app) as client:
        statuses = {client.post("/api/v1/appeals/1/rate", json=body).status_code for _ in range(3)}
    assert 429 not in statuses
