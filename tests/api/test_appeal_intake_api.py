"""Intake over HTTP (``POST /api/v1/appeals``): the short 201 answer with ``Location``, the
grid located from the point, the timeline, audit and outbox rows written with the appeal, and
the number of SQL statements one intake takes (the bearer-token check included)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from tests.builders.appeals import StoredWorld, World
from tests.builders.auth import MiniTerritory
from tests.web.conftest import assert_max_queries, login_as

from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.audit.service import list_entries
from civicgrid.auth.models import ApiToken
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.notify.models import OutboxMessage

BASE = "/api/v1/appeals"
SQUARE = [[116.50, 39.90], [116.52, 39.90], [116.52, 39.92], [116.50, 39.92], [116.50, 39.90]]


@pytest.fixture
def world(session: Session, stored_world: StoredWorld, settings: Settings) -> World:
    w = stored_world.attach(session, media_root=settings.media_dir)
    grid = w.territory.region(MiniTerritory.GRID_A2)
    grid.boundary = json.dumps({"type": "Polygon", "coordinates": [SQUARE]})
    session.commit()
    return w


def _body(**extra: Any) -> dict[str, Any]:
    return {
        "channel": "hotline",
        "appeal_type": "complaint",
        "title": "路灯不亮",
        "content": "永安里路口的路灯一周没亮了。",
        "lon": 116.51,
        "lat": 39.91,
        "caller_name": "王五",
        "caller_phone": "13800002222",
        **extra,
    }


def test_intake_by_point_locates_the_grid_and_writes_its_records(
    client: TestClient, world: World, session: Session
) -> None:
    response = client.post(BASE, json=_body(), headers=world["operator"].headers)
    assert response.status_code == 201, response.text
    created = response.json()
    grid = world.territory.region(MiniTerritory.GRID_A2)
    assert created["region_id"] == grid.id
    assert response.headers["location"] == f"{BASE}/{created['id']}"
    session.expire_all()
    appeal = session.get(Appeal, created["id"])
    assert appeal is not None
    assert appeal.region_path == grid.path
    assert appeal.number == created["number"]
    events = session.scalars(
        select(TimelineEvent).where(TimelineEvent.appeal_id == appeal.id)
    ).all()
    assert [e.action for e in events] == ["submit"]
    (entry,) = list_entries(session, subject_type="appeal", subject_id=appeal.id)
    assert entry.action == "appeal.submit"
    outbox = session.scalars(
        select(OutboxMessage).where(OutboxMessage.link == f"/appeals/{appeal.id}")
    ).all()
    assert [(m.recipient_kind, m.recipient_id) for m in outbox] == [("role", "dispatcher")]
    # The grid worker of that grid sees it: routing by location took effect.
    seen = client.get(f"{BASE}/{appeal.id}", headers=world["grid_a2"].headers)
    assert seen.status_code == 200


def test_point_outside_every_grid_is_kept_without_region(client: TestClient, world: World) -> None:
    response = client.post(BASE, json=_body(lon=110.0, lat=30.0), headers=world["operator"].headers)
    assert response.status_code == 201, response.text
    assert response.json()["region_id"] is None


def test_intake_statements_are_few_and_the_appeal_is_not_read_back(
    client: TestClient, world: World, connection: Connection
) -> None:
    headers = world["operator"].headers
    assert client.post(BASE, json=_body(), headers=headers).status_code == 201  # warm caches
    with assert_max_queries(connection, 9) as statements:
        response = client.post(BASE, json=_body(title="井盖缺失"), headers=headers)
    assert response.status_code == 201, response.text
    # the intake throttle counts the caller's request in one statement of its own
    throttled = [s for s in statements if "throttle_counter" in s]
    assert len(throttled) == 1
    statements = [s for s in statements if s not in throttled]
    # then: token + posts + their region paths, the number, the appeal, and its timeline event,
    # two outbox messages (the centre's, the appeal.created event) and audit row (on PostgreSQL
    # one statement: three data-modifying CTEs and the audit insert); the grid and its path
    # come from the locate index (no path query; its fingerprint query runs at most once a
    # second, so only when more than a second passed since the first request)
    fingerprints = [s for s in statements if "sum(region.area_m2)" in s]
    statements = [s for s in statements if s not in fingerprints]
    writes = [
        re.findall(r"INSERT INTO (\w+)", s)
        for s in statements
        if s.lstrip().upper().startswith(("INSERT", "WITH"))
    ]
    if connection.dialect.name == "postgresql":
        assert len(statements) == 4
        assert writes == [
            ["appeal_daily_sequence"],
            ["appeal"],
            ["appeal_event", "outbox_message", "outbox_message", "audit_entry"],
        ]
    else:
        assert len(statements) == 7
        assert writes == [
            ["appeal_daily_sequence"],
            ["appeal"],
            ["appeal_event"],
            ["outbox_message"],
            ["outbox_message"],
            ["audit_entry"],
        ]
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]


def test_token_last_use_is_committed_for_reads_at_most_once_a_minute(
    client: TestClient, world: World, session: Session, clock: FrozenClock
) -> None:
    headers = world["operator"].headers
    token_hash = hashlib.sha256(world["operator"].token.encode()).hexdigest()

    def last_used() -> datetime | None:
        session.expire_all()
        return session.scalar(
            select(ApiToken.last_used_at).where(ApiToken.token_hash == token_hash)
        )

    assert client.get(BASE, headers=headers).status_code == 200  # a read: rolled back after
    first = last_used()
    assert first == clock.now()
    clock.advance(timedelta(seconds=30))
    assert client.get(BASE, headers=headers).status_code == 200
    assert last_used() == first
    clock.advance(timedelta(seconds=31))
    assert client.get(BASE, headers=headers).status_code == 200
    assert last_used() == clock.now()


def test_a_browser_session_records_by_json_with_its_csrf_header(
    client: TestClient, world: World
) -> None:
    """The endpoint checks the credentials itself: a session cookie still needs the CSRF
    token (header), a bearer token none."""
    csrf = login_as(client, world, "operator")
    refused = client.post(BASE, json=_body())
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    accepted = client.post(BASE, json=_body(), headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201, accepted.text
