"""Properties of the transition table under random sequences of actions (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.appeals.channels import Flow
from civicgrid.appeals.states import AppealStatus, is_terminal
from civicgrid.appeals.workflow import (
    AFTER_END_ACTIONS,
    INITIAL_STATUS,
    Action,
    allowed_actions,
    find_transition,
    next_status,
    reachable_statuses,
    replay,
)
from civicgrid.auth.roles import Role
from civicgrid.errors import InvalidTransition

actions = st.sampled_from(list(Action))
roles = st.sampled_from(list(Role))


@settings(max_examples=300, deadline=None)
@given(flow=st.sampled_from(list(Flow)), data=st.data())
def test_random_sequences_stay_inside_the_table(flow: Flow, data: st.DataObject) -> None:
    """Whatever is tried, the status only moves along rows of the table, and replaying the
    accepted actions gives the current status again."""
    status = INITIAL_STATUS
    accepted: list[tuple[Action, Role]] = []
    reachable = reachable_statuses(flow)
    steps = data.draw(st.integers(min_value=0, max_value=40), label="steps")
    for _ in range(steps):
        guided = data.draw(st.booleans(), label="guided")
        pairs = [(a, r) for r in Role for a in allowed_actions(status, [r], flow=flow)]
        if guided and pairs:
            action, role = data.draw(st.sampled_from(pairs), label="allowed pair")
        else:
            action = data.draw(actions, label="action")
            role = data.draw(roles, label="role")
        row = find_transition(status, action, flow=flow)
        try:
            new_status = next_status(status, action, role, flow=flow)
        except InvalidTransition:
            assert row is None or role not in row.roles
            continue
        assert row is not None
        assert role in row.roles
        assert new_status is row.target
        # A final status accepts only the 不合理诉求 review, which keeps it.
        assert not is_terminal(status) or new_status is status
        assert new_status in reachable
        status = new_status
        accepted.append((action, role))
    assert replay(accepted, flow=flow) is status


@settings(deadline=None)
@given(
    flow=st.sampled_from(list(Flow)),
    status=st.sampled_from([s for s in AppealStatus if is_terminal(s)]),
    action=actions,
    role=roles,
)
def test_no_action_leaves_a_terminal_status(
    flow: Flow, status: AppealStatus, action: Action, role: Role
) -> None:
    try:
        target = next_status(status, action, role, flow=flow)
    except InvalidTransition:
        return
    assert target is status, f"{action} by {role} left terminal status {status}"
    assert action in AFTER_END_ACTIONS


@settings(deadline=None)
@given(flow=st.sampled_from(list(Flow)), status=st.sampled_from(list(AppealStatus)), role=roles)
def test_allowed_actions_never_offer_a_refused_action(
    flow: Flow, status: AppealStatus, role: Role
) -> None:
    for action in allowed_actions(status, [role], flow=flow):
        next_status(status, action, role, flow=flow)
