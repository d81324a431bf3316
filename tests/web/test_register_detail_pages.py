"""The register's person and house pages: masked by default, scoped to the worker's grids,
forgiving forms (Chinese errors beside the field, input kept), pickers that work without
JavaScript, the audited reveal with a reason, moves that keep history, tags and visits."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.builders.auth import SYSTEM, MiniTerritory
from tests.builders.register import id_number, make_house, make_resident
from tests.web.conftest import LoginAs, assert_max_queries

from civicgrid.audit.models import AuditEntry
from civicgrid.register import service as register_service
from civicgrid.register.models import House, Residence, Resident, Visit

PHONE = "13812345678"


@pytest.fixture
def person(session: Session, world: World, now: datetime) -> Resident:
    register_service.ensure_default_tags(session, actor=SYSTEM, now=now)
    house = make_house(
        session, grid_code=MiniTerritory.GRID_A1, now=now, address="幸福路12号院", room="501"
    )
    return make_resident(
        session, house=house, now=now, name="张伟", id_no=id_number(), phone=PHONE, tags=["党员"]
    )


def test_person_page_is_masked_and_shows_houses_tags_and_visits(
    client: TestClient, login: LoginAs, person: Resident
) -> None:
    login("grid_a1")
    r = client.get(f"/register/residents/{person.id}")
    assert r.status_code == 200
    assert "张*" in r.text
    assert "张伟" not in r.text
    assert person.id_no_masked in r.text
    assert "138****5678" in r.text
    assert PHONE not in r.text
    assert "幸福路12号院3号楼2单元501" in r.text
    assert "党员" in r.text
    assert "登记走访" in r.text
    assert "查看完整身份信息" in r.text


def test_a_person_outside_my_grids_is_not_found(
    client: TestClient, login: LoginAs, person: Resident
) -> None:
    login("grid_a2")
    assert client.get(f"/register/residents/{person.id}").status_code == 404
    assert client.get(f"/register/residents/{person.id}/edit").status_code == 404


def test_reveal_asks_a_reason_then_shows_once_and_is_audited(
    client: TestClient, login: LoginAs, session: Session, person: Resident
) -> None:
    token = login("street_a")
    page = f"/register/residents/{person.id}"
    refused = client.post(f"{page}/reveal", data={"csrf_token": token, "reason": " "})
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.text
    assert "事由" in refused.text
    assert PHONE not in refused.text
    reveals = select(AuditEntry).where(AuditEntry.action == "register.resident.reveal")
    assert session.scalars(reveals).all() == []
    shown = client.post(f"{page}/reveal", data={"csrf_token": token, "reason": "核实低保申请材料"})
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    assert PHONE in shown.text
    assert "张伟" in shown.text
    entries = session.scalars(reveals).all()
    assert [(e.subject_id, e.reason) for e in entries] == [(str(person.id), "核实低保申请材料")]
    assert PHONE not in client.get(page).text  # shown once: the page is masked again


def test_a_visit_is_recorded_from_the_person_page_and_a_refusal_keeps_the_input(
    client: TestClient, login: LoginAs, session: Session, person: Resident
) -> None:
    token = login("grid_a1")
    page = f"/register/residents/{person.id}"
    refused = client.post(
        f"{page}/visits",
        data={"csrf_token": token, "visited_on": "2026-11-20", "kind": "care", "content": " "},
    )
    assert refused.status_code == 422
    assert 'id="content-error"' in refused.text
    assert "请填写走访情况" in refused.text
    assert 'value="2026-11-20"' in refused.text
    done = client.post(
        f"{page}/visits",
        data={
            "csrf_token": token,
            "visited_on": "2026-11-20",
            "kind": "care",
            "content": "老人身体好，需要换燃气灶",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"]).text
    assert "走访已记录" in shown
    assert "关爱探访" in shown
    assert "老人身体好，需要换燃气灶" in shown
    visit = session.scalars(select(Visit)).one()
    assert visit.kind == "care"
    assert visit.place == "幸福路12号院3号楼2单元501"


def test_tags_are_added_and_removed_on_the_person_page(
    client: TestClient, login: LoginAs, person: Resident
) -> None:
    token = login("grid_a1")
    page = f"/register/residents/{person.id}"
    added = client.post(f"{page}/tags", data={"csrf_token": token, "op": "add", "tag": "独居老人"})
    assert added.status_code == 200  # followed the redirect
    assert "已添加标签" in added.text
    assert "移除标签独居老人" in added.text
    removed = client.post(f"{page}/tags", data={"csrf_token": token, "op": "remove", "tag": "党员"})
    assert "已移除标签" in removed.text
    assert "移除标签党员" not in removed.text
    empty = client.post(f"{page}/tags", data={"csrf_token": token, "op": "add", "tag": ""})
    assert empty.status_code == 422
    assert "请选择要添加的标签" in empty.text


def test_moving_a_person_by_typed_address_ends_the_old_residence(
    client: TestClient, login: LoginAs, session: Session, now: datetime, person: Resident
) -> None:
    target = make_house(session, grid_code=MiniTerritory.GRID_A1, now=now, address="和平里5号院")
    make_house(session, grid_code=MiniTerritory.GRID_A1, now=now, address="和平里5号院")
    token = login("grid_a1")
    page = f"/register/residents/{person.id}"
    form = {"csrf_token": token, "house_q": "和平里", "kind": "tenant", "on": "2026-11-20"}
    many = client.post(f"{page}/move", data=form)
    assert many.status_code == 422
    assert "找到多处房屋，请从下面选择一处" in many.text
    assert f'name="house" value="{target.id}"' in many.text
    moved = client.post(f"{page}/move", data={**form, "house": str(target.id)})
    assert moved.status_code == 200
    assert "已办理迁居" in moved.text
    assert "已迁出" in moved.text
    rows = session.scalars(select(Residence).where(Residence.resident_id == person.id)).all()
    assert [(r.house_id == target.id, r.to_on is None) for r in rows] == [
        (False, False),
        (True, True),
    ]
    none = client.post(f"{page}/move", data={**form, "house_q": "不存在的路"})
    assert none.status_code == 422
    assert "没有找到该地址的房屋" in none.text


def test_registering_a_person_keeps_the_input_and_submits_once(
    client: TestClient, login: LoginAs, session: Session, now: datetime, person: Resident
) -> None:
    house = session.scalars(select(House)).one()
    login("grid_a1")
    page = client.get(f"/register/residents/new?house={house.id}").text
    assert "幸福路12号院3号楼2单元501" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    once = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token
    assert once
    form = {
        "csrf_token": token.group(1),
        "form_token": once.group(1),
        "house": str(house.id),
        "house_q": "幸福路12号院3号楼2单元501",
        "name": "李娜",
        "id_no": "110105198506150000",
        "phone": "13900001111",
        "kind": "tenant",
        "tags": "低保",
    }
    refused = client.post("/register/residents/new", data=form)
    assert refused.status_code == 422
    assert 'id="id_no-error"' in refused.text
    assert 'value="李娜"' in refused.text
    assert 'value="低保" checked' in refused.text
    good = {**form, "id_no": id_number()}
    first = client.post("/register/residents/new", data=good, follow_redirects=False)
    assert first.status_code == 303
    again = client.post("/register/residents/new", data=good, follow_redirects=False)
    assert again.headers["location"] == first.headers["location"]
    assert session.scalars(select(Resident).where(Resident.name == "李娜")).all()


def test_editing_a_person_changes_the_phone_and_names_a_bad_one(
    client: TestClient, login: LoginAs, session: Session, person: Resident
) -> None:
    token = login("grid_a1")
    page = f"/register/residents/{person.id}/edit"
    form = {"csrf_token": token, "name": "张伟", "phone": "12345", "ethnicity": "汉族"}
    bad = client.post(page, data=form)
    assert bad.status_code == 422
    assert 'id="phone-error"' in bad.text
    assert 'value="汉族"' in bad.text
    good = client.post(page, data={**form, "phone": "13700002222"})
    assert "已保存修改" in good.text
    assert "137****2222" in good.text
    session.refresh(person)
    assert person.ethnicity == "汉族"


def test_house_page_lists_residents_masked_and_records_a_visit_and_tags(
    client: TestClient, login: LoginAs, session: Session, person: Resident
) -> None:
    house = session.scalars(select(House)).one()
    token = login("grid_a1")
    page = f"/register/houses/{house.id}"
    r = client.get(page)
    assert r.status_code == 200
    assert "幸福路12号院3号楼2单元501" in r.text
    assert f'href="/register/residents/{person.id}">张*</a>' in r.text
    tagged = client.post(f"{page}/tags", data={"csrf_token": token, "op": "add", "tag": "出租房"})
    assert "移除标签出租房" in tagged.text
    untagged = client.post(
        f"{page}/tags", data={"csrf_token": token, "op": "remove", "tag": "出租房"}
    )
    assert "移除标签出租房" not in untagged.text
    visited = client.post(
        f"{page}/visits",
        data={"csrf_token": token, "visited_on": "2026-11-21", "kind": "check", "content": "核实"},
    )
    assert "信息核实" in visited.text
    login("grid_a2")
    assert client.get(page).status_code == 404


def test_a_house_is_added_at_a_typed_address_and_corrected(
    client: TestClient, login: LoginAs, session: Session, person: Resident
) -> None:
    login("grid_a1")
    page = client.get("/register/houses/new").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    form = {
        "csrf_token": token.group(1),
        "address_q": "幸福路",
        "building": "9号楼",
        "unit": "1单元",
        "room": "",
        "use": "residential",
    }
    refused = client.post("/register/houses/new", data=form)
    assert refused.status_code == 422
    assert 'id="room-error"' in refused.text
    assert 'value="9号楼"' in refused.text
    made = client.post("/register/houses/new", data={**form, "room": "101"}, follow_redirects=False)
    assert made.status_code == 303
    house_page = made.headers["location"].split("?")[0]
    assert "幸福路12号院9号楼1单元101" in client.get(house_page).text
    edit = client.post(
        f"{house_page}/edit",
        data={"csrf_token": token.group(1), "unit": "1单元", "room": "102", "area_m2": "八十"},
    )
    assert edit.status_code == 422
    assert "建筑面积请填写数字" in edit.text
    saved = client.post(
        f"{house_page}/edit",
        data={"csrf_token": token.group(1), "unit": "1单元", "room": "102", "area_m2": "80.5",
              "use": "住宅", "is_vacant": "1"},
    )  # fmt: skip
    assert "已保存修改" in saved.text
    assert "80.5 平方米" in saved.text
    assert "空房" in saved.text


def test_the_register_search_links_names_to_the_person_page(
    client: TestClient, login: LoginAs, person: Resident
) -> None:
    login("grid_a1")
    r = client.get("/register")
    assert f'href="/register/residents/{person.id}"' in r.text
    assert 'href="/register/houses/new"' in r.text
    login("supervisor")
    read_only = client.get(f"/register/residents/{person.id}")
    assert read_only.status_code == 200
    assert "登记走访" not in read_only.text
    assert "查看完整身份信息" not in read_only.text


def test_a_new_standard_address_comes_back_chosen_in_the_house_form(
    client: TestClient, login: LoginAs, session: Session, person: Resident
) -> None:
    login("grid_a1")
    page = client.get("/register/houses/new").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    assert f'value="{MiniTerritory.GRID_A1}"' in page
    assert f'value="{MiniTerritory.GRID_A2}"' not in page  # the grid picker is scoped
    refused = client.post(
        "/register/addresses/new",
        data={"csrf_token": token.group(1), "grid_code": "", "address_name": "光华路1号院"},
    )
    assert refused.status_code == 422
    assert "请选择所在网格" in refused.text
    assert 'value="光华路1号院"' in refused.text
    made = client.post(
        "/register/addresses/new",
        data={
            "csrf_token": token.group(1),
            "grid_code": MiniTerritory.GRID_A1,
            "address_name": "光华路1号院",
        },
    )
    assert made.status_code == 200
    assert "标准地址已新增" in made.text
    assert 'value="光华路1号院"' in made.text
    assert re.search(r'name="address" value="\d+"', made.text)
    taken = client.post(
        "/register/addresses/new",
        data={
            "csrf_token": token.group(1),
            "grid_code": MiniTerritory.GRID_A1,
            "address_name": "光华路1号院",
        },
    )
    assert taken.status_code == 409
    assert 'id="address_name-error"' in taken.text


def test_house_and_person_pages_do_not_query_per_resident_or_visit(
    client: TestClient,
    login: LoginAs,
    session: Session,
    now: datetime,
    person: Resident,
    connection: Connection,
) -> None:
    house = session.scalars(select(House)).one()
    login("grid_a1")

    def counted(path: str) -> int:
        with assert_max_queries(connection, 40) as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    before = (counted(f"/register/houses/{house.id}"), counted(f"/register/residents/{person.id}"))
    for name in ("王一", "王二", "王三"):
        other = make_resident(session, house=house, now=now, name=name)
        register_service.record_visit(
            session, visited_at=now - timedelta(hours=1), place="入户", content="走访",
            resident_ids=[person.id, other.id], house_ids=[house.id], actor=SYSTEM, now=now,
        )  # fmt: skip
    after = (counted(f"/register/houses/{house.id}"), counted(f"/register/residents/{person.id}"))
    assert after == before
