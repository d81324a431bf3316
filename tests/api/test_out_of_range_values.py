"""Ids beyond 64 bits in a URL or a form are bad input on both engines: 422 with a sentence,
never a 500, and nothing stored changes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World

from civicgrid.appeals.models import Appeal

HUGE = 10**25


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/appeals/{HUGE}",
        f"/api/v1/participation/projects/{HUGE}",
        f"/api/v1/participation/consultations/{HUGE}",
    ],
)
def test_a_huge_id_in_the_url_is_a_422(client: TestClient, world: World, path: str) -> None:
    response = client.get(path, headers=world["admin"].headers)
    assert response.status_code == 422, response.text
    assert "超出允许范围" in response.json()["detail"]


def test_a_huge_id_in_an_action_changes_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    before = session.scalar(select(func.count()).select_from(Appeal))
    response = client.post(f"/api/v1/appeals/{HUGE}/sign", json={}, headers=world["admin"].headers)
    assert response.status_code == 422, response.text
    assert session.scalar(select(func.count()).select_from(Appeal)) == before


def test_a_huge_id_on_a_page_renders_the_error_page(client: TestClient, world: World) -> None:
    response = client.get(
        f"/participation/projects/{HUGE}",
        headers={**world["admin"].headers, "accept": "text/html"},
    )
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]
