"""The JSON API takes every action of the appeals action table with the table's request: the
reply carries photos as the page's reply does, and the detail names each allowed action's
endpoint."""

from __future__ import annotations

import base64
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import JPEG, World, make_appeal, reloaded

from civicgrid.appeals.states import AppealStatus

BASE = "/api/v1/appeals"


def test_reply_through_the_api_stores_its_photos(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.IN_PROGRESS, now=now)
    session.commit()
    body = {"text": "已清理完毕", "photos": [base64.b64encode(JPEG).decode()]}
    response = client.post(
        f"{BASE}/{appeal.id}/reply", json=body, headers=world["street_a"].headers
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["status"] == "replied"
    assert [a["purpose"] for a in data["attachments"]] == ["result"]


def test_a_reply_photo_that_is_no_image_is_422_and_nothing_changes(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.IN_PROGRESS, now=now)
    session.commit()
    body = {"text": "已清理完毕", "photos": [base64.b64encode(b"plain text").decode()]}
    response = client.post(
        f"{BASE}/{appeal.id}/reply", json=body, headers=world["street_a"].headers
    )
    assert response.status_code == 422, response.text
    session.expire_all()
    assert reloaded(session, appeal.id).status == AppealStatus.IN_PROGRESS.value
    detail = client.get(f"{BASE}/{appeal.id}", headers=world["street_a"].headers).json()
    assert detail["attachments"] == []


def test_ten_reply_photos_are_refused_by_the_schema(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.IN_PROGRESS, now=now)
    session.commit()
    body = {"text": "已清理", "photos": [base64.b64encode(JPEG).decode()] * 10}
    response = client.post(
        f"{BASE}/{appeal.id}/reply", json=body, headers=world["street_a"].headers
    )
    assert response.status_code == 422
    assert "photos" in response.text


def test_each_allowed_action_names_an_endpoint_that_exists(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.RECEIVED, now=now)
    session.commit()
    detail = client.get(f"{BASE}/{appeal.id}", headers=world["operator"].headers).json()
    offered = {a["action"]: a["path"] for a in detail["allowed_actions"]}
    assert offered["accept"] == "accept"
    assert offered["answer_directly"] == "answer"
    assert offered["transfer_emergency"] == "transfer-emergency"
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in offered.values():
        assert "post" in paths[f"{BASE}/{{appeal_id}}/{path}"]
