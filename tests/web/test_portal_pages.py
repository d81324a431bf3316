"""Resident portal: 随手拍 report with photo and location, the resident's own appeals, and
tracking by number + phone tail without login."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from tests.builders.appeals import PNG, World, make_appeal
from tests.web.conftest import HX, LoginAs, assert_max_queries

from civicgrid.appeals import queries
from civicgrid.appeals.channels import Channel
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import AppealStatus

REPORT = {
    "appeal_type": "help",
    "title": "路灯不亮",
    "content": "小区东门路灯连续三晚不亮。",
    "lon": "116.4501",
    "lat": "39.9102",
    "caller_name": "刘洋",
    "caller_phone": "13700002222",
}


def _photo() -> dict[str, tuple[str, bytes, str]]:
    return {"photos": ("lamp.png", PNG, "image/png")}


def test_report_needs_a_login(client: TestClient) -> None:
    r = client.get("/portal/report", follow_redirects=False)
    assert r.status_code == 303
    assert "/login" in r.headers["location"]


def test_report_form_renders_with_map_and_geolocation(client: TestClient, login: LoginAs) -> None:
    login("resident")
    r = client.get("/portal/report")
    assert r.status_code == 200
    assert "随手拍" in r.text
    assert "data-geolocate" in r.text
    assert 'type="file"' in r.text


def test_report_is_recorded_and_shows_the_number(
    client: TestClient, login: LoginAs, session: Session, world: World
) -> None:
    csrf = login("resident")
    r = client.post(
        "/portal/report",
        data={**REPORT, "csrf_token": csrf},
        files=_photo(),
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert "已提交，工单编号" in page.text
    mine = client.get("/portal")
    assert "路灯不亮" in mine.text


def test_report_without_photo_is_422_and_keeps_the_text(client: TestClient, login: LoginAs) -> None:
    csrf = login("resident")
    r = client.post("/portal/report", data={**REPORT, "csrf_token": csrf})
    assert r.status_code == 422
    assert "须附照片" in r.text
    assert 'value="路灯不亮"' in r.text


def test_report_without_phone_is_422(client: TestClient, login: LoginAs) -> None:
    csrf = login("resident")
    r = client.post(
        "/portal/report",
        data={**REPORT, "caller_phone": "", "csrf_token": csrf},
        files=_photo(),
    )
    assert r.status_code == 422
    assert "请填写手机号码" in r.text


def test_report_is_forbidden_for_staff(client: TestClient, login: LoginAs) -> None:
    login("operator")
    assert client.get("/portal/report").status_code == 403


def test_track_by_number_and_phone_tail_without_login(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    form = client.get("/portal/track")
    assert form.status_code == 200
    r = client.post("/portal/track", data={"number": appeal.number, "phone_tail": "5678"})
    assert r.status_code == 200
    assert "已办结待回访" in r.text
    assert "已清理占道摊位" in r.text
    assert "评价办理结果" in r.text  # the caller may rate the reply right away
    # Staff names are not shown to the public.
    assert world.actor("street_a").username not in r.text


def test_track_with_a_wrong_phone_tail_finds_nothing(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    r = client.post("/portal/track", data={"number": appeal.number, "phone_tail": "0000"})
    assert r.status_code == 422
    assert "没有找到匹配的诉求" in r.text
    assert appeal.title not in r.text


def test_track_htmx_returns_the_result_fragment(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    r = client.post(
        "/portal/track", data={"number": appeal.number, "phone_tail": "5678"}, headers=HX
    )
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<section class="card track-result" id="track-result">')
    assert "已派单" in r.text


def test_track_with_malformed_input_is_422(client: TestClient) -> None:
    r = client.post("/portal/track", data={"number": "", "phone_tail": "12"})
    assert r.status_code == 422
    assert "请填写工单编号" in r.text


def test_resident_cannot_open_someone_elses_appeal(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    login("resident")
    assert client.get(f"/portal/appeals/{appeal.id}").status_code == 404
    assert queries.by_id_for(session, world.actor("admin"), appeal.id).status == "dispatched"


# --- self-service rating (自助评价) and tracking limits ----------------------------------------


def _my_replied(session: Session, world: World, now: datetime) -> Appeal:
    appeal = make_appeal(
        session,
        world=world,
        status=AppealStatus.REPLIED,
        now=now,
        by="resident",
        channel=Channel.SNAPSHOT,
        photos=(PNG,),
        lon=116.45,
        lat=39.91,
    )
    session.commit()
    return appeal


def _ratings(session: Session, appeal_id: int) -> int:
    session.expire_all()
    return len(queries.callbacks(session, appeal_id))


def test_resident_rates_the_reply_on_the_appeal_page(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = _my_replied(session, world, now)
    csrf = login("resident")
    page = client.get(f"/portal/appeals/{appeal.id}")
    assert page.status_code == 200
    assert "评价办理结果" in page.text
    assert f'action="/portal/appeals/{appeal.id}/rate"' in page.text
    r = client.post(
        f"/portal/appeals/{appeal.id}/rate",
        data={"resolved": "1", "satisfaction": "satisfied", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    done = client.get(r.headers["location"])
    assert "感谢您的评价" in done.text
    assert "您已评价：已解决，满意" in done.text
    assert "评价办理结果" not in done.text
    session.expire_all()
    assert session.get(Appeal, appeal.id).status == "closed"  # type: ignore[union-attr]


def test_a_second_rating_on_the_portal_is_refused(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = _my_replied(session, world, now)
    csrf = login("resident")
    data = {"resolved": "0", "satisfaction": "dissatisfied", "csrf_token": csrf}
    first = client.post(f"/portal/appeals/{appeal.id}/rate", data=data, follow_redirects=False)
    assert first.status_code == 303
    page = client.get(f"/portal/appeals/{appeal.id}")
    assert "您已评价：未解决，不满意。12345 将与您联系核实办理情况" in page.text
    again = client.post(f"/portal/appeals/{appeal.id}/rate", data=data)
    assert again.status_code == 409
    assert "已评价过" in again.text
    assert _ratings(session, appeal.id) == 1


def test_rating_without_a_choice_is_422_and_keeps_the_comment(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = _my_replied(session, world, now)
    csrf = login("resident")
    r = client.post(
        f"/portal/appeals/{appeal.id}/rate",
        data={"resolved": "1", "comment": "处理很快", "csrf_token": csrf},
    )
    assert r.status_code == 422
    assert "满意度" in r.text
    assert "处理很快" in r.text
    assert _ratings(session, appeal.id) == 0


def test_another_resident_cannot_rate_my_appeal(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = _my_replied(session, world, now)
    csrf = login("resident2")
    r = client.post(
        f"/portal/appeals/{appeal.id}/rate",
        data={"resolved": "1", "satisfaction": "satisfied", "csrf_token": csrf},
    )
    assert r.status_code == 404
    assert _ratings(session, appeal.id) == 0
    session.expire_all()
    assert session.get(Appeal, appeal.id).status == "replied"  # type: ignore[union-attr]


def test_caller_rates_from_the_tracking_page(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    session.commit()
    found = client.post("/portal/track", data={"number": appeal.number, "phone_tail": "5678"})
    assert 'action="/portal/track/rate"' in found.text
    assert f'name="appeal_id" value="{appeal.id}"' in found.text
    proof = {"appeal_id": str(appeal.id), "number": appeal.number}
    wrong = client.post(
        "/portal/track/rate",
        data={**proof, "phone_tail": "0000", "resolved": "1", "satisfaction": "satisfied"},
    )
    assert wrong.status_code == 404
    assert "没有找到匹配的诉求" in wrong.text
    r = client.post(
        "/portal/track/rate",
        data={**proof, "phone_tail": "5678", "resolved": "1", "satisfaction": "fairly_satisfied"},
    )
    assert r.status_code == 200, r.text
    assert "感谢您的评价" in r.text
    assert "您已评价：已解决，基本满意" in r.text
    assert _ratings(session, appeal.id) == 1


def test_tracking_is_refused_with_429_after_five_failures(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    session.commit()
    for _ in range(5):
        r = client.post("/portal/track", data={"number": appeal.number, "phone_tail": "1234"})
        assert r.status_code == 422
    locked = client.post("/portal/track", data={"number": appeal.number, "phone_tail": "5678"})
    assert locked.status_code == 429
    assert "查询失败次数过多" in locked.text
    assert appeal.title not in locked.text


def test_portal_pages_read_the_public_record_in_a_fixed_number_of_statements(
    client: TestClient,
    login: LoginAs,
    session: Session,
    world: World,
    now: datetime,
    connection: Connection,
) -> None:
    """The tracking result and the resident's appeal page keep the statement counts they had
    before their reads moved into appeals.queries (5 and 7)."""
    mine = _my_replied(session, world, now)
    hotline = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    session.commit()
    # + 2: the public look-up counts against the per-address limits (minute and hour windows)
    with assert_max_queries(connection, 5 + 2):
        tracked = client.post(
            "/portal/track", data={"number": hotline.number, "phone_tail": "5678"}
        )
    assert tracked.status_code == 200
    assert "评价办理结果" in tracked.text
    login("resident")
    with assert_max_queries(connection, 7):
        page = client.get(f"/portal/appeals/{mine.id}")
    assert page.status_code == 200
    assert "评价办理结果" in page.text
