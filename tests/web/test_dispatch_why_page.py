"""The dispatch queue's "why" panel: top categories with probabilities and the words that drove
them, the catalogue items under the first level, and the unit the owner rules pick."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.integration.dispatch.helpers import GARBAGE, load_catalogue, train_model
from tests.web.conftest import LoginAs

from civicgrid.appeals.states import AppealStatus
from civicgrid.config import Settings

HX = {"HX-Request": "true"}


def _garbage_appeal(session: Session, world: World, now: datetime) -> int:
    load_catalogue(session, now)
    appeal = make_appeal(
        session,
        world=world,
        status=AppealStatus.PENDING_DISPATCH,
        now=now,
        title="垃圾堆放",
        content="门口垃圾堆放好几天没人清运，味道很大",
    )
    return appeal.id


def test_the_queue_row_offers_the_panel(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal_id = _garbage_appeal(session, world, now)
    login("dispatcher")
    r = client.get("/dispatch/queue")
    assert r.status_code == 200
    assert f'hx-get="/dispatch/queue/{appeal_id}/why"' in r.text
    assert f'href="/dispatch/queue/{appeal_id}/why"' in r.text  # without JavaScript


def test_why_shows_categories_words_items_and_unit(
    client: TestClient,
    login: LoginAs,
    session: Session,
    world: World,
    now: datetime,
    settings: Settings,
) -> None:
    train_model(settings.models_dir, now)
    appeal_id = _garbage_appeal(session, world, now)
    login("dispatcher")
    fragment = client.get(f"/dispatch/queue/{appeal_id}/why", headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    text = fragment.text
    assert "城市管理与市容环境 / 环境卫生 / 暴露垃圾" in text
    assert "依据词语" in text
    assert "<mark" in text
    assert "垃圾" in text.split("依据词语", 1)[1].split("</li>", 1)[0]
    assert "“城市管理与市容环境”下的二、三级事项" in text
    assert f"{GARBAGE} 暴露垃圾" in text
    assert "属地街乡" in text
    assert "承办单位判定" in text
    page = client.get(f"/dispatch/queue/{appeal_id}/why")
    assert page.status_code == 200
    assert "<html" in page.text
    assert "分派依据" in page.text


def test_without_a_model_the_panel_says_so(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal_id = _garbage_appeal(session, world, now)
    login("dispatcher")
    r = client.get(f"/dispatch/queue/{appeal_id}/why", headers=HX)
    assert r.status_code == 200
    assert "分类模型不可用" in r.text
    assert "请人工" in r.text


def test_why_is_for_dispatchers_only(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal_id = _garbage_appeal(session, world, now)
    login("operator")
    assert client.get(f"/dispatch/queue/{appeal_id}/why").status_code == 403
    login("dispatcher")
    assert client.get("/dispatch/queue/999999/why").status_code == 404
