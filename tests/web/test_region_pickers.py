"""Region pickers on the consultation and service-project forms: the staff member chooses a
community by name from the regions of their scope (no code to type), and a code that is not in
the scope gives the form back with the typed text instead of a 404 page."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.participation import PWorld, make_pworld

from civicgrid.participation.consultations.models import Consultation
from civicgrid.participation.projects.models import ServiceProject

PASSWORD = "Passw0rd!x"
A1 = "110105001001"


@pytest.fixture
def pworld(session: Session, now: datetime) -> PWorld:
    w = make_pworld(session, now=now)
    session.commit()
    return w


def _login(client: TestClient, username: str) -> str:
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert match
    return match.group(1)


def _options(html: str) -> dict[str, str]:
    select_html = re.search(r'<select id="region_code".*?</select>', html, re.S)
    assert select_html, "no region picker on the page"
    return dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', select_html.group(0)))


def _count(session: Session, model: type[object]) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("path", ["/participation/consultations", "/participation/projects"])
def test_the_picker_lists_the_scope_by_name(client: TestClient, pworld: PWorld, path: str) -> None:
    _login(client, pworld.staff_a1.username)
    page = client.get(path)
    assert page.status_code == 200
    options = _options(page.text)
    assert A1 in options
    assert not any(label.isdigit() for label in options.values())
    assert 'id="region_code" name="region_code"' in page.text
    assert "区域编码" not in page.text


def test_a_consultation_is_proposed_for_the_chosen_community(
    client: TestClient, pworld: PWorld, session: Session
) -> None:
    token = _login(client, pworld.staff_a1.username)
    options = _options(client.get("/participation/consultations").text)
    r = client.post(
        "/participation/consultations",
        data={"title": "加装电梯", "topic": "3号楼", "region_code": A1, "source": "staff",
              "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    assert options[A1].startswith("建国里社区")
    assert "建国里社区" in client.get(r.headers["location"]).text
    assert _count(session, Consultation) == 1


def test_a_region_outside_the_scope_keeps_the_typed_project(
    client: TestClient, pworld: PWorld, session: Session
) -> None:
    token = _login(client, pworld.staff_a2.username)
    r = client.post(
        "/participation/projects",
        data={"region_code": A1, "year": "2026", "title": "楼道照明改造",
              "applicant": "社区居委会", "budget_yuan": "5000", "csrf_token": token},
        headers={"accept": "text/html"},
    )  # fmt: skip
    assert r.status_code == 404
    assert 'value="楼道照明改造"' in r.text
    assert "<select" in r.text
    assert _count(session, ServiceProject) == 0
