"""The page-form helpers: typed fields read from a posted form (a refusal names the field) and
the post/redirect/get shape of :func:`civicgrid.web.shared.form_actions.perform`."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from fastapi.responses import Response

from civicgrid.clock import BEIJING
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.web.participation.common import (
    int_field,
    opt_date_field,
    opt_int_field,
    opt_minutes_field,
    when_field,
)
from civicgrid.web.shared.form_actions import perform


def test_whole_numbers_and_ids() -> None:
    assert int_field({"n": " 12 "}, "n", "人数") == 12
    with pytest.raises(Invalid, match="请填写人数"):
        int_field({"n": "十二"}, "n", "人数")
    with pytest.raises(Invalid, match="请填写人数"):
        int_field({}, "n", "人数")
    assert opt_int_field({"id": ""}, "id") is None
    assert opt_int_field({"id": "7"}, "id") == 7
    with pytest.raises(Invalid, match="不是有效的编号"):
        opt_int_field({"id": "7a"}, "id")
    assert opt_minutes_field({}, "m", "路途时间") == 0
    assert opt_minutes_field({"m": "15"}, "m", "路途时间") == 15
    with pytest.raises(Invalid, match="路途时间"):
        opt_minutes_field({"m": "x"}, "m", "路途时间")


def test_dates_and_beijing_times() -> None:
    assert opt_date_field({"d": "2026-11-20"}, "d") == date(2026, 11, 20)
    assert opt_date_field({"d": " "}, "d") is None
    with pytest.raises(Invalid, match="格式错误"):
        opt_date_field({"d": "20/11/2026"}, "d")
    assert when_field({"t": "2026-11-24T10:00"}, "t", "会议时间") == datetime(
        2026, 11, 24, 10, 0, tzinfo=BEIJING
    )
    with pytest.raises(Invalid, match="请填写会议时间"):
        when_field({"t": ""}, "t", "会议时间")


def _refused(messages: list[str], code: int) -> Response:
    return Response("|".join(messages), status_code=code)


def test_perform_redirects_on_success_with_the_result_in_the_url() -> None:
    r = perform(lambda: 42, redirect=lambda rid: f"/things/{rid}", refused=_refused)
    assert (r.status_code, r.headers["location"]) == (303, "/things/42")
    r = perform(lambda: None, redirect="/things?done=x", refused=_refused)
    assert r.headers["location"] == "/things?done=x"


def test_perform_turns_invalid_and_conflict_into_the_refusal_page() -> None:
    def invalid() -> None:
        raise Invalid("标题不能为空")

    def conflict() -> None:
        raise Conflict("已经投过票")

    r = perform(invalid, redirect="/x", refused=_refused)
    assert (r.status_code, r.body) == (422, "标题不能为空".encode())
    r = perform(conflict, redirect="/x", refused=_refused)
    assert r.status_code == 409


def test_perform_lets_forbidden_through_to_the_error_page() -> None:
    def forbidden() -> None:
        raise Forbidden("没有权限")

    with pytest.raises(Forbidden):
        perform(forbidden, redirect="/x", refused=_refused)
