"""The Open311 GeoReport v2 server over HTTP, in JSON and XML: discovery, services, filing
requests through the intake of every channel, reading them back with their workflow state,
FixMyStreet's updates, and the protocol's errors for bad input (which store nothing)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_world, submit
from tests.builders.auth import MiniTerritory
from tests.builders.open311 import ADMIN, load_catalogue, make_client
from tests.web.conftest import assert_max_queries

from civicgrid.app import create_app
from civicgrid.appeals import service as appeals_service
from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.audit.models import AuditEntry
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.db import make_session_factory
from civicgrid.open311 import service as open311_service
from civicgrid.open311.models import Open311Request
from civicgrid.register import service as register_service

V2 = "/open311/v2"
SQUARE = [[116.50, 39.90], [116.52, 39.90], [116.52, 39.92], [116.50, 39.92], [116.50, 39.90]]
CALLER = {"first_name": "五", "last_name": "王", "phone": "13800002222", "email": "wang@example.cn"}


class Open311World:
    """The mini-territory with personas, the shipped catalogue, one client application and a
    standard address in grid A1; grid A2 has a boundary so points locate."""

    def __init__(self, session: Session, now: datetime, settings: Settings) -> None:
        self.world: World = make_world(session, now=now, media_root=settings.media_dir)
        grid = self.world.territory.region(MiniTerritory.GRID_A2)
        grid.boundary = json.dumps({"type": "Polygon", "coordinates": [SQUARE]})
        session.commit()
        load_catalogue(session, now)
        self.client, self.key = make_client(session, now)
        self.address = register_service.create_address(
            session,
            grid_code=MiniTerritory.GRID_A1,
            name="建国里8号院",
            lon=116.46,
            lat=39.95,
            actor=ADMIN,
            now=now,
        )

    def form(self, **extra: str) -> dict[str, str]:
        return {
            "api_key": self.key,
            "service_code": "010102",
            "description": "小区门口垃圾桶满了三天没人清运，气味很大。",
            "lat": "39.91",
            "long": "116.51",
            **CALLER,
            **extra,
        }


@pytest.fixture
def o311(session: Session, now: datetime, settings: Settings) -> Open311World:
    return Open311World(session, now, settings)


def _xml(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314 - the server's own output in a test


def _stored(session: Session) -> tuple[int, int, int]:
    """Appeals, Open311 records and timeline events stored."""
    session.expire_all()
    return (
        int(session.scalar(select(func.count()).select_from(Appeal)) or 0),
        int(session.scalar(select(func.count()).select_from(Open311Request)) or 0),
        int(session.scalar(select(func.count()).select_from(TimelineEvent)) or 0),
    )


def _post(client: TestClient, form: dict[str, str], fmt: str = "json") -> Any:
    return client.post(f"{V2}/requests.{fmt}", data=form)


def _file(client: TestClient, o311: Open311World, **extra: str) -> str:
    response = _post(client, o311.form(**extra))
    assert response.status_code == 200, response.text
    number = response.json()[0]["service_request_id"]
    assert isinstance(number, str)
    return number


# --- discovery and services -----------------------------------------------------------------


def test_discovery_names_the_endpoint_in_both_formats(
    client: TestClient, o311: Open311World
) -> None:
    body = client.get("/open311/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] == "production"
    assert body["changeset"].endswith("+00:00")
    response = client.get("/open311/discovery.xml")
    assert response.headers["content-type"].startswith("text/xml")
    root = _xml(response.text)
    assert root.tag == "discovery"
    assert root.findtext("endpoints/endpoint/specification") == endpoint["specification"]
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_services_are_the_catalogue_leaves_with_their_group(
    client: TestClient, o311: Open311World
) -> None:
    services = {s["service_code"]: s for s in client.get(f"{V2}/services.json").json()}
    assert services["010101"] == {
        "service_code": "010101",
        "service_name": "暴露垃圾",
        "description": "城市管理与市容环境 / 环境卫生 / 暴露垃圾",
        "metadata": True,
        "type": "realtime",
        "keywords": "垃圾,堆放,无人清理",
        "group": "城市管理与市容环境",
    }
    assert services["010102"]["metadata"] is False
    assert "01" not in services
    assert "0101" not in services
    root = _xml(client.get(f"{V2}/services.xml").text)
    assert root.tag == "services"
    first = root.find("service")
    assert first is not None
    assert first.findtext("service_code") == min(services)
    assert first.findtext("metadata") in ("true", "false")


def test_a_service_definition_lists_its_attributes(client: TestClient, o311: Open311World) -> None:
    body = client.get(f"{V2}/services/010101.json").json()
    assert body["service_code"] == "010101"
    assert [a["code"] for a in body["attributes"]] == ["site_detail"]
    attribute = body["attributes"][0]
    assert attribute["required"] is True
    assert attribute["datatype"] == "string"
    assert attribute["variable"] is True
    root = _xml(client.get(f"{V2}/services/010101.xml").text)
    assert root.tag == "service_definition"
    assert root.findtext("attributes/attribute/code") == "site_detail"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_404_in_the_protocol_form(
    client: TestClient, o311: Open311World, fmt: str
) -> None:
    response = client.get(f"{V2}/services/999999.{fmt}")
    assert response.status_code == 404
    if fmt == "json":
        [error] = response.json()
        assert error["code"] == 404
        assert "service_code" in error["description"]
    else:
        root = _xml(response.text)
        assert root.tag == "errors"
        assert root.findtext("error/code") == "404"


def test_an_unknown_format_is_404(client: TestClient, o311: Open311World) -> None:
    response = client.get(f"{V2}/services.html")
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404


# --- filing requests ------------------------------------------------------------------------


def test_a_request_goes_through_intake_and_records_its_application(
    client: TestClient, o311: Open311World, session: Session
) -> None:
    response = _post(client, o311.form(account_id="u-42", media_url="https://img.example.cn/1.jpg"))
    assert response.status_code == 200, response.text
    [answer] = response.json()
    assert answer["account_id"] == "u-42"
    assert answer["service_request_id"] in answer["service_notice"]
    session.expire_all()
    appeal = session.scalars(
        select(Appeal).where(Appeal.number == answer["service_request_id"])
    ).one()
    assert appeal.channel == "open311"
    assert appeal.status == "received"
    assert appeal.category == "010102"
    assert appeal.appeal_type == "help"
    assert appeal.region_id == o311.world.region_id(MiniTerritory.GRID_A2)
    assert "https://img.example.cn/1.jpg" in appeal.content
    assert o311.world.cipher.decrypt(appeal.caller_name_enc) == "王五"
    assert o311.world.cipher.decrypt(appeal.caller_phone_enc) == "13800002222"
    record = session.scalars(
        select(Open311Request).where(Open311Request.appeal_id == appeal.id)
    ).one()
    assert record.client_id == o311.client.id
    assert record.service_request_id == appeal.number
    assert record.account_id == "u-42"
    assert o311.world.cipher.decrypt(record.email_enc) == "wang@example.cn"
    event = session.scalars(select(TimelineEvent).where(TimelineEvent.appeal_id == appeal.id)).one()
    assert event.action == "submit"
    assert o311.client.name in event.actor_label
    assert event.actor_user_id is None


def test_a_request_by_address_id_lies_in_that_address_grid(
    client: TestClient, o311: Open311World, session: Session
) -> None:
    form = o311.form(address_id=str(o311.address.id))
    del form["lat"], form["long"]
    response = _post(client, form, "xml")
    assert response.status_code == 200, response.text
    root = _xml(response.text)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    session.expire_all()
    appeal = session.scalars(select(Appeal).where(Appeal.number == number)).one()
    assert appeal.address == "建国里8号院"
    assert appeal.region_id == o311.world.region_id(MiniTerritory.GRID_A1)
    record = session.scalars(
        select(Open311Request).where(Open311Request.appeal_id == appeal.id)
    ).one()
    assert record.address_id == o311.address.id


def test_a_request_by_address_text_waits_for_the_router_to_place_it(
    client: TestClient, o311: Open311World, session: Session
) -> None:
    form = o311.form(address_string="朝阳区建外街道永安里5号")
    del form["lat"], form["long"]
    number = _post(client, form).json()[0]["service_request_id"]
    session.expire_all()
    appeal = session.scalars(select(Appeal).where(Appeal.number == number)).one()
    assert appeal.address == "朝阳区建外街道永安里5号"
    assert appeal.region_id is None


def test_attributes_reach_the_handling_unit_with_the_description(
    client: TestClient, o311: Open311World, session: Session
) -> None:
    number = _file(client, o311, service_code="010101", **{"attribute[site_detail]": "3号楼东侧"})
    session.expire_all()
    appeal = session.scalars(select(Appeal).where(Appeal.number == number)).one()
    assert "具体位置：3号楼东侧" in appeal.content
    record = session.scalars(
        select(Open311Request).where(Open311Request.appeal_id == appeal.id)
    ).one()
    assert record.attributes == {"site_detail": "3号楼东侧"}
    assert record.description == "小区门口垃圾桶满了三天没人清运，气味很大。"


BAD_INPUT: list[tuple[str, dict[str, str | None], int, str]] = [
    ("no key", {"api_key": None}, 403, "api_key"),
    ("wrong key", {"api_key": "o311_wrong"}, 403, "api_key"),
    ("no service code", {"service_code": None}, 400, "service_code"),
    ("unknown service code", {"service_code": "999999"}, 400, "service_code"),
    ("a category, not a service", {"service_code": "0101"}, 400, "service_code"),
    ("no location", {"lat": None, "long": None}, 400, "location"),
    ("lat without long", {"long": None}, 400, "lat"),
    ("lat not a number", {"lat": "north"}, 400, "lat"),
    ("point outside China", {"lat": "-33.9", "long": "18.4"}, 400, "中国"),
    ("no description", {"description": None}, 400, "description"),
    ("description too long", {"description": "字" * 4001}, 400, "4000"),
    ("HTML in description", {"description": "<script>alert(1)</script>"}, 400, "HTML"),
    ("bad e-mail", {"email": "wang-at-example"}, 400, "e-mail"),
    ("media_url not http", {"media_url": "javascript:alert(1)"}, 400, "media_url"),
    (
        "address_id not a number",
        {"address_id": "12a", "lat": None, "long": None},
        400,
        "address_id",
    ),
    ("unknown address_id", {"address_id": "99999", "lat": None, "long": None}, 400, "address_id"),
    ("required attribute missing", {"service_code": "010101"}, 400, "site_detail"),
    ("unknown attribute", {"attribute[colour]": "red"}, 400, "colour"),
    ("long phone", {"phone": "1" * 31}, 400, "phone"),
    ("long account_id", {"account_id": "a" * 101}, 400, "account_id"),
    ("unknown jurisdiction", {"jurisdiction_id": "sh.gov.cn"}, 404, "jurisdiction_id"),
]


@pytest.mark.parametrize(
    ("change", "status", "needle"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_gets_the_protocol_error_and_stores_nothing(
    client: TestClient,
    o311: Open311World,
    session: Session,
    change: dict[str, str | None],
    status: int,
    needle: str,
) -> None:
    form: dict[str, str] = o311.form()
    for key, value in change.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    before = _stored(session)
    response = _post(client, form)
    assert response.status_code == status, response.text
    [error] = response.json()
    assert error["code"] == status
    assert needle in error["description"]
    assert _stored(session) == before
    xml_response = _post(client, form, "xml")
    assert xml_response.status_code == status
    assert _xml(xml_response.text).findtext("error/code") == str(status)
    assert _stored(session) == before


def test_a_json_body_is_refused(client: TestClient, o311: Open311World, session: Session) -> None:
    before = _stored(session)
    response = client.post(f"{V2}/requests.json", json=o311.form())
    assert response.status_code == 400
    assert "form" in response.json()[0]["description"]
    assert _stored(session) == before


def test_a_revoked_key_is_refused(
    client: TestClient, o311: Open311World, session: Session, now: datetime
) -> None:
    open311_service.revoke_client(session, client_id=o311.client.id, actor=ADMIN, now=now)
    before = _stored(session)
    response = _post(client, o311.form())
    assert response.status_code == 403
    assert _stored(session) == before
    assert session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "open311.client.revoke")
    )


def test_each_key_has_its_own_rate_limit(
    client: TestClient, o311: Open311World, session: Session, now: datetime
) -> None:
    _, slow_key = make_client(session, now, name="限速应用", rate_limit=2)
    for _ in range(2):
        assert _post(client, o311.form(api_key=slow_key)).status_code == 200
    before = _stored(session)
    refused = _post(client, o311.form(api_key=slow_key), "xml")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert _xml(refused.text).findtext("error/code") == "429"
    assert _stored(session) == before
    assert _post(client, o311.form()).status_code == 200  # another key is not slowed


def test_staff_cannot_claim_the_open311_channel(client: TestClient, o311: Open311World) -> None:
    body = {
        "channel": "open311",
        "appeal_type": "help",
        "title": "冒充",
        "content": "通过内部接口冒充 Open311 渠道",
    }
    response = client.post("/api/v1/appeals", json=body, headers=o311.world["operator"].headers)
    assert response.status_code == 403


# --- reading requests -----------------------------------------------------------------------


def _walk_to_reply(session: Session, o311: Open311World, number: str, now: datetime) -> Appeal:
    w = o311.world
    appeal = session.scalars(select(Appeal).where(Appeal.number == number)).one()
    appeals_service.accept(session, appeal_id=appeal.id, actor=w.actor("operator"), now=now)
    appeals_service.dispatch(
        session, appeal_id=appeal.id, lead=w.street_a, actor=w.actor("dispatcher"), now=now
    )
    return appeal


def test_a_request_reads_its_workflow_state(
    client: TestClient, o311: Open311World, session: Session, clock: FrozenClock
) -> None:
    number = _file(client, o311)
    first = client.get(f"{V2}/requests/{number}.json").json()[0]
    assert first["status"] == "open"
    assert first["agency_responsible"] == ""
    assert first["status_notes"] == ""
    assert first["service_name"] == "垃圾清运不及时"
    assert first["lat"] == 39.91
    assert first["long"] == 116.51
    later = clock.advance(timedelta(hours=1))
    appeal = _walk_to_reply(session, o311, number, later)
    w = o311.world
    dispatched = client.get(f"{V2}/requests/{number}.json").json()[0]
    assert dispatched["status"] == "open"
    assert dispatched["agency_responsible"] == "建外街道"
    assert dispatched["expected_datetime"] is not None
    assert dispatched["updated_datetime"] == later.isoformat()
    appeals_service.sign(session, appeal_id=appeal.id, actor=w.actor("street_a"), now=later)
    appeals_service.contact(
        session, appeal_id=appeal.id, note="已电话联系王先生", actor=w.actor("street_a"), now=later
    )
    appeals_service.reply(
        session,
        appeal_id=appeal.id,
        text="已安排清运，垃圾桶已清空",
        actor=w.actor("street_a"),
        now=later,
    )
    replied = client.get(f"{V2}/requests/{number}.json").json()[0]
    assert replied["status"] == "closed"
    assert replied["status_notes"] == "已安排清运，垃圾桶已清空"
    root = _xml(client.get(f"{V2}/requests/{number}.xml").text)
    assert root.findtext("request/status") == "closed"
    assert root.findtext("request/agency_responsible") == "建外街道"
    text = client.get(f"{V2}/requests.json").text + client.get(f"{V2}/requests.xml").text
    for secret in ("王五", "13800002222", "wang@example.cn", "王先生", "street_a"):
        assert secret not in text


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_request_is_404(client: TestClient, o311: Open311World, fmt: str) -> None:
    response = client.get(f"{V2}/requests/20261124-9999.{fmt}")
    assert response.status_code == 404


def test_hotline_appeals_never_leave_through_open311(
    client: TestClient, o311: Open311World, session: Session, now: datetime
) -> None:
    hotline = submit(session, o311.world, now=now)
    _file(client, o311)
    listed = [r["service_request_id"] for r in client.get(f"{V2}/requests.json").json()]
    assert hotline.number not in listed
    assert len(listed) == 1
    assert client.get(f"{V2}/requests/{hotline.number}.json").status_code == 404


def test_requests_filter_by_ids_code_status_window_and_page(
    client: TestClient, o311: Open311World, session: Session, clock: FrozenClock
) -> None:
    first = _file(client, o311)
    clock.advance(timedelta(days=1))
    second = _file(client, o311, service_code="010103")
    clock.advance(timedelta(days=1))
    third = _file(client, o311)
    _walk_to_reply(session, o311, third, clock.now())

    def ids(**params: str) -> list[str]:
        response = client.get(f"{V2}/requests.json", params=params)
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in response.json()]

    assert ids() == [third, second, first]
    assert ids(service_code="010103") == [second]
    assert ids(service_code="010102,010103") == [third, second, first]
    assert ids(status="open") == [third, second, first]
    assert ids(status="closed") == []
    assert ids(service_request_id=f"{first},{third}") == [third, first]
    assert ids(service_request_id=first, service_code="010103") == [first]
    day = clock.now() - timedelta(days=1)
    assert ids(start_date=day.isoformat()) == [third, second]
    assert ids(end_date=(day - timedelta(hours=1)).isoformat()) == [first]
    assert ids(page_size="2") == [third, second]
    assert ids(page_size="2", page="2") == [first]
    root = _xml(client.get(f"{V2}/requests.xml", params={"page_size": "1"}).text)
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [third]


BAD_QUERIES: list[tuple[dict[str, str], str]] = [
    ({"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"}, "90"),
    ({"start_date": "2026-11-01T00:00:00"}, "start_date"),
    ({"end_date": "tomorrow"}, "end_date"),
    ({"status": "pending"}, "status"),
    ({"page_size": "0"}, "page_size"),
    ({"page_size": "1001"}, "page_size"),
    ({"page": "x"}, "page"),
    ({"service_request_id": " , "}, "service_request_id"),
    ({"service_request_id": "2026\x001"}, "NUL"),
]


@pytest.mark.parametrize(("params", "needle"), BAD_QUERIES)
def test_bad_query_parameters_are_400(
    client: TestClient, o311: Open311World, params: dict[str, str], needle: str
) -> None:
    for fmt in ("json", "xml"):
        response = client.get(f"{V2}/requests.{fmt}", params=params)
        assert response.status_code == 400, response.text
        if fmt == "json":
            assert needle in response.json()[0]["description"]
        else:
            assert needle in (_xml(response.text).findtext("error/description") or "")
    updates = client.get(f"{V2}/servicerequestupdates.json", params=params)
    refused = "date" in "".join(params) or "\x00" in "".join(params.values())
    assert updates.status_code == (400 if refused else 200)


# --- FixMyStreet updates --------------------------------------------------------------------


def test_updates_follow_the_public_steps_only(
    client: TestClient, o311: Open311World, session: Session, clock: FrozenClock
) -> None:
    number = _file(client, o311)
    start = clock.now()
    later = clock.advance(timedelta(hours=2))
    appeal = _walk_to_reply(session, o311, number, later)
    w = o311.world
    appeals_service.sign(session, appeal_id=appeal.id, actor=w.actor("street_a"), now=later)
    appeals_service.contact(
        session, appeal_id=appeal.id, note="已电话联系王先生", actor=w.actor("street_a"), now=later
    )
    appeals_service.reply(
        session, appeal_id=appeal.id, text="已清运完毕", actor=w.actor("street_a"), now=later
    )
    updates = client.get(
        f"{V2}/servicerequestupdates.json",
        params={"start_date": (start + timedelta(minutes=1)).isoformat()},
    ).json()
    assert [u["status"] for u in updates] == [
        "INVESTIGATING",
        "ACTION_SCHEDULED",
        "ACTION_SCHEDULED",
        "IN_PROGRESS",
        "FIXED",
    ]
    assert {u["service_request_id"] for u in updates} == {number}
    assert updates[-1]["description"] == "已清运完毕"
    assert updates[1]["description"] == "已派单"
    assert all("王先生" not in u["description"] for u in updates)
    assert len({u["update_id"] for u in updates}) == len(updates)
    everything = client.get(f"{V2}/servicerequestupdates.xml").text
    root = _xml(everything)
    assert root.tag == "service_request_updates"
    assert root.findtext("request_update/status") == "OPEN"  # the intake step
    assert len(root.findall("request_update")) == 6


# --- jurisdiction ---------------------------------------------------------------------------


@pytest.fixture
def strict_client(
    connection: Connection, clock: FrozenClock, settings: Settings
) -> Callable[[], TestClient]:
    def build() -> TestClient:
        strict = settings.model_copy(
            update={"open311_jurisdiction_id": "bj.gov.cn", "open311_jurisdiction_required": True}
        )
        app: FastAPI = create_app(
            strict, session_factory=make_session_factory(connection), clock=clock
        )
        return TestClient(app)

    return build


def test_a_required_jurisdiction_must_be_given_and_known(
    strict_client: Callable[[], TestClient], o311: Open311World, session: Session
) -> None:
    with strict_client() as client:
        missing = client.get(f"{V2}/services.json")
        assert missing.status_code == 400
        assert "jurisdiction_id" in missing.json()[0]["description"]
        assert client.get(f"{V2}/services.xml", params={"jurisdiction_id": "x"}).status_code == 404
        assert (
            client.get(f"{V2}/services.json", params={"jurisdiction_id": "bj.gov.cn"}).status_code
            == 200
        )
        before = _stored(session)
        assert _post(client, o311.form()).status_code == 400
        assert _stored(session) == before
        assert _post(client, o311.form(jurisdiction_id="bj.gov.cn")).status_code == 200


# --- statements per list -------------------------------------------------------------------


def test_a_page_of_requests_costs_the_same_statements_whatever_its_size(
    client: TestClient, o311: Open311World, session: Session, connection: Connection
) -> None:
    first = _file(client, o311)
    _walk_to_reply(session, o311, first, o311_now(session, first))
    with assert_max_queries(connection, 10) as one:
        assert len(client.get(f"{V2}/requests.json").json()) == 1
    for _ in range(4):
        number = _file(client, o311)
        _walk_to_reply(session, o311, number, o311_now(session, number))
    with assert_max_queries(connection, 10) as five:
        assert len(client.get(f"{V2}/requests.json").json()) == 5
    assert len(five) == len(one)


def o311_now(session: Session, number: str) -> datetime:
    """When the request was received (the steps after it happen at the same instant)."""
    return session.scalars(select(Appeal.received_at).where(Appeal.number == number)).one()


def test_guessing_keys_is_slowed_down_per_client_address(
    connection: Connection, clock: FrozenClock, settings: Settings, o311: Open311World
) -> None:
    tight = settings.model_copy(update={"throttle_login_ip": "3/minute"})
    app = create_app(tight, session_factory=make_session_factory(connection), clock=clock)
    with TestClient(app) as client:
        for _ in range(5):  # good keys do not count
            assert _post(client, o311.form()).status_code == 200
        for _ in range(3):
            assert _post(client, o311.form(api_key="o311_guess")).status_code == 403
        refused = _post(client, o311.form())
        assert refused.status_code == 429
        assert refused.json()[0]["code"] == 429
        clock.advance(timedelta(minutes=1))
        assert _post(client, o311.form()).status_code == 200


# --- Idempotency-Key ------------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_files_nothing_new(
    client: TestClient, o311: Open311World, session: Session
) -> None:
    form = o311.form()
    headers = {"Idempotency-Key": "app-report-0001"}
    first = client.post(f"{V2}/requests.xml", data=form, headers=headers)
    assert first.status_code == 200, first.text
    stored = _stored(session)
    again = client.post(f"{V2}/requests.xml", data=form, headers=headers)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.text == first.text
    assert _stored(session) == stored
    other = client.post(
        f"{V2}/requests.xml", data=o311.form(description="另一件事：路灯不亮"), headers=headers
    )
    assert other.status_code == 400
    assert _xml(other.text).findtext("error/code") == "400"
    assert _stored(session) == stored
    fresh = client.post(f"{V2}/requests.xml", data=form, headers={"Idempotency-Key": "app-0002"})
    assert fresh.status_code == 200
    assert _stored(session)[0] == stored[0] + 1


def test_idempotency_keys_belong_to_one_client_application(
    client: TestClient, o311: Open311World, session: Session, now: datetime
) -> None:
    _, other_key = make_client(session, now, name="另一个应用")
    headers = {"Idempotency-Key": "shared-key"}
    mine = client.post(f"{V2}/requests.json", data=o311.form(), headers=headers).json()
    theirs = client.post(
        f"{V2}/requests.json", data=o311.form(api_key=other_key), headers=headers
    ).json()
    assert mine[0]["service_request_id"] != theirs[0]["service_request_id"]


# --- any form -------------------------------------------------------------------------------

_TEXT = st.text(max_size=60)
_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "service_code": st.sampled_from(["010101", "010102", "0101", "x", ""]) | _TEXT,
        "description": _TEXT,
        "lat": st.sampled_from(["39.91", "-91", "nan", "1e309", ""]) | _TEXT,
        "long": st.sampled_from(["116.51", "200", "inf", ""]) | _TEXT,
        "address_id": st.sampled_from(["1", "0", "-1", "99999999999999999999"]) | _TEXT,
        "address_string": _TEXT,
        "email": _TEXT,
        "phone": _TEXT,
        "media_url": _TEXT,
        "attribute[site_detail]": _TEXT,
        "attribute[other]": _TEXT,
        "first_name": st.sampled_from(["五", "a\x00b"]) | _TEXT,
    },
)


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(fields=_FIELDS)
def test_any_form_gets_an_answer_or_a_protocol_error_and_a_refusal_stores_nothing(
    client: TestClient, o311: Open311World, session: Session, fields: dict[str, str]
) -> None:
    form = {"api_key": o311.key, **fields}
    before = _stored(session)
    response = _post(client, form)
    assert response.status_code in (200, 400), response.text
    body = response.json()
    if response.status_code == 200:
        assert _stored(session)[0] == before[0] + 1
        assert body[0]["service_request_id"]
    else:
        assert body[0]["code"] == 400
        assert body[0]["description"]
        assert _stored(session) == before
