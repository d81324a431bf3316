"""Refused cross-scope reads are audited: the caller gets the same 404 as for a missing
appeal, and the audit log gets an ``access.refused`` row (written after the request's own
transaction was rolled back); a genuinely missing appeal writes none."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal

from civicgrid.appeals.states import AppealStatus
from civicgrid.audit import sealing
from civicgrid.audit.service import list_entries

BASE = "/api/v1/appeals"


def test_an_appeal_outside_the_scope_answers_404_and_is_audited(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=AppealStatus.DISPATCHED)
    own = client.get(f"{BASE}/{appeal.id}", headers=world["street_a"].headers)
    assert own.status_code == 200
    other = client.get(f"{BASE}/{appeal.id}", headers=world["street_b"].headers)
    missing = client.get(f"{BASE}/{appeal.id + 1000}", headers=world["street_b"].headers)
    assert other.status_code == missing.status_code == 404
    session.expire_all()
    sealing.seal_all(session)  # the sealer puts the row into the audit chain like any other
    (entry,) = list_entries(session, action="access.refused")
    assert (entry.subject_type, entry.subject_id) == ("appeal", str(appeal.id))
    assert (entry.outcome, entry.reason) == ("denied", "out_of_scope")
    assert entry.actor_user_id == world.actor("street_b").user_id
    assert entry.chain_seq is not None


def test_an_unreadable_import_file_is_refused_and_audited(
    client: TestClient, session: Session, world: World
) -> None:
    r = client.post(
        "/api/v1/register/import",
        files={"file": ("people.xlsx", b"PK\x03\x04 not really a workbook", "application/zip")},
        data={"mode": "all-or-nothing"},
        headers=world["admin"].headers,
    )
    assert r.status_code == 422
    session.expire_all()
    (entry,) = list_entries(session, action="register.import")
    assert entry.outcome == "refused"
    assert entry.detail == {"file": "people.xlsx", "unreadable": True}


def test_an_import_file_without_the_required_columns_is_audited(
    client: TestClient, session: Session, world: World
) -> None:
    r = client.post(
        "/api/v1/register/import",
        files={"file": ("people.csv", "姓名,电话\n张伟,13812345678\n".encode(), "text/csv")},
        data={"mode": "all-or-nothing"},
        headers=world["admin"].headers,
    )
    assert r.status_code == 422
    assert "缺少必填列" in r.json()["detail"]
    session.expire_all()
    (entry,) = list_entries(session, action="register.import")
    assert (entry.outcome, entry.reason) == ("refused", "missing_columns")
