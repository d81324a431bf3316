"""The appeal detail page puts the one expected next action first and open, folds every other
allowed action into a closed <details>, shows the unit's reply (text and photos) where it is
judged (the grid worker's verification, the operator's callback), and offers the likely
duplicates with a one-click 合并到此工单 on the detail page and the dispatch queue."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import (
    DUPLICATE_TITLE,
    PNG,
    World,
    make_appeal,
    submit_duplicate_pair,
)
from tests.web.conftest import LoginAs

from civicgrid.appeals import queries, service
from civicgrid.appeals.states import AppealStatus

HX = {"HX-Request": "true"}


def _primary_and_folded(html: str) -> tuple[list[str], list[tuple[str, bool]]]:
    """The actions of the open primary block and of each <details> fold (with its open flag)."""
    primary = re.findall(r'<div class="primary-action">\s*<form[^>]*id="form-([a-z_]+)"', html)
    folds = [
        (action, " open" in attrs)
        for action, attrs in re.findall(
            r'<details class="action-fold" id="fold-([a-z_]+)"([^>]*)>', html
        )
    ]
    return primary, folds


def test_the_dispatcher_sees_dispatch_open_and_the_rest_folded(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.RECEIVED, now=now)
    session.commit()
    login("dispatcher")
    html = client.get(f"/appeals/{appeal.id}").text
    primary, folds = _primary_and_folded(html)
    assert primary == ["dispatch"]
    assert "下一步：派单" in html
    assert len(folds) >= 5  # 受理转派, 直接答复, 转紧急热线, …, 并单
    assert all(not is_open for _action, is_open in folds)
    assert "dispatch" not in [a for a, _ in folds]
    assert html.count('class="primary"') == 1


def test_a_refused_folded_form_comes_back_open_with_its_message(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.RECEIVED, now=now)
    session.commit()
    csrf = login("dispatcher")
    r = client.post(
        f"/appeals/{appeal.id}/actions/explain", data={"text": " ", "csrf_token": csrf}, headers=HX
    )
    assert r.status_code == 422
    _primary, folds = _primary_and_folded(r.text)
    assert ("explain", True) in folds
    assert [a for a, is_open in folds if is_open] == ["explain"]


def test_a_supervisor_has_no_expected_step_on_an_order_in_progress(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.IN_PROGRESS, now=now)
    session.commit()
    login("supervisor")
    primary, folds = _primary_and_folded(client.get(f"/appeals/{appeal.id}").text)
    assert primary == []
    assert {"supervise", "remind"} <= {a for a, _ in folds}


def _grid_reply(session: Session, world: World, now: datetime) -> int:
    appeal = make_appeal(session, world=world, status=AppealStatus.IN_PROGRESS, now=now, grid=True)
    service.reply(
        session,
        appeal_id=appeal.id,
        text="占道摊位已清理，已设置隔离桩",
        photos=(PNG,),
        media=world.media,
        actor=world.actor("street_a"),
        now=now,
    )
    session.commit()
    return appeal.id


def test_the_grid_worker_judges_the_reply_with_its_photos(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal_id = _grid_reply(session, world, now)
    handler = world.actor("street_a")
    login("grid_a1")
    detail = client.get(f"/appeals/{appeal_id}").text
    primary, _folds = _primary_and_folded(detail)
    assert primary == ["verify_confirm"]
    result = detail[detail.index('class="judged-result"') : detail.index('id="actions-title"')]
    assert "占道摊位已清理，已设置隔离桩" in result
    assert f"{handler.display_name}（建外街道）" in result
    assert 'alt="办理结果照片 1"' in result

    tasks = client.get("/grid/tasks").text
    assert "占道摊位已清理，已设置隔离桩" in tasks
    assert f'hx-get="/appeals/{appeal_id}/result"' in tasks
    fragment = client.get(f"/appeals/{appeal_id}/result", headers=HX)
    assert fragment.status_code == 200
    assert 'alt="办理结果照片 1"' in fragment.text
    assert "<html" not in fragment.text


def test_the_operator_judges_the_reply_on_callback(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    session.commit()
    login("operator")
    detail = client.get(f"/appeals/{appeal.id}").text
    primary, _folds = _primary_and_folded(detail)
    assert primary == ["callback_close"]
    assert detail.index('class="judged-result"') < detail.index('id="form-callback_close"')
    assert "已清理占道摊位" in detail


def test_a_result_before_any_reply_is_404(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.IN_PROGRESS, now=now)
    session.commit()
    login("operator")
    r = client.get(f"/appeals/{appeal.id}/result")
    assert r.status_code == 404
    assert "还没有办理结果" in r.text


def _pair(session: Session, world: World, now: datetime) -> tuple[int, str, int]:
    first, again = submit_duplicate_pair(session, world, now=now)
    session.commit()
    return first.id, first.number, again.id


def test_intake_result_shows_the_duplicate_and_merges_it_in_one_click(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    main_id, main_number, dup_id = _pair(session, world, now)
    csrf = login("operator")
    page = client.get(f"/appeals/{dup_id}").text
    assert f'hx-get="/appeals/{dup_id}/duplicates"' in page  # loaded after the page
    fragment = client.get(f"/appeals/{dup_id}/duplicates", headers=HX)
    assert fragment.status_code == 200
    assert "疑似重复工单（1）" in fragment.text
    assert "<html" not in fragment.text
    assert 'hx-target="#appeal-detail"' in fragment.text
    row = fragment.text[fragment.text.index(f'data-number="{main_number}"') :]
    assert DUPLICATE_TITLE in row
    assert "合并到此工单" in row
    r = client.post(
        f"/appeals/{dup_id}/actions/merge",
        data={"merge_target_no": main_number, "text": "疑似重复", "csrf_token": csrf},
        headers=HX,
    )
    assert r.status_code == 200, r.text
    assert "已完成操作：并单" in r.text
    assert f'<a href="/appeals/{main_id}">{main_number}</a>' in r.text
    session.expire_all()
    merged = queries.by_id_for(session, world.actor("operator"), dup_id)
    assert (merged.status, merged.merged_into_id) == ("merged", main_id)
    # The main appeal lists the merged one; the merged one has nothing left to merge.
    assert f'<a href="/appeals/{dup_id}">' in client.get(f"/appeals/{main_id}").text
    assert client.get(f"/appeals/{dup_id}/duplicates").status_code == 403


def test_without_javascript_the_duplicates_are_a_page_of_their_own(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    _main_id, main_number, dup_id = _pair(session, world, now)
    login("dispatcher")
    page = client.get(f"/appeals/{dup_id}/duplicates")
    assert page.status_code == 200
    assert "<html" in page.text
    assert main_number in page.text
    assert "hx-post" not in page.text  # a plain post, then back to the appeal
    login("street_a")
    assert client.get(f"/appeals/{dup_id}/duplicates").status_code == 403  # may not merge


def test_the_dispatch_queue_offers_the_duplicates_of_each_row(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    _main_id, main_number, dup_id = _pair(session, world, now)
    csrf = login("dispatcher")
    queue = client.get("/dispatch/queue").text
    assert f'hx-get="/dispatch/queue/{dup_id}/duplicates"' in queue
    fragment = client.get(f"/dispatch/queue/{dup_id}/duplicates", headers=HX)
    assert fragment.status_code == 200
    assert main_number in fragment.text
    assert f'action="/appeals/{dup_id}/actions/merge"' in fragment.text
    assert "hx-post" not in fragment.text  # a plain post: back to the appeal with a flash
    page = client.get(f"/dispatch/queue/{dup_id}/duplicates")
    assert "<html" in page.text
    r = client.post(
        f"/appeals/{dup_id}/actions/merge",
        data={"merge_target_no": main_number, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    # Other roles do not get the queue's duplicates.
    login("street_a")
    assert client.get(f"/dispatch/queue/{dup_id}/duplicates").status_code == 403


def test_the_merged_callers_tracking_says_the_appeal_is_handled_with_the_other(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    _main_id, main_number, dup_id = _pair(session, world, now)
    dup = queries.by_id_for(session, world.actor("operator"), dup_id)
    service.merge(
        session,
        appeal_id=dup_id,
        target_number=main_number,
        actor=world.actor("operator"),
        now=now,
    )
    session.commit()
    r = client.post("/portal/track", data={"number": dup.number, "phone_tail": "0000"})
    assert r.status_code == 200
    assert "已并单" in r.text
    assert "与其他市民反映的相同问题合并办理" in r.text
    assert main_number not in r.text  # another caller's order stays out of the public answer
