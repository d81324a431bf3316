"""``POST /api/v1/auth/users/{id}/posts`` refuses a staff post without region, department or
utility with 422 and a message that names the missing anchor; the user keeps the posts he had."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.builders.appeals import World
from tests.builders.auth import MiniTerritory

API = "/api/v1/auth"


def test_a_staff_post_without_anchor_answers_422(client: TestClient, world: World) -> None:
    admin = world["admin"].headers
    uid = world.actor("grid_a1").user_id
    before = client.get(f"{API}/users/{uid}", headers=admin).json()["posts"]
    r = client.post(f"{API}/users/{uid}/posts", json={"role": "operator"}, headers=admin)
    assert r.status_code == 422, r.text
    assert "必须指定所属区划" in r.json()["detail"]
    assert client.get(f"{API}/users/{uid}", headers=admin).json()["posts"] == before
    anchored = client.post(
        f"{API}/users/{uid}/posts",
        json={"role": "operator", "region_id": world.region_id(MiniTerritory.CITY)},
        headers=admin,
    )
    assert anchored.status_code == 201, anchored.text
    assert anchored.json()["anchor_name"] == "北京市"
