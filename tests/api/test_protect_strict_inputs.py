"""Inputs that lax coercion would turn into nonsense are refused with 422."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.builders.appeals import World

OVERRIDES = "/api/v1/appeals/calendar/overrides"


@pytest.mark.parametrize("day", ["0", "1700000000", "20261125", "2026-11-25T00:00"])
def test_a_calendar_override_day_must_be_a_date(client: TestClient, world: World, day: str) -> None:
    body = {"is_working": False, "note": "临时休息"}
    response = client.put(f"{OVERRIDES}/{day}", json=body, headers=world["admin"].headers)
    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.json()["detail"]
    listed = client.get(OVERRIDES, headers=world["admin"].headers).json()
    assert listed == []
    deleted = client.delete(f"{OVERRIDES}/{day}", headers=world["admin"].headers)
    assert deleted.status_code == 422


def test_an_iso_day_is_accepted(client: TestClient, world: World) -> None:
    body = {"is_working": True, "note": "调休上班"}
    response = client.put(f"{OVERRIDES}/2026-11-28", json=body, headers=world["admin"].headers)
    assert response.status_code == 200
    assert response.json()["day"] == "2026-11-28"


@pytest.mark.parametrize("grid_id", [False, True, "1", 1.5])
def test_a_register_export_grid_id_must_be_an_integer(
    client: TestClient, world: World, grid_id: object
) -> None:
    body = {"format": "csv", "grid_id": grid_id}
    response = client.post("/api/v1/register/export", json=body, headers=world["admin"].headers)
    assert response.status_code == 422
    assert "grid_id" in response.json()["detail"]


@pytest.mark.parametrize("house_id", [False, "7"])
def test_a_resident_house_id_must_be_an_integer(
    client: TestClient, world: World, house_id: object
) -> None:
    body = {"house_id": house_id, "name": "王五", "id_no": "110101199001011234", "kind": "owner"}
    response = client.post("/api/v1/register/residents", json=body, headers=world["admin"].headers)
    assert response.status_code == 422
    assert "house_id" in response.json()["detail"]
