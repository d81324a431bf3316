"""One-click 并单 through the JSON API: the dispatch API names the likely duplicate, the
appeals action table's merge endpoint merges into it; a repeated merge answers the same appeal
without a second event; a wrong target is a clear 422 and changes nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World, reloaded, timeline_count
from tests.builders.auth import MiniTerritory

BASE = "/api/v1/appeals"


def _new(client: TestClient, world: World, title: str, content: str, phone: str) -> Any:
    body = {
        "channel": "hotline",
        "appeal_type": "complaint",
        "title": title,
        "content": content,
        "region_id": world.region_id(MiniTerritory.COMMUNITY_A1),
        "caller_name": "李四",
        "caller_phone": phone,
    }
    response = client.post(BASE, json=body, headers=world["operator"].headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_suggested_duplicate_is_merged_through_the_api(
    client: TestClient, world: World, session: Session
) -> None:
    main = _new(client, world, "楼道堆物", "三号楼楼道堆满杂物，存在消防隐患。", "13900001111")
    dup = _new(client, world, "三号楼楼道杂物", "三号楼楼道堆满了杂物，有消防隐患。", "13700002222")
    headers = world["dispatcher"].headers
    found = client.get(f"/api/v1/dispatch/appeals/{dup['id']}/duplicates", headers=headers)
    assert found.status_code == 200
    assert [d["number"] for d in found.json()] == [main["number"]]

    body = {"target_number": main["number"], "expected_version": dup["version"]}
    merged = client.post(f"{BASE}/{dup['id']}/merge", json=body, headers=headers)
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged"
    assert merged.json()["merged_into_id"] == main["id"]
    events = (timeline_count(session, dup["id"]), timeline_count(session, main["id"]))

    again = client.post(f"{BASE}/{dup['id']}/merge", json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["version"] == merged.json()["version"]
    assert (timeline_count(session, dup["id"]), timeline_count(session, main["id"])) == events

    shown = client.get(f"{BASE}/{main['id']}", headers=headers).json()
    assert [m["number"] for m in shown["merged"]] == [dup["number"]]


def test_merging_into_an_unknown_number_is_422_in_chinese(
    client: TestClient, world: World, session: Session
) -> None:
    dup = _new(client, world, "楼道堆物", "三号楼楼道堆满杂物。", "13700002222")
    response = client.post(
        f"{BASE}/{dup['id']}/merge",
        json={"target_number": "2026112499999"},
        headers=world["dispatcher"].headers,
    )
    assert response.status_code == 422
    assert "并入的工单不存在或无权查看" in response.text
    assert reloaded(session, dup["id"]).status == "received"
