"""The console's action forms take the appeals action table's requests: every field a request
has can be posted from the page, and the fields the page once lacked (the knowledge-base
article of a direct answer, the arrival time of a whistle) work end to end."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.web.conftest import LoginAs

from civicgrid.appeals import actions, knowledge, queries
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action
from civicgrid.web.shared.appeal_actions import ActionFields, form_data, request_for

EVERYTHING = ActionFields(
    text="说明",
    new_due_at="2026-12-01T17:00",
    resolved="1",
    satisfaction="satisfied",
    emergency_line="110",
    merge_target_no="2026120100001",
    lead="region:1",
    co_units=("department:2",),
    level="general",
    department_ids=("3",),
    whistle_kind="tackle",
    arrive_within_minutes="30",
    arrival="4:5",
    knowledge_article_id="6",
    expected_version=7,
    photos=(b"\xff\xd8",),
)


@pytest.mark.parametrize("path", sorted(actions.ENDPOINTS))
def test_every_request_field_can_be_posted_from_the_page(path: str) -> None:
    # An endpoint shared by two actions (callback: close or reopen) is covered by their forms
    # together: the close form's text is the note, the reopen form's the reason.
    rows = [r for r in actions.ROWS if r.path == path]
    posted = set().union(*(form_data(r, EVERYTHING) for r in rows))
    assert set(actions.ENDPOINTS[path].request.model_fields) <= posted


def test_the_form_decides_the_preset_field_of_a_shared_endpoint() -> None:
    reopen = request_for(actions.TABLE[Action.REOPEN], ActionFields(text="未修好", resolved="0"))
    close = request_for(actions.TABLE[Action.CALLBACK_CLOSE], ActionFields(text="好"))
    assert reopen.model_dump()["reopen"] is True
    assert reopen.model_dump()["reason"] == "未修好"
    assert close.model_dump()["reopen"] is False
    assert close.model_dump()["note"] == "好"


def test_direct_answer_from_the_page_cites_the_knowledge_article(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    article = knowledge.create_article(
        session, title="社保卡办理时间", body="工作日9点到17点", actor=world.actor("admin"), now=now
    )
    appeal = make_appeal(session, world=world, status=AppealStatus.RECEIVED, now=now)
    csrf = login("operator")
    page = client.get(f"/appeals/{appeal.id}")
    assert f'<option value="{article.id}">社保卡办理时间</option>' in page.text
    r = client.post(
        f"/appeals/{appeal.id}/actions/answer_directly",
        data={
            "text": "工作日9点到17点",
            "knowledge_article_id": str(article.id),
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    session.expire_all()
    answered = queries.by_id_for(session, world.actor("admin"), appeal.id)
    assert answered.status == AppealStatus.ANSWERED_DIRECTLY.value
    assert answered.knowledge_article_id == article.id


def test_an_unreadable_knowledge_article_is_422_and_nothing_changes(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.RECEIVED, now=now)
    csrf = login("operator")
    r = client.post(
        f"/appeals/{appeal.id}/actions/answer_directly",
        data={"text": "答复", "knowledge_article_id": "第一条", "csrf_token": csrf},
    )
    assert r.status_code == 422
    assert "知识库条目无效" in r.text
    session.expire_all()
    assert queries.by_id_for(session, world.actor("admin"), appeal.id).status == "received"


def test_whistle_from_the_page_keeps_the_arrival_time(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.IN_PROGRESS, now=now)
    csrf = login("street_a")
    assert 'name="arrive_within_minutes"' in client.get(f"/appeals/{appeal.id}").text
    _kind, dept = world.department
    r = client.post(
        f"/appeals/{appeal.id}/actions/whistle",
        data={
            "department_ids": [str(dept)],
            "whistle_kind": "emergency",
            "arrive_within_minutes": "45",
            "text": "暴雨积水需排水集团到场",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    session.expire_all()
    (whistle,) = queries.whistles(session, appeal.id)
    assert whistle.kind == "emergency"
    assert whistle.arrive_by - whistle.called_at == timedelta(minutes=45)
