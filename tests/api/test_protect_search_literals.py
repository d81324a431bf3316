"""``%`` and ``_`` in the appeal list's search text are characters to find, not wildcards."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.builders.appeals import World

BASE = "/api/v1/appeals"


def _body(title: str) -> dict[str, Any]:
    return {
        "channel": "hotline",
        "appeal_type": "complaint",
        "title": title,
        "content": "市民来电反映。",
        "lon": 116.51,
        "lat": 39.91,
        "caller_name": "王五",
        "caller_phone": "13800002222",
    }


def test_percent_and_underscore_match_only_themselves(client: TestClient, world: World) -> None:
    headers = world["operator"].headers
    for title in ("商场打折50%扰民", "路灯不亮", "编号A_1的井盖缺失"):
        assert client.post(BASE, json=_body(title), headers=headers).status_code == 201

    def titles(q: str) -> list[str]:
        response = client.get(BASE, params={"q": q}, headers=headers)
        assert response.status_code == 200, response.text
        return sorted(item["title"] for item in response.json()["items"])

    assert titles("%") == ["商场打折50%扰民"]
    assert titles("50%") == ["商场打折50%扰民"]
    assert titles("_") == ["编号A_1的井盖缺失"]
    assert titles("A_1") == ["编号A_1的井盖缺失"]
    assert titles("路_") == []
