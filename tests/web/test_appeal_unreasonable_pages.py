"""The 不合理诉求 review on the appeal detail page: the form on a closed appeal, the stored reason
shown after marking, revocation with a reason, and the refusals re-rendered with a message."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal, reloaded
from tests.web.conftest import HX, LoginAs

from civicgrid.appeals.states import AppealStatus

REASON = "单位申请剔除：诉求人要求为私家车免费划设专用车位"


def test_closed_appeal_is_marked_shown_and_revoked_from_the_detail_page(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.CLOSED, now=now)
    aid = appeal.id
    csrf = login("supervisor")
    page = client.get(f"/appeals/{aid}")
    assert page.status_code == 200
    assert f"/appeals/{aid}/actions/mark_unreasonable" in page.text
    assert f"/appeals/{aid}/actions/revoke_unreasonable" not in page.text
    assert "unreasonable-finding" not in page.text

    r = client.post(
        f"/appeals/{aid}/actions/mark_unreasonable",
        data={"text": REASON, "csrf_token": csrf},
        headers=HX,
    )
    assert r.status_code == 200
    assert "已完成操作：认定不合理诉求" in r.text
    assert REASON in r.text
    assert "不计入三率" in r.text
    assert f"/appeals/{aid}/actions/mark_unreasonable" not in r.text
    assert f"/appeals/{aid}/actions/revoke_unreasonable" in r.text
    stored = reloaded(session, aid)
    assert (stored.status, stored.excluded_from_rates, stored.unreasonable_reason) == (
        "closed",
        True,
        REASON,
    )
    full = client.get(f"/appeals/{aid}")
    assert "unreasonable-finding" in full.text
    # The person who found it by name, never by login name (UX: people by name and unit).
    assert world.actor("supervisor").display_name in full.text
    assert world.actor("supervisor").label not in full.text

    # A revocation without a reason is re-rendered with the message (422) and changes nothing.
    r = client.post(
        f"/appeals/{aid}/actions/revoke_unreasonable",
        data={"text": "  ", "csrf_token": csrf},
        headers=HX,
    )
    assert r.status_code == 422
    assert "撤销理由" in r.text
    assert reloaded(session, aid).excluded_from_rates is True

    r = client.post(
        f"/appeals/{aid}/actions/revoke_unreasonable",
        data={"text": "复核：诉求有政策依据", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/appeals/{aid}?done=revoke_unreasonable"
    stored = reloaded(session, aid)
    assert (stored.excluded_from_rates, stored.unreasonable_reason) == (False, None)
    page = client.get(f"/appeals/{aid}")
    assert "unreasonable-finding" not in page.text
    assert f"/appeals/{aid}/actions/mark_unreasonable" in page.text
    assert "撤销不合理认定" in page.text  # in the timeline


def test_terminated_appeal_offers_the_review_to_reviewers_only(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.TERMINATED, now=now)
    aid = appeal.id
    csrf = login("operator")
    page = client.get(f"/appeals/{aid}")
    assert page.status_code == 200
    assert f"/appeals/{aid}/actions/mark_unreasonable" not in page.text
    r = client.post(
        f"/appeals/{aid}/actions/mark_unreasonable",
        data={"text": REASON, "csrf_token": csrf},
        headers=HX,
    )
    assert r.status_code == 403
    assert reloaded(session, aid).excluded_from_rates is False


def test_a_stale_page_marking_twice_gets_the_conflict_message(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.CLOSED, now=now)
    aid = appeal.id
    csrf = login("dispatcher")
    data = {"text": REASON, "csrf_token": csrf}
    first = client.post(f"/appeals/{aid}/actions/mark_unreasonable", data=data, headers=HX)
    assert first.status_code == 200
    again = client.post(f"/appeals/{aid}/actions/mark_unreasonable", data=data, headers=HX)
    assert again.status_code == 409
    assert "已认定为不合理诉求" in again.text
    assert reloaded(session, aid).unreasonable_reason == REASON
