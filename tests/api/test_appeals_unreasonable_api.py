"""POST /api/v1/appeals/{id}/mark-unreasonable and /revoke-unreasonable on closed and terminated
appeals: success, the 4xx cases, and the stored state after each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal, reloaded, timeline_count

from civicgrid.appeals.states import AppealStatus

S = AppealStatus
BASE = "/api/v1/appeals"
REASON = "单位申请剔除：诉求人要求无政策依据的补偿"


def _post(client: TestClient, world: World, who: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{BASE}{path}", json=body, headers=world[who].headers)


@pytest.mark.parametrize("status", [S.CLOSED, S.TERMINATED])
def test_mark_and_revoke_a_finished_appeal(
    client: TestClient, world: World, session: Session, now: datetime, status: AppealStatus
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=status)
    session.commit()
    aid = appeal.id
    detail = client.get(f"{BASE}/{aid}", headers=world["supervisor"].headers).json()
    allowed = [a["action"] for a in detail["allowed_actions"]]
    # only the step that fits an unmarked appeal with no pending application is offered
    assert allowed == ["mark_unreasonable"]
    events = timeline_count(session, aid)

    response = _post(
        client,
        world,
        "supervisor",
        f"/{aid}/mark-unreasonable",
        {"text": REASON, "expected_version": detail["version"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == status.value
    assert body["version"] == detail["version"] + 1
    assert (body["timeline"][-1]["action"], body["timeline"][-1]["note"]) == (
        "mark_unreasonable",
        REASON,
    )
    stored = reloaded(session, aid)
    assert (stored.excluded_from_rates, stored.unreasonable_reason) == (True, REASON)
    assert stored.unreasonable_by_user_id == world.actor("supervisor").user_id
    assert stored.unreasonable_at == now
    assert [a["action"] for a in body["allowed_actions"]] == ["revoke_unreasonable"]

    response = _post(
        client,
        world,
        "dispatcher",
        f"/{aid}/revoke-unreasonable",
        {"text": "复核后撤销", "expected_version": body["version"]},
    )
    assert response.status_code == 200, response.text
    last = response.json()["timeline"][-1]
    assert (last["action"], last["action_label"], last["note"]) == (
        "revoke_unreasonable",
        "撤销不合理认定",
        "复核后撤销",
    )
    assert last["detail"]["revoked_reason"] == REASON
    stored = reloaded(session, aid)
    assert (stored.excluded_from_rates, stored.unreasonable_reason, stored.status) == (
        False,
        None,
        status.value,
    )
    assert timeline_count(session, aid) == events + 2


def test_refusals_are_4xx_and_change_nothing(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.CLOSED)
    session.commit()
    aid = appeal.id
    mark, revoke = f"/{aid}/mark-unreasonable", f"/{aid}/revoke-unreasonable"
    events = timeline_count(session, aid)

    # Missing reason: 422 (blank, absent, or too long for the schema).
    assert _post(client, world, "supervisor", mark, {"text": "  "}).status_code == 422
    assert _post(client, world, "supervisor", mark, {}).status_code == 422
    assert _post(client, world, "supervisor", mark, {"text": "x" * 5001}).status_code == 422
    assert _post(client, world, "supervisor", mark, {"text": 5}).status_code == 422
    # Wrong role: 403 (a resident does not even see someone else's appeal: 404); no token: 401.
    for who in ("operator", "leader", "street_a"):
        response = _post(client, world, who, mark, {"text": REASON})
        assert response.status_code == 403, (who, response.text)
    assert _post(client, world, "resident", mark, {"text": REASON}).status_code == 404
    assert client.post(f"{BASE}{mark}", json={"text": REASON}).status_code == 401
    # Unknown appeal: 404.
    assert (
        _post(
            client, world, "supervisor", "/987654/mark-unreasonable", {"text": REASON}
        ).status_code
        == 404
    )
    assert (
        _post(
            client, world, "supervisor", "/987654/revoke-unreasonable", {"text": REASON}
        ).status_code
        == 404
    )
    # Revoking an unmarked appeal: 409.
    response = _post(client, world, "supervisor", revoke, {"text": "撤销"})
    assert response.status_code == 409
    assert "未被认定为不合理诉求" in response.text
    assert timeline_count(session, aid) == events
    assert reloaded(session, aid).excluded_from_rates is False

    # Already marked: 409; stale version: 409; missing revoke reason: 422.
    assert _post(client, world, "supervisor", mark, {"text": REASON}).status_code == 200
    version = reloaded(session, aid).version
    assert _post(client, world, "admin", mark, {"text": "再次认定"}).status_code == 409
    stale = {"text": "撤销", "expected_version": version - 1}
    assert _post(client, world, "supervisor", revoke, stale).status_code == 409
    assert _post(client, world, "supervisor", revoke, {"text": ""}).status_code == 422
    assert _post(client, world, "operator", revoke, {"text": "撤销"}).status_code == 403
    stored = reloaded(session, aid)
    assert (stored.excluded_from_rates, stored.unreasonable_reason, stored.version) == (
        True,
        REASON,
        version,
    )
    assert timeline_count(session, aid) == events + 1


def test_an_appeal_closed_at_intake_is_refused(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.ANSWERED_DIRECTLY)
    session.commit()
    closed = _post(client, world, "operator", f"/{appeal.id}/close", {})
    assert closed.status_code == 200, closed.text
    response = _post(
        client, world, "supervisor", f"/{appeal.id}/mark-unreasonable", {"text": REASON}
    )
    assert response.status_code == 409
    assert reloaded(session, appeal.id).excluded_from_rates is False


def test_openapi_lists_the_revoke_route(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert f"{BASE}/{{appeal_id}}/revoke-unreasonable" in paths
