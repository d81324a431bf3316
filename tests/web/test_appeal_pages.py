"""Appeal pages: intake, inbox, detail with one form per allowed action, and the dispatcher's
queue — full pages and htmx fragments, 422 re-renders, CSRF and role checks, query pins."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.web.conftest import HX, LoginAs, assert_max_queries

from civicgrid.appeals import queries, service
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.self_service_rules import TrackingProof
from civicgrid.appeals.states import AppealStatus, Satisfaction
from civicgrid.config import Settings
from civicgrid.dispatch.artifacts import save_model
from civicgrid.dispatch.catalogue import load_default_catalogue
from civicgrid.dispatch.classifier import train

INTAKE = {
    "channel": "hotline",
    "appeal_type": "complaint",
    "level": "general",
    "title": "楼道堆放杂物",
    "content": "3号楼楼道长期堆放杂物，存在消防隐患。",
    "caller_name": "李四",
    "caller_phone": "13900001111",
    "address": "建国里3号楼",
}


def _appeal_status(session: Session, world: World, appeal_id: int) -> str:
    session.expire_all()
    return queries.by_id_for(session, world.actor("admin"), appeal_id).status


# --- intake -----------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client: TestClient) -> None:
    r = client.get("/appeals/new", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


def test_intake_form_renders_for_an_operator(client: TestClient, login: LoginAs) -> None:
    login("operator")
    r = client.get("/appeals/new")
    assert r.status_code == 200
    assert "诉求受理" in r.text
    assert 'name="lon"' in r.text
    assert 'name="lat"' in r.text
    assert 'name="csrf_token"' in r.text
    assert "<html" in r.text


def test_intake_is_forbidden_for_a_street_handler(client: TestClient, login: LoginAs) -> None:
    login("street_a")
    r = client.get("/appeals/new")
    assert r.status_code == 403
    assert "没有权限" in r.text


def test_intake_records_the_appeal_and_redirects_to_it(
    client: TestClient, login: LoginAs, session: Session, world: World
) -> None:
    csrf = login("operator")
    r = client.post("/appeals/new", data={**INTAKE, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    location = r.headers["location"]
    assert location.endswith("?done=submit")
    page = client.get(location)
    assert page.status_code == 200
    assert "诉求已登记" in page.text
    assert "楼道堆放杂物" in page.text
    # Centre staff see the caller masked by default.
    assert "李*" in page.text
    assert "139****1111" in page.text
    assert "13900001111" not in page.text


def test_intake_with_missing_content_rerenders_with_422_and_keeps_the_input(
    client: TestClient, login: LoginAs
) -> None:
    csrf = login("operator")
    r = client.post("/appeals/new", data={**INTAKE, "content": "  ", "csrf_token": csrf})
    assert r.status_code == 422
    assert "请填写诉求标题和内容" in r.text
    assert 'value="楼道堆放杂物"' in r.text
    assert 'value="13900001111"' in r.text


def test_intake_with_unreadable_coordinates_is_422(client: TestClient, login: LoginAs) -> None:
    csrf = login("operator")
    r = client.post(
        "/appeals/new", data={**INTAKE, "lon": "东经116", "lat": "39.9", "csrf_token": csrf}
    )
    assert r.status_code == 422
    assert "经纬度须为数字" in r.text
    assert 'value="东经116"' in r.text


def test_intake_without_csrf_token_is_403(client: TestClient, login: LoginAs) -> None:
    login("operator")
    r = client.post("/appeals/new", data=INTAKE)
    assert r.status_code == 403


def test_classification_suggestions_without_a_model_say_so(
    client: TestClient, login: LoginAs
) -> None:
    csrf = login("operator")
    r = client.post("/appeals/new", data={**INTAKE, "suggest": "1", "csrf_token": csrf}, headers=HX)
    assert r.status_code == 200
    assert 'id="suggestions"' in r.text
    assert "分类模型尚未训练" in r.text
    assert "<html" not in r.text


# --- detail and actions -----------------------------------------------------------------------


def test_detail_shows_only_the_actions_the_workflow_allows(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    login("street_a")
    r = client.get(f"/appeals/{appeal.id}")
    assert r.status_code == 200
    assert f"/appeals/{appeal.id}/actions/sign" in r.text
    assert f"/appeals/{appeal.id}/actions/request_return" in r.text
    assert f"/appeals/{appeal.id}/actions/dispatch" not in r.text
    assert f"/appeals/{appeal.id}/actions/callback_close" not in r.text
    assert "办理时间线" in r.text
    assert "派单" in r.text


def test_detail_of_an_appeal_outside_the_scope_is_404(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    login("street_b")
    r = client.get(f"/appeals/{appeal.id}")
    assert r.status_code == 404


def test_dispatch_form_post_redirects_with_a_flash(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.RECEIVED, now=now)
    csrf = login("dispatcher")
    kind, unit_id = world.street_a
    r = client.post(
        f"/appeals/{appeal.id}/actions/dispatch",
        data={"lead": f"{kind}:{unit_id}", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/appeals/{appeal.id}?done=dispatch"
    assert _appeal_status(session, world, appeal.id) == "dispatched"
    page = client.get(r.headers["location"])
    assert "已完成操作：派单" in page.text
    assert "建外街道（主办）" in page.text


def test_htmx_action_returns_the_detail_fragment(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    csrf = login("street_a")
    r = client.post(f"/appeals/{appeal.id}/actions/sign", data={"csrf_token": csrf}, headers=HX)
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<div id="appeal-detail">')
    assert "<html" not in r.text
    assert "已签收" in r.text
    assert f"/appeals/{appeal.id}/actions/contact" in r.text


def test_missing_reason_rerenders_the_form_with_422_and_keeps_other_fields(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.IN_PROGRESS, now=now)
    csrf = login("street_a")
    due = (now + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(
        f"/appeals/{appeal.id}/actions/request_extension",
        data={"text": " ", "new_due_at": due, "csrf_token": csrf},
    )
    assert r.status_code == 422
    assert "需要填写延期理由" in r.text
    assert f'value="{due}"' in r.text
    assert _appeal_status(session, world, appeal.id) == "in_progress"


def test_callback_closes_the_appeal(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    csrf = login("operator")
    r = client.post(
        f"/appeals/{appeal.id}/actions/callback_close",
        data={"resolved": "1", "satisfaction": "satisfied", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert _appeal_status(session, world, appeal.id) == "closed"


def test_callback_without_a_rating_is_422(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    csrf = login("operator")
    r = client.post(
        f"/appeals/{appeal.id}/actions/callback_close",
        data={"resolved": "1", "csrf_token": csrf},
    )
    assert r.status_code == 422
    assert "满意度" in r.text


def test_supervisor_marks_an_appeal_unreasonable_from_the_detail_page(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    csrf = login("supervisor")
    page = client.get(f"/appeals/{appeal.id}")
    assert f"/appeals/{appeal.id}/actions/mark_unreasonable" in page.text
    r = client.post(
        f"/appeals/{appeal.id}/actions/mark_unreasonable",
        data={"text": "诉求人要求违反政策规定，已解释", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    session.expire_all()
    stored = session.get(Appeal, appeal.id)
    assert stored is not None
    assert stored.excluded_from_rates is True
    assert stored.status == "replied"


def test_action_not_allowed_for_the_role_is_refused(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    csrf = login("operator")
    r = client.post(f"/appeals/{appeal.id}/actions/sign", data={"csrf_token": csrf})
    assert r.status_code == 403
    assert _appeal_status(session, world, appeal.id) == "dispatched"


def test_action_without_csrf_is_403(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    login("street_a")
    r = client.post(f"/appeals/{appeal.id}/actions/sign", data={})
    assert r.status_code == 403
    assert _appeal_status(session, world, appeal.id) == "dispatched"


# --- inbox ------------------------------------------------------------------------------------


def test_inbox_lists_the_units_appeals_with_deadline_badges(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    login("street_a")
    r = client.get("/appeals/inbox")
    assert r.status_code == 200
    assert appeal.number in r.text
    assert "响应时限" in r.text
    assert 'class="badge green"' in r.text


def test_inbox_overdue_filter_and_htmx_fragment(
    client: TestClient,
    login: LoginAs,
    session: Session,
    world: World,
    now: datetime,
) -> None:
    late = make_appeal(
        session, world=world, status=AppealStatus.DISPATCHED, now=now - timedelta(days=3)
    )
    fresh = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    login("street_a")
    r = client.get("/appeals/inbox?overdue=1", headers=HX)
    assert r.status_code == 200
    assert "<html" not in r.text
    assert 'id="inbox-results"' in r.text
    assert late.number in r.text
    assert fresh.number not in r.text
    assert "超期" in r.text
    red = client.get("/appeals/inbox?warning=red")
    assert late.number in red.text
    assert fresh.number not in red.text


def test_inbox_with_an_unknown_status_is_422(client: TestClient, login: LoginAs) -> None:
    login("street_a")
    assert client.get("/appeals/inbox?status=nonsense").status_code == 422


def test_inbox_is_forbidden_for_residents(client: TestClient, login: LoginAs) -> None:
    login("resident")
    assert client.get("/appeals/inbox").status_code == 403


def test_inbox_query_count_does_not_grow_with_the_rows(
    client: TestClient,
    login: LoginAs,
    session: Session,
    world: World,
    now: datetime,
    connection: Connection,
) -> None:
    for _ in range(6):
        make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    login("street_a")
    with assert_max_queries(connection, 7):
        r = client.get("/appeals/inbox")
    assert r.text.count("/appeals/") >= 6


# --- dispatcher queue -------------------------------------------------------------------------


def test_queue_lists_appeals_waiting_for_dispatch(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    waiting = make_appeal(session, world=world, status=AppealStatus.PENDING_DISPATCH, now=now)
    sent = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    login("dispatcher")
    r = client.get("/dispatch/queue")
    assert r.status_code == 200
    assert waiting.number in r.text
    assert sent.number not in r.text
    assert f'action="/dispatch/queue/{waiting.id}"' in r.text


def test_queue_dispatch_with_htmx_replaces_the_row(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.PENDING_DISPATCH, now=now)
    csrf = login("dispatcher")
    kind, dept = world.department
    r = client.post(
        f"/dispatch/queue/{appeal.id}",
        data={
            "lead": f"{world.street_a[0]}:{world.street_a[1]}",
            "co_units": [f"{kind}:{dept}"],
            "csrf_token": csrf,
        },
        headers=HX,
    )
    assert r.status_code == 200
    assert f'id="queue-row-{appeal.id}"' in r.text
    assert "已派单" in r.text
    assert _appeal_status(session, world, appeal.id) == "dispatched"


def test_queue_dispatch_without_a_lead_unit_is_422_on_the_row(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.PENDING_DISPATCH, now=now)
    csrf = login("dispatcher")
    r = client.post(
        f"/dispatch/queue/{appeal.id}",
        data={"text": "请尽快处理", "csrf_token": csrf},
        headers=HX,
    )
    assert r.status_code == 422
    assert "请选择主办单位" in r.text
    assert 'value="请尽快处理"' in r.text
    assert "<html" not in r.text


def test_queue_dispatch_without_js_redirects_back_to_the_queue(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.RECEIVED, now=now)
    csrf = login("dispatcher")
    r = client.post(
        f"/dispatch/queue/{appeal.id}",
        data={"lead": f"{world.street_a[0]}:{world.street_a[1]}", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/dispatch/queue?done=dispatch"


def test_queue_is_forbidden_for_operators(client: TestClient, login: LoginAs) -> None:
    login("operator")
    assert client.get("/dispatch/queue").status_code == 403


def test_queue_query_count_does_not_grow_with_the_rows(
    client: TestClient,
    login: LoginAs,
    session: Session,
    world: World,
    now: datetime,
    connection: Connection,
) -> None:
    for _ in range(6):
        make_appeal(session, world=world, status=AppealStatus.PENDING_DISPATCH, now=now)
    login("dispatcher")
    # 11: the data scope reads the top-level regions once per request (a post that covers
    # every city needs no filter; a city added later must never be missed, so it is not cached).
    with assert_max_queries(connection, 11):
        r = client.get("/dispatch/queue")
    assert r.status_code == 200


def test_classification_suggestions_come_from_the_trained_model(
    client: TestClient, login: LoginAs, settings: Settings, now: datetime
) -> None:
    leaves = load_default_catalogue().leaves()[:3]
    phrases = [
        ["一直停水，没有自来水用", "水压太低，高层用不上水", "自来水发黄有异味"],
        ["工地夜间施工噪音很大", "楼下酒吧音响太吵，噪声扰民", "凌晨还在施工，机器轰鸣"],
        ["垃圾堆积好几天没人清运", "垃圾桶满了溢出来没人管", "路边堆放大量生活垃圾"],
    ]
    places = ["幸福小区3号楼", "朝阳路和平街口", "花园社区", "河西新村南门"]
    pairs = [
        (f"{place}{text}，请尽快处理。", leaf.code)
        for leaf, texts in zip(leaves, phrases, strict=True)
        for text in texts
        for place in places
    ]
    save_model(train(pairs), {}, models_dir=settings.models_dir, now=now)
    csrf = login("operator")
    r = client.post(
        "/appeals/new",
        data={**INTAKE, "content": "幸福小区3号楼一直停水，没有自来水用", "suggest": "1",
              "csrf_token": csrf},
    )  # fmt: skip
    assert r.status_code == 200
    assert "分类建议" in r.text
    assert f'data-set-category="{leaves[0].code}"' in r.text
    # Without JavaScript the best suggestion is preselected in the category list.
    assert f'<option value="{leaves[0].code}" selected>' in r.text


def test_htmx_refusal_is_marked_as_a_form_fragment(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    csrf = login("street_a")
    r = client.post(
        f"/appeals/{appeal.id}/actions/sign",
        data={"csrf_token": csrf, "expected_version": str(appeal.version - 1)},
        headers=HX,
    )
    assert r.status_code == 409
    assert r.headers["X-Form-Fragment"] == "1"
    assert "工单已被他人修改" in r.text
    assert "<html" not in r.text


def test_street_handler_whistles_departments_from_the_detail_page(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.IN_PROGRESS, now=now)
    csrf = login("street_a")
    page = client.get(f"/appeals/{appeal.id}")
    _kind, dept = world.department
    assert f'name="department_ids" value="{dept}"' in page.text
    r = client.post(
        f"/appeals/{appeal.id}/actions/whistle",
        data={
            "department_ids": [str(dept)],
            "whistle_kind": "daily",
            "text": "占道经营需城管执法",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    detail = client.get(r.headers["location"])
    assert "已完成操作：吹哨" in detail.text
    assert "占道经营需城管执法" in detail.text
    assert _appeal_status(session, world, appeal.id) == "in_progress"


def test_whistle_without_departments_is_422_and_keeps_the_reason(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.IN_PROGRESS, now=now)
    csrf = login("street_a")
    r = client.post(
        f"/appeals/{appeal.id}/actions/whistle",
        data={"text": "需要部门到场", "csrf_token": csrf},
    )
    assert r.status_code == 422
    assert "需要部门到场" in r.text


def test_operator_sees_the_callers_own_rating_on_the_detail_page(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    service.rate_by_caller(
        session,
        appeal_id=appeal.id,
        resolved=False,
        satisfaction=Satisfaction.DISSATISFIED,
        comment="井盖仍然松动",
        proof=TrackingProof(appeal.number, "5678"),
        cipher=world.cipher,
        now=now,
    )
    login("operator")
    page = client.get(f"/appeals/{appeal.id}")
    assert page.status_code == 200
    assert "自助评价" in page.text
    assert "井盖仍然松动" in page.text
    # The operator still calls back: the callback forms are offered, the self-rating is not.
    assert "/actions/callback_close" in page.text
    assert "/actions/self_rate" not in page.text
