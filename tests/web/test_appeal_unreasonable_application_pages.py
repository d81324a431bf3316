"""The unit's 申请不合理诉求认定 on the appeal detail page and the centre's 通过 / 驳回 with the
applicant's reason shown; refusals are re-rendered with a message."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal, reloaded
from tests.web.conftest import HX, LoginAs

from civicgrid.appeals.states import AppealStatus

REASON = "诉求人要求为私家车免费划设专用车位，无政策依据"


def _url(aid: int, code: str) -> str:
    return f"/appeals/{aid}/actions/{code}"


def test_unit_applies_and_the_centre_approves(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.CLOSED, now=now)
    aid = appeal.id
    csrf = login("street_a")
    page = client.get(f"/appeals/{aid}")
    assert page.status_code == 200
    assert _url(aid, "apply_unreasonable") in page.text
    assert "申请不合理诉求认定" in page.text
    assert _url(aid, "mark_unreasonable") not in page.text
    assert _url(aid, "approve_unreasonable") not in page.text

    # Without a reason: re-rendered with the message (422), nothing stored.
    r = client.post(
        _url(aid, "apply_unreasonable"), data={"text": " ", "csrf_token": csrf}, headers=HX
    )
    assert r.status_code == 422
    assert "申请理由" in r.text
    assert reloaded(session, aid).unreasonable_applied_at is None

    r = client.post(
        _url(aid, "apply_unreasonable"), data={"text": REASON, "csrf_token": csrf}, headers=HX
    )
    assert r.status_code == 200
    assert "已完成操作：申请不合理诉求认定" in r.text
    assert "unreasonable-application" in r.text
    assert "待中心审核" in r.text
    assert _url(aid, "apply_unreasonable") not in r.text  # one pending application at a time
    assert reloaded(session, aid).unreasonable_applied_reason == REASON

    csrf = login("supervisor")
    page = client.get(f"/appeals/{aid}")
    assert REASON in page.text
    assert world.actor("street_a").display_name in page.text
    assert world.actor("street_a").label not in page.text  # by name, never by login name
    assert _url(aid, "approve_unreasonable") in page.text
    assert _url(aid, "reject_unreasonable") in page.text
    assert _url(aid, "mark_unreasonable") not in page.text
    assert "通过不合理诉求申请" in page.text

    r = client.post(
        _url(aid, "approve_unreasonable"),
        data={"text": "", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/appeals/{aid}?done=approve_unreasonable"
    stored = reloaded(session, aid)
    assert (stored.excluded_from_rates, stored.unreasonable_reason) == (True, REASON)
    assert stored.unreasonable_applied_at is None
    page = client.get(f"/appeals/{aid}")
    assert "unreasonable-finding" in page.text
    assert "unreasonable-application" not in page.text
    assert _url(aid, "revoke_unreasonable") in page.text
    assert _url(aid, "approve_unreasonable") not in page.text


def test_centre_rejects_with_a_reason(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    aid = appeal.id
    csrf = login("street_a")
    r = client.post(
        _url(aid, "apply_unreasonable"), data={"text": REASON, "csrf_token": csrf}, headers=HX
    )
    assert r.status_code == 200

    csrf = login("dispatcher")
    r = client.post(
        _url(aid, "reject_unreasonable"), data={"text": "  ", "csrf_token": csrf}, headers=HX
    )
    assert r.status_code == 422
    assert "驳回理由" in r.text
    assert reloaded(session, aid).unreasonable_applied_reason == REASON

    r = client.post(
        _url(aid, "reject_unreasonable"),
        data={"text": "经核实诉求合理", "csrf_token": csrf},
        headers=HX,
    )
    assert r.status_code == 200
    assert "已完成操作：驳回不合理诉求申请" in r.text
    assert "经核实诉求合理" in r.text  # in the timeline
    stored = reloaded(session, aid)
    assert (stored.excluded_from_rates, stored.unreasonable_applied_at) == (False, None)
    assert _url(aid, "mark_unreasonable") in r.text


def test_a_handler_of_an_unrelated_unit_does_not_see_the_appeal(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(
        session, world=world, status=AppealStatus.CLOSED, now=now, lead=world.department
    )
    aid = appeal.id
    csrf = login("utility")
    r = client.post(
        _url(aid, "apply_unreasonable"), data={"text": REASON, "csrf_token": csrf}, headers=HX
    )
    assert r.status_code == 404  # outside the utility's scope
    assert reloaded(session, aid).unreasonable_applied_at is None
