"""The one expected next action on an appeal, picked among what the workflow allows the
viewer: a golden table over the demo roles, plus the properties that it is always allowed and
never an overlay but the centre's decision on a 不合理诉求 application."""

from __future__ import annotations

import pytest

from civicgrid.appeals.channels import Flow
from civicgrid.appeals.next_action import next_action
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action, allowed_actions
from civicgrid.auth.roles import Role

S = AppealStatus
A = Action
R = Role

GOLDEN: list[tuple[AppealStatus, Role, Flow, Action | None]] = [
    (S.RECEIVED, R.DISPATCHER, Flow.HOTLINE, A.DISPATCH),
    (S.RECEIVED, R.OPERATOR, Flow.HOTLINE, A.ACCEPT),
    (S.RECEIVED, R.ADMIN, Flow.HOTLINE, A.DISPATCH),
    (S.PENDING_DISPATCH, R.DISPATCHER, Flow.HOTLINE, A.DISPATCH),
    (S.PENDING_DISPATCH, R.OPERATOR, Flow.HOTLINE, A.DISPATCH),
    (S.DISPATCHED, R.STREET_HANDLER, Flow.HOTLINE, A.SIGN),
    (S.DISPATCHED, R.DISPATCHER, Flow.HOTLINE, None),
    (S.SIGNED, R.DEPARTMENT_HANDLER, Flow.HOTLINE, A.CONTACT),
    (S.IN_PROGRESS, R.STREET_HANDLER, Flow.HOTLINE, A.REPLY),
    (S.IN_PROGRESS, R.UTILITY_HANDLER, Flow.GRID, A.REPLY),
    (S.IN_PROGRESS, R.SUPERVISOR, Flow.HOTLINE, None),
    (S.IN_PROGRESS, R.GRID_WORKER, Flow.GRID, None),
    (S.RETURN_REQUESTED, R.DISPATCHER, Flow.HOTLINE, A.APPROVE_RETURN),
    (S.RETURN_REQUESTED, R.STREET_HANDLER, Flow.HOTLINE, None),
    (S.EXTENSION_REQUESTED, R.DISPATCHER, Flow.HOTLINE, A.APPROVE_EXTENSION),
    (S.TERMINATION_REQUESTED, R.SUPERVISOR, Flow.HOTLINE, A.APPROVE_TERMINATION),
    (S.PARK_REQUESTED, R.DISPATCHER, Flow.HOTLINE, A.APPROVE_PARK),
    (S.PARKED, R.STREET_HANDLER, Flow.HOTLINE, A.UNPARK),
    (S.REPLIED, R.OPERATOR, Flow.HOTLINE, A.CALLBACK_CLOSE),
    (S.REPLIED, R.STREET_HANDLER, Flow.HOTLINE, None),
    (S.ANSWERED_DIRECTLY, R.OPERATOR, Flow.HOTLINE, A.CALLBACK_CLOSE),
    (S.EXPLAINED, R.DISPATCHER, Flow.HOTLINE, A.CLOSE),
    (S.PENDING_VERIFICATION, R.GRID_WORKER, Flow.GRID, A.VERIFY_CONFIRM),
    (S.PENDING_VERIFICATION, R.DISPATCHER, Flow.GRID, None),
    (S.CLOSED, R.OPERATOR, Flow.HOTLINE, None),
    (S.MERGED, R.DISPATCHER, Flow.HOTLINE, None),
]


@pytest.mark.parametrize(
    ("status", "role", "flow", "expected"),
    GOLDEN,
    ids=[f"{s.value}-{r.value}-{f.value}" for s, r, f, _ in GOLDEN],
)
def test_the_expected_step_of_each_role_in_each_status(
    status: AppealStatus, role: Role, flow: Flow, expected: Action | None
) -> None:
    allowed = allowed_actions(status, [role], flow=flow)
    assert next_action(status, [role], allowed) == expected


@pytest.mark.parametrize("status", list(AppealStatus), ids=lambda s: s.value)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("flow", list(Flow), ids=lambda f: f.value)
def test_the_expected_step_is_allowed_and_never_an_overlay(
    status: AppealStatus, role: Role, flow: Flow
) -> None:
    allowed = allowed_actions(status, [role], flow=flow)
    chosen = next_action(status, [role], allowed)
    assert chosen is None or chosen in allowed
    assert chosen is None or not chosen.overlay


def test_nothing_allowed_means_nothing_expected() -> None:
    assert next_action(S.IN_PROGRESS, [R.STREET_HANDLER], []) is None


def test_a_pending_unreasonable_application_is_the_centres_step_after_the_end() -> None:
    allowed = allowed_actions(S.CLOSED, [R.DISPATCHER])
    assert next_action(S.CLOSED, [R.DISPATCHER], allowed) is None
    pending = next_action(S.CLOSED, [R.DISPATCHER], allowed, application_pending=True)
    assert pending is A.APPROVE_UNREASONABLE


def test_the_status_step_comes_before_a_pending_application() -> None:
    allowed = allowed_actions(S.IN_PROGRESS, [R.STREET_HANDLER])
    assert next_action(S.IN_PROGRESS, [R.STREET_HANDLER], allowed, application_pending=True) == (
        A.REPLY
    )
