"""The dispatch JSON API: every endpoint with 401/403/404/422 and the stored state after."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import StoredWorld, World, make_appeal
from tests.builders.auth import MiniTerritory
from tests.integration.dispatch.helpers import (
    GARBAGE,
    WATER,
    load_catalogue,
    serve_water,
    train_model,
)

from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import AppealStatus
from civicgrid.clock import BEIJING
from civicgrid.config import Settings
from civicgrid.dispatch.models import DispatchFeedback

BASE = "/api/v1/dispatch"
S = AppealStatus


@pytest.fixture(scope="module")
def model_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_model(
        tmp_path_factory.mktemp("api-models"), datetime(2026, 11, 1, 9, 0, tzinfo=BEIJING)
    )


@pytest.fixture
def world(
    session: Session,
    now: datetime,
    stored_world: StoredWorld,
    settings: Settings,
    model_source: Path,
) -> World:
    w = stored_world.attach(session, media_root=settings.media_dir)
    load_catalogue(session, now)
    serve_water(session, w)
    shutil.copytree(model_source, settings.models_dir)
    session.commit()
    return w


def _post(client: TestClient, world: World, who: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{BASE}{path}", json=body, headers=world[who].headers)


def _get(client: TestClient, world: World, who: str, path: str, **params: Any) -> Any:
    return client.get(f"{BASE}{path}", params=params, headers=world[who].headers)


def test_unauthenticated_requests_get_401(client: TestClient) -> None:
    assert client.post(f"{BASE}/classify", json={"text": "垃圾"}).status_code == 401
    assert client.get(f"{BASE}/catalogue").status_code == 401
    assert client.get(f"{BASE}/queue").status_code == 401


def test_roles_are_checked(client: TestClient, world: World) -> None:
    for who in ("resident", "street_a", "grid_a1"):
        assert _post(client, world, who, "/classify", {"text": "垃圾"}).status_code == 403
    assert _get(client, world, "resident", "/catalogue").status_code == 403
    new_item = {"code": "010199", "parent_code": "0101", "name": "楼道堆物", "owner_rule": "street"}
    assert _post(client, world, "dispatcher", "/catalogue", new_item).status_code == 403


def test_classify(client: TestClient, world: World) -> None:
    response = _post(client, world, "dispatcher", "/classify", {"text": "小区垃圾没人清运", "k": 2})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["manual"] is False
    assert body["model_version"] == "t1"
    assert len(body["items"]) == 2
    top = body["items"][0]
    assert (top["code"], top["name"], top["owner_rule"]) == (GARBAGE, "暴露垃圾", "street")
    assert top["path"] == ["城市管理与市容环境", "环境卫生", "暴露垃圾"]


def test_classify_says_why(client: TestClient, world: World) -> None:
    """Top categories with the words that drove them, the items under the first level, the
    place and the unit the owner rule picks there."""
    region = world.region_id(MiniTerritory.COMMUNITY_A1)
    text = "门口垃圾堆放好几天没人清运"
    response = _post(client, world, "dispatcher", "/classify", {"text": text, "region_id": region})
    assert response.status_code == 200, response.text
    out = response.json()
    top = out["items"][0]
    assert top["code"] == GARBAGE
    words = [w["text"] for w in top["words"]]
    assert any("垃圾" in w for w in words), words
    assert all(0 < w["share"] <= 1 for w in top["words"])
    assert [w["share"] for w in top["words"]] == sorted(
        (w["share"] for w in top["words"]), reverse=True
    )
    # every word comes from the text (a runner-up may have no positive evidence at all)
    assert all(w["text"] in text for item in out["items"] for w in item["words"])
    assert out["first_level"]["code"] == "01"
    below = [(i["code"], i["level"]) for i in out["catalogue_items"]]
    assert (GARBAGE, 3) in below
    assert all(code.startswith("01") and level in (2, 3) for code, level in below)
    assert out["place"]["source"] == "region"
    assert out["routing"]["rule"] == "street"
    assert out["routing"]["unit_name"]
    assert "属地" in out["routing"]["reason"]


def test_classify_without_a_place_explains_why_no_unit(client: TestClient, world: World) -> None:
    out = _post(client, world, "dispatcher", "/classify", {"text": "垃圾没人清运"}).json()
    assert out["place"]["source"] == "none"
    assert out["routing"]["rule"] == "manual"
    assert out["routing"]["unit_id"] is None
    assert "无法确定诉求发生地" in out["routing"]["reason"]


@pytest.mark.parametrize(
    "body",
    [{"text": ""}, {"text": "   "}, {"text": "字" * 10_001}, {"text": "垃圾", "k": 0}, {}],
)
def test_classify_bad_input_is_422(client: TestClient, world: World, body: dict[str, Any]) -> None:
    response = _post(client, world, "dispatcher", "/classify", body)
    assert response.status_code == 422
    assert response.json()["detail"]


@pytest.mark.parametrize("text", ["hello there", "🙂🙂🙂", "😡 停水了 😡"])
def test_classify_odd_text_never_fails(client: TestClient, world: World, text: str) -> None:
    response = _post(client, world, "dispatcher", "/classify", {"text": text})
    assert response.status_code == 200
    body = response.json()
    if text.startswith("😡"):
        assert body["items"][0]["code"] == WATER
    else:
        assert body["manual"] is True
        assert body["items"] == []


def test_missing_or_corrupt_model_means_manual(
    client: TestClient, world: World, settings: Settings
) -> None:
    model_file = settings.models_dir / "t1" / "model.joblib"
    model_file.write_bytes(b"garbage")
    body = _post(client, world, "dispatcher", "/classify", {"text": "停水了"}).json()
    assert body["manual"] is True
    assert "校验值" in body["reason"] or "损坏" in body["reason"]
    shutil.rmtree(settings.models_dir)
    body = _post(client, world, "dispatcher", "/classify", {"text": "停水了"}).json()
    assert body["manual"] is True
    assert "尚未训练" in body["reason"]


def test_suggest_for_a_text_and_for_an_appeal(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    response = _post(
        client,
        world,
        "operator",
        "/suggest",
        {"text": "整栋楼停水一天了", "address": "朝阳区建外街道建国里社区"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["category_code"] == WATER
    assert body["routing"]["rule"] == "utility"
    assert body["routing"]["unit_name"] == "北京自来水集团"
    assert body["place"]["source"] == "address"
    assert body["level"] == "utility"
    appeal = make_appeal(
        session,
        world=world,
        now=now,
        status=S.PENDING_DISPATCH,
        title="垃圾",
        content="门口垃圾堆放无人清运",
    )
    response = _get(client, world, "dispatcher", f"/appeals/{appeal.id}/suggestion")
    assert response.status_code == 200
    body = response.json()
    assert body["routing"]["rule"] == "street"
    assert body["routing"]["unit_name"] == "建外街道"
    assert body["auto_dispatch"] is True
    assert _get(client, world, "dispatcher", "/appeals/999999/suggestion").status_code == 404
    assert _post(client, world, "dispatcher", "/suggest", {}).status_code == 422
    bad_code = {"text": "垃圾", "code": "999999"}
    assert _post(client, world, "dispatcher", "/suggest", bad_code).status_code == 422


def test_duplicates_and_auto_route(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    first = make_appeal(
        session,
        world=world,
        now=now,
        status=S.PENDING_DISPATCH,
        title="停水",
        content="整栋楼停水一天了，没有任何通知",
    )
    second = make_appeal(
        session,
        world=world,
        now=now + timedelta(minutes=5),
        status=S.PENDING_DISPATCH,
        title="停水",
        content="整栋楼一天都停水，事先没有通知",
    )
    response = _get(client, world, "dispatcher", f"/appeals/{second.id}/duplicates")
    assert response.status_code == 200
    found = response.json()
    assert [d["number"] for d in found] == [first.number]
    assert 0 < found[0]["score"] < 0.9
    response = _post(client, world, "dispatcher", f"/appeals/{first.id}/auto-route", {})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["action"] == "dispatch"
    assert body["status"] == "dispatched"
    assert "智能派单" in body["reason"]
    session.expire_all()
    routed = session.get(Appeal, first.id)
    assert routed is not None
    assert routed.category == "040101"  # the classified category, recorded with the dispatch
    again = _post(client, world, "dispatcher", f"/appeals/{first.id}/auto-route", {})
    assert again.json()["action"] == "manual"
    assert (
        _post(client, world, "street_a", f"/appeals/{first.id}/auto-route", {}).status_code == 403
    )


def test_feedback_and_queue(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(
        session, world=world, now=now, status=S.PENDING_DISPATCH, title="垃圾", content="垃圾没人收"
    )
    queue = _get(client, world, "dispatcher", "/queue").json()
    assert [q["appeal_id"] for q in queue] == [appeal.id]
    response = _post(
        client, world, "dispatcher", f"/appeals/{appeal.id}/feedback", {"chosen_code": "010102"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["predicted_label"], body["chosen_code"]) == (GARBAGE, "010102")
    assert session.scalar(select(func.count()).select_from(DispatchFeedback)) == 1
    bad = _post(client, world, "dispatcher", f"/appeals/{appeal.id}/feedback", {"chosen_code": "9"})
    assert bad.status_code == 422
    unknown = {"chosen_code": "999999"}
    assert (
        _post(client, world, "dispatcher", f"/appeals/{appeal.id}/feedback", unknown).status_code
        == 422
    )


def test_catalogue_read_edit_export_import(client: TestClient, world: World) -> None:
    items = _get(client, world, "street_a", "/catalogue", level=2, parent_code="04").json()
    assert {i["code"] for i in items} >= {"0401", "0403"}
    assert _get(client, world, "street_a", "/catalogue/040301").json()["default_level"] == "L1"
    assert _get(client, world, "street_a", "/catalogue/999999").status_code == 404
    new_item = {
        "code": "010199",
        "parent_code": "0101",
        "name": "楼道堆物",
        "owner_rule": "street",
        "keywords": ["楼道", "堆物"],
    }
    response = _post(client, world, "admin", "/catalogue", new_item)
    assert response.status_code == 201, response.text
    assert response.json()["keywords"] == "楼道;堆物"
    patch = client.patch(
        f"{BASE}/catalogue/060101",
        json={"owner_rule": "street", "owner_unit": ""},
        headers=world["admin"].headers,
    )
    assert patch.status_code == 422
    assert "下派" in patch.json()["detail"]
    patch = client.patch(
        f"{BASE}/catalogue/010199", json={"is_active": False}, headers=world["admin"].headers
    )
    assert patch.status_code == 200
    assert patch.json()["is_active"] is False
    empty = client.patch(f"{BASE}/catalogue/010199", json={}, headers=world["admin"].headers)
    assert empty.status_code == 422
    bad_code = {**new_item, "code": "1"}
    assert _post(client, world, "admin", "/catalogue", bad_code).status_code == 422

    exported = _get(client, world, "dispatcher", "/catalogue/export", format="xlsx")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/vnd.openxmlformats")
    csv_file = _get(client, world, "dispatcher", "/catalogue/export", format="csv")
    assert csv_file.content.decode("utf-8-sig").startswith("# version:")
    response = client.post(
        f"{BASE}/catalogue/import",
        files={"file": ("catalogue.xlsx", exported.content)},
        headers=world["admin"].headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 0
    bad = client.post(
        f"{BASE}/catalogue/import",
        files={"file": ("c.csv", b"code,name,owner_rule\n01,,none\n")},
        data={"version": "x1"},
        headers=world["admin"].headers,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"]
    wrong_type = client.post(
        f"{BASE}/catalogue/import",
        files={"file": ("c.pdf", b"%PDF")},
        headers=world["admin"].headers,
    )
    assert wrong_type.status_code == 422
    forbidden = client.post(
        f"{BASE}/catalogue/import",
        files={"file": ("catalogue.xlsx", exported.content)},
        headers=world["dispatcher"].headers,
    )
    assert forbidden.status_code == 403
