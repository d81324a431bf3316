"""The appeals action table: one row per workflow action the console and the API take, rows
that share an endpoint agree, and what a row names exists in its request."""

from __future__ import annotations

import pytest

from civicgrid.appeals import actions
from civicgrid.appeals.workflow import Action


def test_every_action_but_the_callers_rating_has_a_row() -> None:
    missing = set(Action) - actions.SELF_RATING_ACTIONS - set(actions.TABLE)
    assert missing == set()
    assert not actions.SELF_RATING_ACTIONS & set(actions.TABLE)


def test_each_action_has_one_row() -> None:
    assert len(actions.ROWS) == len(actions.TABLE)


@pytest.mark.parametrize("row", actions.ROWS, ids=lambda r: r.action.value)
def test_a_row_names_only_fields_of_its_request(row: actions.ActionRow) -> None:
    fields = set(row.request.model_fields)
    assert "expected_version" in fields
    if row.text_field is not None:
        assert row.text_field in fields
    assert set(row.preset) <= fields


def test_rows_sharing_an_endpoint_are_told_apart_by_their_preset() -> None:
    shared = {
        path: [r for r in actions.ROWS if r.path == path]
        for path in actions.ENDPOINTS
        if sum(r.path == path for r in actions.ROWS) > 1
    }
    assert set(shared) == {"callback", "verify"}
    for rows in shared.values():
        presets = [dict(r.preset) for r in rows]
        assert all(presets)
        assert len({tuple(sorted(p.items())) for p in presets}) == len(rows)


def test_rows_sharing_a_path_with_another_request_are_refused() -> None:
    accept, sign = actions.TABLE[Action.ACCEPT], actions.TABLE[Action.CONTACT]
    clash = actions.ActionRow(
        sign.action, accept.path, actions.TABLE[Action.MERGE].request, sign.use_case
    )
    with pytest.raises(ValueError, match="accept"):
        actions._endpoints([accept, clash])


def test_the_api_path_of_the_callers_rating_is_rate() -> None:
    assert actions.path_of(Action.SELF_RATE) == "rate"
    assert actions.path_of(Action.REOPEN) == "callback"
    assert actions.path_of(Action.APPROVE_TERMINATION) == "termination/approve"
    assert actions.path_of(Action.UNPARK) == "unpark"
