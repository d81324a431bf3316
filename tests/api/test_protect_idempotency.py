"""Idempotent intake: ``Idempotency-Key`` on ``POST /api/v1/appeals`` — a retry with the same
key and body gets the first answer and stores nothing; another body under the key is 422."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World

from civicgrid.appeals.models import Appeal
from civicgrid.clock import FrozenClock
from civicgrid.protect.idempotency import HEADER, body_digest, find_or_claim
from civicgrid.protect.models import IdempotentAnswer

BASE = "/api/v1/appeals"


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


def _appeals(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Appeal)) or 0)


def _headers(world: World, key: str, who: str = "operator") -> dict[str, str]:
    return {**world[who].headers, HEADER: key}


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer_and_stores_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    first = client.post(BASE, json=_body(), headers=_headers(world, "k-1"))
    assert first.status_code == 201, first.text
    count = _appeals(session)
    again = client.post(BASE, json=_body(), headers=_headers(world, "k-1"))
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _appeals(session) == count


def test_the_same_json_in_another_key_order_is_the_same_request(
    client: TestClient, world: World, session: Session
) -> None:
    body = _body()
    first = client.post(BASE, json=body, headers=_headers(world, "k-2"))
    reordered = json.dumps(dict(reversed(list(body.items()))), ensure_ascii=False, indent=2)
    again = client.post(
        BASE,
        content=reordered.encode("utf-8"),
        headers={**_headers(world, "k-2"), "Content-Type": "application/json"},
    )
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


def test_the_same_key_with_another_body_is_refused_and_stores_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    assert client.post(BASE, json=_body(), headers=_headers(world, "k-3")).status_code == 201
    count = _appeals(session)
    other = client.post(BASE, json=_body(title="井盖缺失"), headers=_headers(world, "k-3"))
    assert other.status_code == 422
    assert HEADER in other.json()["detail"]
    assert _appeals(session) == count


def test_keys_belong_to_their_caller(client: TestClient, world: World, session: Session) -> None:
    mine = client.post(BASE, json=_body(), headers=_headers(world, "shared-key"))
    theirs = client.post(
        BASE, json=_body(), headers=_headers(world, "shared-key", "district_b_operator")
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_a_refused_first_request_leaves_the_key_free(
    client: TestClient, world: World, session: Session
) -> None:
    count = _appeals(session)
    refused = client.post(BASE, json=_body(region_id=987654), headers=_headers(world, "k-4"))
    assert refused.status_code in (404, 422), refused.text
    assert _appeals(session) == count
    assert session.scalar(select(func.count()).select_from(IdempotentAnswer)) == 0
    accepted = client.post(BASE, json=_body(), headers=_headers(world, "k-4"))
    assert accepted.status_code == 201
    assert _appeals(session) == count + 1


def test_a_claim_without_a_stored_answer_gives_409(
    client: TestClient, world: World, session: Session, clock: FrozenClock
) -> None:
    """The write committed but its answer was lost (e.g. the database went away before the
    answer was stored): the retry must not write again."""
    user_id = world.actor("operator").user_id
    body = json.dumps(_body()).encode("utf-8")
    find_or_claim(
        session,
        scope=f"POST {BASE} user:{user_id}",
        key="k-5",
        digest=body_digest(body, "application/json"),
        now=clock.now(),
        keep=timedelta(hours=24),
    )
    session.commit()
    count = _appeals(session)
    retry = client.post(
        BASE, content=body, headers={**_headers(world, "k-5"), "Content-Type": "application/json"}
    )
    assert retry.status_code == 409
    assert _appeals(session) == count


def test_an_answer_is_kept_24_hours(
    client: TestClient, world: World, session: Session, clock: FrozenClock
) -> None:
    first = client.post(BASE, json=_body(), headers=_headers(world, "k-6"))
    clock.advance(timedelta(hours=23, minutes=59))
    assert client.post(BASE, json=_body(), headers=_headers(world, "k-6")).json() == first.json()
    clock.advance(timedelta(minutes=2))
    later = client.post(BASE, json=_body(), headers=_headers(world, "k-6"))
    assert later.status_code == 201
    assert later.json()["id"] != first.json()["id"]


def test_a_malformed_key_is_refused(client: TestClient, world: World, session: Session) -> None:
    count = _appeals(session)
    for key in ("x" * 256, "含中文", "with space"):
        headers: dict[str, Any] = {**world["operator"].headers, HEADER: key.encode("utf-8")}
        response = client.post(BASE, json=_body(), headers=headers)
        assert response.status_code == 422, key
        assert HEADER in response.json()["detail"]
    assert _appeals(session) == count


def test_without_the_header_nothing_is_kept(
    client: TestClient, world: World, session: Session
) -> None:
    assert client.post(BASE, json=_body(), headers=world["operator"].headers).status_code == 201
    assert client.post(BASE, json=_body(), headers=world["operator"].headers).status_code == 201
    assert session.scalar(select(func.count()).select_from(IdempotentAnswer)) == 0


def test_the_header_is_documented_on_intake(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    parameters = schema["paths"][BASE]["post"]["parameters"]
    assert any(p["name"] == HEADER and p["in"] == "header" for p in parameters)
