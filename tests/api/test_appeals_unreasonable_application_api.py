"""POST /api/v1/appeals/{id}/unreasonable-application (and /approve, /reject) and the reviewer's
list ``?unreasonable_pending=true``: success, the 4xx cases, and the stored state after each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal, reloaded, timeline_count

from civicgrid.appeals.states import AppealStatus

S = AppealStatus
BASE = "/api/v1/appeals"
REASON = "诉求人要求无政策依据的补偿，已多次解释"


def _post(client: TestClient, world: World, who: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{BASE}{path}", json=body, headers=world[who].headers)


def _pending_ids(client: TestClient, world: World, who: str) -> list[int]:
    response = client.get(
        f"{BASE}", params={"unreasonable_pending": "true"}, headers=world[who].headers
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert all(i["unreasonable_pending"] for i in items)
    return [i["id"] for i in items]


def test_apply_then_approve(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.CLOSED)
    other = make_appeal(session, world=world, now=now, status=S.CLOSED)
    session.commit()
    aid = appeal.id
    detail = client.get(f"{BASE}/{aid}", headers=world["street_a"].headers).json()
    assert "apply_unreasonable" in [a["action"] for a in detail["allowed_actions"]]
    assert detail["unreasonable_application"] is None

    response = _post(
        client,
        world,
        "street_a",
        f"/{aid}/unreasonable-application",
        {"text": REASON, "expected_version": detail["version"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unreasonable_application"]["reason"] == REASON
    assert body["unreasonable_application"]["applied_by"] == world.actor("street_a").label
    assert body["unreasonable_pending"] is True
    assert body["excluded_from_rates"] is False
    assert body["timeline"][-1]["action_label"] == "申请不合理诉求认定"
    assert _pending_ids(client, world, "supervisor") == [aid]
    assert other.id not in _pending_ids(client, world, "supervisor")

    response = _post(
        client,
        world,
        "supervisor",
        f"/{aid}/unreasonable-application/approve",
        {"note": "同意", "expected_version": body["version"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unreasonable_application"] is None
    assert body["excluded_from_rates"] is True
    assert body["unreasonable"]["reason"] == REASON
    assert body["timeline"][-1]["action"] == "approve_unreasonable"
    stored = reloaded(session, aid)
    assert (stored.excluded_from_rates, stored.unreasonable_reason, stored.status) == (
        True,
        REASON,
        S.CLOSED.value,
    )
    assert stored.unreasonable_by_user_id == world.actor("supervisor").user_id
    assert _pending_ids(client, world, "supervisor") == []


def test_apply_then_reject(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    session.commit()
    aid = appeal.id
    assert _post(client, world, "street_a", f"/{aid}/unreasonable-application", {"text": REASON})
    response = _post(
        client, world, "dispatcher", f"/{aid}/unreasonable-application/reject", {"text": "不予认定"}
    )
    assert response.status_code == 200, response.text
    last = response.json()["timeline"][-1]
    assert (last["action"], last["action_label"], last["note"]) == (
        "reject_unreasonable",
        "驳回不合理诉求申请",
        "不予认定",
    )
    assert last["detail"]["applied_reason"] == REASON
    stored = reloaded(session, aid)
    assert (stored.excluded_from_rates, stored.unreasonable_applied_at) == (False, None)


def test_refusals_are_4xx_and_change_nothing(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.CLOSED)
    session.commit()
    aid = appeal.id
    apply, approve, reject = (
        f"/{aid}/unreasonable-application",
        f"/{aid}/unreasonable-application/approve",
        f"/{aid}/unreasonable-application/reject",
    )
    events = timeline_count(session, aid)

    assert _post(client, world, "street_a", apply, {"text": " "}).status_code == 422
    assert _post(client, world, "street_a", apply, {"text": "x" * 5001}).status_code == 422
    assert _post(client, world, "supervisor", apply, {"text": REASON}).status_code == 403
    assert _post(client, world, "supervisor", approve, {}).status_code == 409  # none pending
    assert _post(client, world, "supervisor", reject, {"text": "不予认定"}).status_code == 409
    stale = {"text": REASON, "expected_version": reloaded(session, aid).version + 5}
    assert _post(client, world, "street_a", apply, stale).status_code == 409
    assert timeline_count(session, aid) == events

    assert _post(client, world, "street_a", apply, {"text": REASON}).status_code == 200
    assert _post(client, world, "street_a", apply, {"text": REASON}).status_code == 409
    assert _post(client, world, "street_a", approve, {}).status_code == 403
    assert _post(client, world, "supervisor", reject, {"text": ""}).status_code == 422
    assert (
        _post(client, world, "supervisor", reject, {"text": "x", "expected_version": 0}).status_code
        == 409
    )
    assert (
        _post(
            client, world, "supervisor", "/987654/unreasonable-application/approve", {}
        ).status_code
        == 404
    )
    assert timeline_count(session, aid) == events + 1
    assert reloaded(session, aid).unreasonable_applied_reason == REASON

    assert _post(client, world, "supervisor", approve, {}).status_code == 200
    # Already marked: a new application is a conflict.
    assert _post(client, world, "street_a", apply, {"text": REASON}).status_code == 409
    assert timeline_count(session, aid) == events + 2
