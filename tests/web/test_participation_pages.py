"""Participation pages: render for residents and staff, forms post with the CSRF token,
refused input re-renders with 422/409, scope is respected, the certificate prints."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Session
from tests.builders.participation import (
    PWorld,
    make_consultation,
    make_order_setup,
    make_pworld,
)

from civicgrid.participation.consultations import queries
from civicgrid.participation.consultations import states as st
from civicgrid.participation.consultations.models import Consultation, ConsultationVote
from civicgrid.participation.projects import service as ps
from civicgrid.participation.volunteers import service as vs
from civicgrid.participation.volunteers.models import ServiceOrder

PASSWORD = "Passw0rd!x"
A1 = "110105001001"


@pytest.fixture
def pworld(session: Session, now: datetime) -> PWorld:
    w = make_pworld(session, now=now)
    session.commit()
    return w


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def login(client: TestClient, username: str) -> str:
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    return _csrf(client.get("/").text)


def _count(session: Session, model: type[object]) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_anonymous_visitors_are_sent_to_login(client: TestClient) -> None:
    r = client.get("/participation/consultations", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")


def test_resident_sees_and_votes_with_csrf(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now, status=st.ConsultationStatus.NOTICED)
    session.commit()
    token = login(client, pworld["王芳"].actor.username)
    page = client.get("/participation/consultations")
    assert page.status_code == 200
    assert "3号楼加装电梯" in page.text
    detail = client.get(f"/participation/consultations/{c.id}")
    assert "投票" in detail.text
    option = re.search(r'name="option_id" value="(\d+)"', detail.text)
    assert option
    # without the CSRF token the post is refused and nothing is stored
    r = client.post(
        f"/participation/consultations/{c.id}/vote", data={"option_id": option.group(1)}
    )
    assert r.status_code == 403
    assert _count(session, ConsultationVote) == 0
    r = client.post(
        f"/participation/consultations/{c.id}/vote",
        data={"option_id": option.group(1), "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert _count(session, ConsultationVote) == 1
    after = client.get(r.headers["location"])
    assert "我的选择" in after.text
    assert 'name="option_id" value=' not in after.text.split("我的表决")[0][-10:]


def test_a_second_vote_re_renders_with_409(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now, status=st.ConsultationStatus.NOTICED)
    token = login(client, pworld["王芳"].actor.username)
    detail_page = client.get(f"/participation/consultations/{c.id}").text
    found = re.search(r'name="option_id" value="(\d+)"', detail_page)
    assert found
    option = int(found.group(1))
    client.post(
        f"/participation/consultations/{c.id}/vote", data={"option_id": option, "csrf_token": token}
    )
    r = client.post(
        f"/participation/consultations/{c.id}/vote", data={"option_id": option, "csrf_token": token}
    )
    assert r.status_code == 409
    assert "只能投一票" in r.text
    assert _count(session, ConsultationVote) == 1


def test_staff_propose_form_422_then_success(
    client: TestClient, pworld: PWorld, session: Session
) -> None:
    token = login(client, pworld.staff_a1.username)
    page = client.get("/participation/consultations")
    assert "提出议题" in page.text
    r = client.post(
        "/participation/consultations",
        data={
            "title": "噪音",
            "topic": "夜间施工",
            "region_code": A1,
            "source": "hot_problem",
            "csrf_token": token,
        },
    )
    assert r.status_code == 422
    assert "热点" in r.text
    assert 'value="噪音"' in r.text  # the typed input is kept
    assert _count(session, Consultation) == 0
    r = client.post(
        "/participation/consultations",
        data={
            "title": "噪音",
            "topic": "夜间施工",
            "region_code": A1,
            "source": "staff",
            "options": "限时施工\n停工",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    detail = client.get(r.headers["location"])
    assert "限时施工" in detail.text
    assert "发布公告" in detail.text


def test_staff_of_another_community_get_404_page(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now)
    session.commit()
    token = login(client, pworld.staff_a2.username)
    assert (
        client.get(
            f"/participation/consultations/{c.id}", headers={"accept": "text/html"}
        ).status_code
        == 404
    )
    r = client.post(
        f"/participation/consultations/{c.id}/cancel",
        data={"reason": "x", "csrf_token": token},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 404


def test_staff_walk_a_consultation_through_the_page_forms(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now)
    session.commit()
    token = login(client, pworld.staff_a1.username)
    base = f"/participation/consultations/{c.id}"

    def post(action: str, **data: str) -> int:
        r = client.post(
            f"{base}/{action}", data={**data, "csrf_token": token}, follow_redirects=False
        )
        return int(r.status_code)

    assert post("notice", notice_text="开会") == 422  # no participants yet
    assert post("participant", category="party_org", name="书记") == 303
    assert post("notice", notice_text="周五开会") == 303
    assert (
        post(
            "meeting",
            held_at="2026-11-24T09:59",
            place="议事厅",
            attendee_count="9",
            minutes="纪要",
        )
        == 422
    )  # earlier than the notice
    assert (
        post(
            "meeting",
            held_at="2026-11-24T10:00",
            place="议事厅",
            attendee_count="9",
            minutes="纪要",
        )
        == 303
    )
    assert post("resolve", resolution="同意") == 303
    assert post("implement") == 422  # no task yet
    assert post("task", title="招标", assignee="物业") == 303
    assert post("implement") == 303
    assert post("nonsense") == 404
    session.expire_all()
    assert session.get(Consultation, c.id).status == "implementing"  # type: ignore[union-attr]


def test_resident_orders_from_the_phone_form(
    client: TestClient, pworld: PWorld, session: Session
) -> None:
    token = login(client, pworld["王芳"].actor.username)
    page = client.get("/participation/orders")
    assert page.status_code == 200
    assert "建国里社区" in page.text
    r = client.post(
        "/participation/orders", data={"region_code": A1, "title": "", "csrf_token": token}
    )
    assert r.status_code == 422
    assert _count(session, ServiceOrder) == 0
    r = client.post(
        "/participation/orders",
        data={"region_code": A1, "title": "陪同就医", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "陪同就医" in client.get(r.headers["location"]).text
    assert "陪同就医" in client.get("/participation/orders").text


def test_volunteer_takes_records_and_resident_confirms_then_certificate_prints(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    setup = make_order_setup(session, pworld, now=now)
    session.commit()
    oid = setup.order.id
    token = login(client, setup.volunteer_actor.username)
    assert "接单" in client.get(f"/participation/orders/{oid}").text
    r = client.post(
        f"/participation/orders/{oid}/take", data={"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    r = client.post(f"/participation/orders/{oid}/take", data={"csrf_token": token})
    assert r.status_code == 409
    bad = {
        "started_at": "2026-11-24T09:00",
        "ended_at": "2026-11-24T08:00",
        "travel_minutes": "0",
        "csrf_token": token,
    }
    r = client.post(f"/participation/orders/{oid}/record", data=bad)
    assert r.status_code == 422
    assert "结束时间必须晚于开始时间" in r.text
    good = {**bad, "ended_at": "2026-11-24T09:50", "travel_minutes": "20"}
    assert (
        client.post(
            f"/participation/orders/{oid}/record", data=good, follow_redirects=False
        ).status_code
        == 303
    )
    client.cookies.clear()
    token = login(client, pworld["王芳"].actor.username)
    page = client.get(f"/participation/orders/{oid}")
    assert "0.5 小时" in page.text
    assert (
        client.post(
            f"/participation/orders/{oid}/confirm",
            data={"csrf_token": token},
            follow_redirects=False,
        ).status_code
        == 303
    )
    client.cookies.clear()
    token = login(client, pworld.staff_a1.username)
    ledger = client.get("/participation/volunteers")
    assert ledger.status_code == 200
    assert "0.5" in ledger.text
    r = client.post(
        f"/participation/volunteers/{setup.volunteer.id}/certificate",
        data={"signer": "张书记", "handler": "刘干事", "contact": "010-6500", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    cert = client.get(r.headers["location"])
    assert cert.status_code == 200
    assert "志愿服务证明" in cert.text
    assert "ZM110105001001-2026-0001" in cert.text
    client.cookies.clear()
    login(client, setup.volunteer_actor.username)
    own = client.get("/participation/orders").text
    assert "<strong>0.5</strong> 小时" in own
    assert "ZM110105001001-2026-0001" in own
    assert client.get(r.headers["location"]).status_code == 200
    assert "@media print" in cert.text
    assert "建国里社区居民委员会" in cert.text


def test_staff_assign_page_and_other_community_cannot(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    setup = make_order_setup(session, pworld, now=now, assign=False)
    session.commit()
    token = login(client, pworld.staff_a1.username)
    page = client.get("/participation/orders")
    assert setup.order.number in page.text
    assert "派单" in client.get(f"/participation/orders/{setup.order.id}").text
    r = client.post(
        f"/participation/orders/{setup.order.id}/assign", data={"team_id": "", "csrf_token": token}
    )
    assert r.status_code == 422
    r = client.post(
        f"/participation/orders/{setup.order.id}/assign",
        data={"team_id": str(setup.team.id), "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    client.cookies.clear()
    login(client, pworld.staff_a2.username)
    assert setup.order.number not in client.get("/participation/orders").text
    assert (
        client.get(
            f"/participation/orders/{setup.order.id}", headers={"accept": "text/html"}
        ).status_code
        == 404
    )


def test_residents_cannot_open_staff_ledgers(client: TestClient, pworld: PWorld) -> None:
    login(client, pworld["王芳"].actor.username)
    assert (
        client.get("/participation/volunteers", headers={"accept": "text/html"}).status_code == 403
    )
    assert client.get("/participation/projects", headers={"accept": "text/html"}).status_code == 403


def test_projects_page_and_application_form(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    vs.create_team(session, region_code=A1, name="绿色环保队", actor=pworld.staff_a1, now=now)
    session.commit()
    token = login(client, pworld.staff_a1.username)
    assert "申报项目" in client.get("/participation/projects").text
    r = client.post(
        "/participation/projects",
        data={
            "region_code": A1,
            "year": "2027",
            "title": "楼道照明",
            "applicant": "居委会",
            "budget_yuan": "abc",
            "csrf_token": token,
        },
    )
    assert r.status_code == 422
    assert "格式错误" in r.text
    r = client.post(
        "/participation/projects",
        data={
            "region_code": A1,
            "year": "2027",
            "title": "楼道照明",
            "applicant": "居委会",
            "budget_yuan": "1,500.5",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "1500.50" in client.get("/participation/projects").text


def test_resident_registers_as_volunteer_from_the_orders_page(
    client: TestClient, pworld: PWorld, session: Session
) -> None:
    token = login(client, pworld["王芳"].actor.username)
    assert "成为志愿者" in client.get("/participation/orders").text
    r = client.post(
        "/participation/join",
        data={"region_code": "110105001002", "name": "王芳", "csrf_token": token},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 403  # not her community
    r = client.post(
        "/participation/join",
        data={"region_code": A1, "name": "王芳", "skills": "理发、陪护", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get("/participation/orders").text
    assert "志愿者接单（V110105001001-00001）" in page
    r = client.post(
        "/participation/join", data={"region_code": A1, "name": "王芳", "csrf_token": token}
    )
    assert r.status_code == 409


def test_staff_ledger_forms_team_link_and_activity(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    setup = make_order_setup(session, pworld, now=now)
    session.commit()
    token = login(client, pworld.staff_a1.username)
    assert "登记活动服务记录" in client.get("/participation/volunteers").text

    def post(action: str, **data: str) -> int:
        r = client.post(
            f"/participation/volunteers/{action}",
            data={**data, "csrf_token": token},
            follow_redirects=False,
        )
        return int(r.status_code)

    assert post("team", region_code=A1, name="黄色巡逻队") == 303
    assert post("team", region_code=A1, name="黄色巡逻队") == 409
    assert post("party_org", region_code=A1, name="某局机关党支部") == 303
    assert post("link", username="nobody", resident_id="1") == 422
    activity = {
        "volunteer_id": str(setup.volunteer.id),
        "activity": "社区义诊",
        "started_at": "2026-11-23T09:00",
        "ended_at": "2026-11-23T11:00",
    }
    assert post("activity", **activity) == 303
    assert post("activity", **{**activity, "started_at": "2026-11-23T10:00"}) == 409  # overlap
    assert (
        post(
            "activity",
            **{
                **activity,
                "travel_minutes": "-5",
                "started_at": "2026-11-22T09:00",
                "ended_at": "2026-11-22T10:00",
            },
        )
        == 422
    )
    assert post("whatever") == 404
    assert "黄色巡逻队" in client.get("/participation/volunteers").text


def test_project_steps_from_the_projects_page(
    client: TestClient, pworld: PWorld, session: Session
) -> None:
    token = login(client, pworld.staff_a1.username)

    def post(path: str, **data: str) -> int:
        r = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
        return int(r.status_code)

    assert (
        post(
            "/participation/projects",
            region_code=A1,
            year="2027",
            title="助餐点",
            applicant="居委会",
            budget_yuan="1000",
        )
        == 303
    )
    page = client.get("/participation/projects").text
    found = re.search(r"/participation/projects/(\d+)/approve", page)
    assert found
    base = f"/participation/projects/{found.group(1)}"
    assert post(f"{base}/reject") == 422  # a rejection needs a reason
    assert post(f"{base}/approve") == 303
    assert post(f"{base}/claim", claimed_by="幸福物业") == 303
    assert post(f"{base}/claim", claimed_by="别家") == 409
    assert post(f"{base}/start") == 303
    assert post(f"{base}/expense", amount_yuan="1000.01", spent_on="2026-11-20", note="超支") == 422
    assert post(f"{base}/expense", amount_yuan="800", spent_on="2026-11-20", note="餐具") == 303
    assert post(f"{base}/complete", outcome="服务 500 人次") == 303
    assert post(f"{base}/evaluate", score="95", evaluation="很好") == 303
    assert "800.00" in client.get("/participation/projects").text


def _queries_for(client: TestClient, connection: Connection, path: str) -> int:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", count)
    return len(statements)


def test_list_pages_do_not_grow_queries_with_rows(
    client: TestClient, pworld: PWorld, session: Session, now: datetime, connection: Connection
) -> None:
    make_consultation(session, pworld, now=now)
    setup = make_order_setup(session, pworld, now=now)
    session.commit()
    login(client, pworld.staff_a1.username)
    few = {
        p: _queries_for(client, connection, p)
        for p in (
            "/participation/consultations",
            "/participation/orders",
            "/participation/volunteers",
        )
    }
    for _ in range(4):
        make_consultation(session, pworld, now=now)
        vs.place_order(
            session,
            data=vs.NewOrder(region_code=A1, title="助餐"),
            actor=pworld["王芳"].actor,
            now=now,
        )
        vs.register_volunteer(
            session,
            data=vs.NewVolunteer(region_code=A1, name="新志愿者", team_id=setup.team.id),
            actor=pworld.staff_a1,
            now=now,
        )
    session.commit()
    many = {p: _queries_for(client, connection, p) for p in few}
    assert many == few


def test_staff_revise_participants_and_options_before_the_notice(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now)
    session.commit()
    token = login(client, pworld.staff_a1.username)
    base = f"/participation/consultations/{c.id}"

    def post(action: str, **data: str) -> int:
        r = client.post(
            f"{base}/{action}", data={**data, "csrf_token": token}, follow_redirects=False
        )
        return int(r.status_code)

    assert post("participant", category="unit", name="张三") == 303
    page = client.get(base).text
    participant = re.search(r'name="participant_id" value="(\d+)"', page)
    option = re.search(r'name="option_id" value="(\d+)"', page)
    assert participant
    assert option
    pid, oid = participant.group(1), option.group(1)
    assert post("participant_edit", participant_id=pid, category="nonsense", name="李四") == 422
    assert post("participant_edit", participant_id=pid, category="property", name="李四") == 303
    assert post("option_edit", option_id=oid, label="暂缓") == 409  # the other option's label
    assert post("option_edit", option_id=oid, label="加装电梯（分摊）") == 303
    page = client.get(f"{base}?done=option_edit").text
    assert "李四" in page
    assert "加装电梯（分摊）" in page
    assert post("participant_remove", participant_id=pid) == 303
    assert post("option_remove", option_id=oid) == 303
    assert post("option_remove", option_id="x") == 422
    page = client.get(base).text
    assert "李四" not in page
    assert "加装电梯（分摊）" not in page
    # once the notice is out the forms are gone and a post is refused with 409
    assert post("participant", category="party_org", name="书记") == 303
    assert post("notice", notice_text="周五开会") == 303
    page = client.get(base).text
    assert "/option_edit" not in page
    assert "/participant_remove" not in page
    remaining = queries.options_of(session, c.id)[0]
    r = client.post(
        f"{base}/option_remove",
        data={"option_id": str(remaining.id), "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 409
    assert "公告发布后" in r.text


def test_project_detail_page_shows_spending_and_steps_come_back_to_it(
    client: TestClient, pworld: PWorld, session: Session
) -> None:
    token = login(client, pworld.staff_a1.username)

    def post(path: str, **data: str) -> Response:
        response: Response = client.post(
            path, data={**data, "csrf_token": token}, follow_redirects=False
        )
        return response

    r = post(
        "/participation/projects",
        region_code=A1,
        year="2027",
        title="助老餐桌",
        applicant="居委会",
        budget_yuan="1000",
        description="为独居老人送餐",
    )
    assert r.status_code == 303
    found = re.search(
        r'href="/participation/projects/(\d+)"', client.get(r.headers["location"]).text
    )
    assert found
    base = f"/participation/projects/{found.group(1)}"
    page = client.get(base)
    assert page.status_code == 200
    assert "为独居老人送餐" in page.text
    assert 'name="from" value="detail"' in page.text
    r = post(f"{base}/approve", **{"from": "detail"})
    assert r.status_code == 303
    assert r.headers["location"] == f"{base}?done=approve"
    assert post(f"{base}/claim", claimed_by="幸福物业", **{"from": "detail"}).status_code == 303
    assert post(f"{base}/start", **{"from": "detail"}).status_code == 303
    refused = post(
        f"{base}/expense",
        amount_yuan="2000",
        spent_on="2026-11-20",
        note="超支",
        **{"from": "detail"},
    )
    assert refused.status_code == 422
    assert "为独居老人送餐" in refused.text  # the detail page again, with the message
    ok = post(
        f"{base}/expense",
        amount_yuan="300",
        spent_on="2026-11-20",
        note="餐具",
        **{"from": "detail"},
    )
    assert ok.status_code == 303
    page = client.get(base).text
    assert "餐具" in page
    assert "300.00" in page
    assert "幸福物业" in page


def test_project_detail_page_scope_and_roles(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    project = ps.apply(
        session,
        region_code=A1,
        year=2027,
        title="助餐点",
        applicant="居委会",
        budget_fen=100_000,
        actor=pworld.staff_a1,
        now=now,
    )
    session.commit()
    login(client, pworld.staff_a2.username)
    assert client.get(f"/participation/projects/{project.id}").status_code == 404
    client.cookies.clear()
    login(client, pworld["王芳"].actor.username)
    assert client.get(f"/participation/projects/{project.id}").status_code == 403
