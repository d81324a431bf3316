"""The appeal transition table: every row, every refusal, the messages, replay and inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from civicgrid.appeals.channels import Channel, Flow
from civicgrid.appeals.states import (
    TERMINAL_STATUSES,
    AppealStatus,
    EmergencyLine,
    Satisfaction,
    is_terminal,
)
from civicgrid.appeals.workflow import (
    ACTION_SPECS,
    TRANSITIONS,
    Action,
    ActionInput,
    Requirement,
    allowed_actions,
    can,
    check_input,
    find_transition,
    fits_finding,
    next_status,
    reachable_statuses,
    replay,
    self_rate_action,
    suggests_reopen,
)
from civicgrid.auth.roles import Role
from civicgrid.errors import Invalid, InvalidTransition

S = AppealStatus
A = Action
R = Role

# Role groups, written out here independently of the module so that a change of who may do what
# in workflow.py has to be made here too.
GROUPS: dict[str, frozenset[Role]] = {
    "intake": frozenset({R.OPERATOR, R.DISPATCHER, R.ADMIN}),
    "redispatchers": frozenset({R.DISPATCHER, R.ADMIN}),
    "reviewers": frozenset({R.DISPATCHER, R.SUPERVISOR, R.ADMIN}),
    "handlers": frozenset({R.STREET_HANDLER, R.DEPARTMENT_HANDLER, R.UTILITY_HANDLER}),
    "handlers+reviewers": frozenset(
        {R.STREET_HANDLER, R.DEPARTMENT_HANDLER, R.UTILITY_HANDLER}
        | {R.DISPATCHER, R.SUPERVISOR, R.ADMIN}
    ),
    "callback": frozenset({R.OPERATOR, R.ADMIN}),
    "reopen": frozenset({R.OPERATOR, R.SUPERVISOR, R.ADMIN}),
    "whistle": frozenset({R.STREET_HANDLER}),
    "supervise": frozenset({R.SUPERVISOR, R.LEADER, R.ADMIN}),
    "verifiers": frozenset({R.GRID_WORKER}),
    "caller": frozenset({R.RESIDENT}),
}

# The whole table, one row per (flows, source, action). Reviewed by hand against DOMAIN §2.5.
GOLDEN = """
both    received               accept                 pending_dispatch       intake
hotline received               answer_directly        answered_directly      intake
both    received               transfer_emergency     transferred_emergency  intake
hotline received               redirect_legal_route   redirected_legal_route intake
hotline received               explain                explained              intake
hotline received               refer_police           referred_police        intake
both    received               merge                  merged                 intake
both    pending_dispatch       merge                  merged                 intake
both    dispatched             merge                  merged                 intake
both    received               dispatch               dispatched             intake
both    pending_dispatch       dispatch               dispatched             intake
both    dispatched             dispatch               dispatched             redispatchers
both    dispatched             sign                   signed                 handlers
both    signed                 contact                in_progress            handlers
both    dispatched             request_return         return_requested       handlers
both    signed                 request_return         return_requested       handlers
both    return_requested       approve_return         pending_dispatch       reviewers
both    return_requested       reject_return          signed                 reviewers
both    in_progress            request_extension      extension_requested    handlers
both    extension_requested    approve_extension      in_progress            reviewers
both    extension_requested    reject_extension       in_progress            reviewers
both    in_progress            request_termination    termination_requested  handlers
both    termination_requested  approve_termination    terminated             reviewers
both    termination_requested  reject_termination     in_progress            reviewers
both    in_progress            request_park           park_requested         handlers
both    park_requested         approve_park           parked                 reviewers
both    park_requested         reject_park            in_progress            reviewers
both    parked                 unpark                 in_progress            handlers+reviewers
hotline in_progress            reply                  replied                handlers
grid    in_progress            reply                  pending_verification   handlers
hotline replied                callback_close         closed                 callback
hotline answered_directly      callback_close         closed                 callback
hotline replied                reopen                 in_progress            reopen
hotline replied                close_without_callback closed                 callback
hotline replied                self_rate_close        closed                 caller
hotline replied                self_rate              replied                caller
both    transferred_emergency  close                  closed                 intake
hotline answered_directly      close                  closed                 intake
hotline redirected_legal_route close                  closed                 intake
hotline explained              close                  closed                 intake
hotline referred_police        close                  closed                 intake
grid    pending_verification   verify_confirm         closed                 verifiers
grid    pending_verification   verify_reject          in_progress            verifiers
both    signed                 whistle                signed                 whistle
both    in_progress            whistle                in_progress            whistle
both    signed                 record_arrival         signed                 handlers
both    in_progress            record_arrival         in_progress            handlers
both    extension_requested    record_arrival         extension_requested    handlers
both    termination_requested  record_arrival         termination_requested  handlers
both    park_requested         record_arrival         park_requested         handlers
both    parked                 record_arrival         parked                 handlers
both    pending_dispatch       supervise              pending_dispatch       supervise
both    dispatched             supervise              dispatched             supervise
both    extension_requested    supervise              extension_requested    supervise
both    in_progress            supervise              in_progress            supervise
both    park_requested         supervise              park_requested         supervise
both    parked                 supervise              parked                 supervise
both    return_requested       supervise              return_requested       supervise
both    signed                 supervise              signed                 supervise
both    termination_requested  supervise              termination_requested  supervise
both    dispatched             remind                 dispatched             reviewers
both    extension_requested    remind                 extension_requested    reviewers
both    in_progress            remind                 in_progress            reviewers
both    park_requested         remind                 park_requested         reviewers
both    parked                 remind                 parked                 reviewers
both    return_requested       remind                 return_requested       reviewers
both    signed                 remind                 signed                 reviewers
both    termination_requested  remind                 termination_requested  reviewers
both    in_progress            mark_unreasonable      in_progress            reviewers
both    replied                mark_unreasonable      replied                reviewers
both    pending_verification   mark_unreasonable      pending_verification   reviewers
both    closed                 mark_unreasonable      closed                 reviewers
both    terminated             mark_unreasonable      terminated             reviewers
both    in_progress            revoke_unreasonable    in_progress            reviewers
both    replied                revoke_unreasonable    replied                reviewers
both    pending_verification   revoke_unreasonable    pending_verification   reviewers
both    closed                 revoke_unreasonable    closed                 reviewers
both    terminated             revoke_unreasonable    terminated             reviewers
both    in_progress            apply_unreasonable     in_progress            handlers
both    replied                apply_unreasonable     replied                handlers
both    pending_verification   apply_unreasonable     pending_verification   handlers
both    closed                 apply_unreasonable     closed                 handlers
both    terminated             apply_unreasonable     terminated             handlers
both    in_progress            approve_unreasonable   in_progress            reviewers
both    replied                approve_unreasonable   replied                reviewers
both    pending_verification   approve_unreasonable   pending_verification   reviewers
both    closed                 approve_unreasonable   closed                 reviewers
both    terminated             approve_unreasonable   terminated             reviewers
both    in_progress            reject_unreasonable    in_progress            reviewers
both    replied                reject_unreasonable    replied                reviewers
both    pending_verification   reject_unreasonable    pending_verification   reviewers
both    closed                 reject_unreasonable    closed                 reviewers
both    terminated             reject_unreasonable    terminated             reviewers
"""


def _golden() -> dict[tuple[Flow, AppealStatus, Action], tuple[AppealStatus, frozenset[Role]]]:
    table: dict[tuple[Flow, AppealStatus, Action], tuple[AppealStatus, frozenset[Role]]] = {}
    for line in GOLDEN.strip().splitlines():
        flow, source, action, target, group = line.split()
        flows = list(Flow) if flow == "both" else [Flow(flow)]
        for f in flows:
            key = (f, AppealStatus(source), Action(action))
            assert key not in table, key
            table[key] = (AppealStatus(target), GROUPS[group])
    return table


EXPECTED = _golden()
ALL_KEYS = [(f, s, a) for f in Flow for s in AppealStatus for a in Action]
ROW_CASES = [
    (f, s, a, role, target)
    for (f, s, a), (target, roles) in EXPECTED.items()
    for role in sorted(roles)
]


def test_table_matches_golden() -> None:
    actual = {(f, t.source, t.action): (t.target, t.roles) for t in TRANSITIONS for f in t.flows}
    assert actual == EXPECTED


@pytest.mark.parametrize(("flow", "status", "action", "role", "target"), ROW_CASES)
def test_each_transition(
    flow: Flow, status: AppealStatus, action: Action, role: Role, target: AppealStatus
) -> None:
    assert next_status(status, action, role, flow=flow) is target


@pytest.mark.parametrize(("flow", "status", "action"), ALL_KEYS)
def test_each_refusal(flow: Flow, status: AppealStatus, action: Action) -> None:
    allowed = EXPECTED[(flow, status, action)][1] if (flow, status, action) in EXPECTED else set()
    for role in Role:
        if role in allowed:
            continue
        with pytest.raises(InvalidTransition) as info:
            next_status(status, action, role, flow=flow)
        assert info.value.detail["status"] == status.value
        assert info.value.detail["action"] == action.value
        assert info.value.detail["role"] == role.value
        assert info.value.detail["allowed_roles"] == sorted(r.value for r in allowed)


def test_refusal_message_names_status_action_and_role_in_chinese_and_the_codes_in_detail() -> None:
    with pytest.raises(InvalidTransition) as info:
        next_status(S.RECEIVED, A.SIGN, R.STREET_HANDLER)
    message = info.value.message
    assert "已受理" in message
    assert "签收" in message
    assert "街乡承办人" in message
    assert "'sign'" not in message  # people read the message; programs read the detail
    assert info.value.detail == {
        "status": "received",
        "action": "sign",
        "role": "street_handler",
        "flow": info.value.detail["flow"],
        "allowed_roles": [],
    }
    assert info.value.status_code == 409


def test_wrong_role_message_lists_the_allowed_roles() -> None:
    with pytest.raises(InvalidTransition) as info:
        next_status(S.DISPATCHED, A.SIGN, R.OPERATOR)
    assert "仅限" in info.value.message
    assert "部门承办人" in info.value.message
    # the codes stay machine-readable in the detail; the message is for people, in Chinese
    assert "Role" not in info.value.message
    assert "department_handler" in info.value.detail["allowed_roles"]


@pytest.mark.parametrize("flow", list(Flow))
@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES))
def test_nothing_leaves_a_terminal_status(flow: Flow, status: AppealStatus) -> None:
    """A final status accepts only the 不合理诉求 review (mark / revoke, the unit's application
    and its decision), which keeps it."""
    assert is_terminal(status)
    review = {
        A.MARK_UNREASONABLE,
        A.REVOKE_UNREASONABLE,
        A.APPLY_UNREASONABLE,
        A.APPROVE_UNREASONABLE,
        A.REJECT_UNREASONABLE,
    }
    for action in Action:
        row = find_transition(status, action, flow=flow)
        for role in Role:
            if row is not None and role in row.roles:
                assert next_status(status, action, role, flow=flow) is status
                continue
            with pytest.raises(InvalidTransition):
                next_status(status, action, role, flow=flow)
        if action in review and status is not S.MERGED:
            assert row is not None
            assert row.target is status
        else:
            assert row is None


def test_terminal_statuses_are_merged_terminated_closed() -> None:
    assert {S.MERGED, S.TERMINATED, S.CLOSED} == TERMINAL_STATUSES


def test_reopen_happens_before_closed() -> None:
    rows = [t for t in TRANSITIONS if t.action is A.REOPEN]
    assert [(t.source, t.target) for t in rows] == [(S.REPLIED, S.IN_PROGRESS)]


@pytest.mark.parametrize("flow", list(Flow))
def test_every_reachable_open_status_can_still_end(flow: Flow) -> None:
    reachable = reachable_statuses(flow)
    for status in reachable - TERMINAL_STATUSES:
        seen = {status}
        frontier = [status]
        while frontier:
            current = frontier.pop()
            for t in TRANSITIONS:
                if flow in t.flows and t.source is current and t.target not in seen:
                    seen.add(t.target)
                    frontier.append(t.target)
        assert seen & TERMINAL_STATUSES, status


def test_reachable_statuses_per_flow() -> None:
    hotline = reachable_statuses(Flow.HOTLINE)
    grid = reachable_statuses(Flow.GRID)
    assert hotline | grid == set(AppealStatus)
    assert S.PENDING_VERIFICATION not in hotline
    assert S.REPLIED not in grid
    assert S.ANSWERED_DIRECTLY not in grid
    assert S.TRANSFERRED_EMERGENCY in grid


def test_overlays_keep_the_status() -> None:
    overlay_rows = [t for t in TRANSITIONS if t.action.overlay]
    assert {t.action for t in overlay_rows} == {
        A.WHISTLE,
        A.RECORD_ARRIVAL,
        A.SUPERVISE,
        A.REMIND,
        A.SELF_RATE,
        A.MARK_UNREASONABLE,
        A.REVOKE_UNREASONABLE,
        A.APPLY_UNREASONABLE,
        A.APPROVE_UNREASONABLE,
        A.REJECT_UNREASONABLE,
    }
    assert all(t.source is t.target for t in overlay_rows)
    changing = [t for t in TRANSITIONS if not t.action.overlay and t.source is t.target]
    assert [(t.source, t.action) for t in changing] == [(S.DISPATCHED, A.DISPATCH)]


def test_only_street_handlers_whistle() -> None:
    assert next_status(S.IN_PROGRESS, A.WHISTLE, R.STREET_HANDLER) is S.IN_PROGRESS
    with pytest.raises(InvalidTransition):
        next_status(S.IN_PROGRESS, A.WHISTLE, R.DEPARTMENT_HANDLER)


# The steps only the unit holding the order (or the grid worker verifying it) takes.
UNIT_ACTIONS = frozenset(
    {
        A.SIGN,
        A.CONTACT,
        A.REQUEST_RETURN,
        A.REQUEST_EXTENSION,
        A.REQUEST_TERMINATION,
        A.REQUEST_PARK,
        A.REPLY,
        A.WHISTLE,
        A.RECORD_ARRIVAL,
        A.APPLY_UNREASONABLE,
        A.VERIFY_CONFIRM,
        A.VERIFY_REJECT,
    }
)


def test_admin_never_acts_as_a_unit() -> None:
    unit_rows = [t for t in TRANSITIONS if t.action in UNIT_ACTIONS]
    assert {t.action for t in unit_rows} == UNIT_ACTIONS
    unit_roles = GROUPS["handlers"] | GROUPS["verifiers"]
    for t in unit_rows:
        assert R.ADMIN not in t.roles, (t.source, t.action)
        assert t.roles <= unit_roles, (t.source, t.action)
    # ... while the admin does take the centre's steps (so the check above is about the unit).
    assert can(S.RECEIVED, A.DISPATCH, [R.ADMIN])
    assert can(S.RETURN_REQUESTED, A.APPROVE_RETURN, [R.ADMIN])


def test_residents_take_only_the_self_rating_after_the_reply() -> None:
    resident_rows = [t for t in TRANSITIONS if R.RESIDENT in t.roles]
    assert {(t.source, t.action) for t in resident_rows} == {
        (S.REPLIED, A.SELF_RATE_CLOSE),
        (S.REPLIED, A.SELF_RATE),
    }
    assert all(t.roles == {R.RESIDENT} and t.flows == {Flow.HOTLINE} for t in resident_rows)


@pytest.mark.parametrize(
    ("resolved", "satisfaction", "action"),
    [
        (True, Satisfaction.SATISFIED, A.SELF_RATE_CLOSE),
        (True, Satisfaction.FAIRLY_SATISFIED, A.SELF_RATE_CLOSE),
        (True, Satisfaction.DISSATISFIED, A.SELF_RATE),
        (False, Satisfaction.SATISFIED, A.SELF_RATE),
        (False, Satisfaction.DISSATISFIED, A.SELF_RATE),
    ],
)
def test_self_rating_closes_only_when_solved_and_satisfied(
    resolved: bool, satisfaction: Satisfaction, action: Action
) -> None:
    assert self_rate_action(resolved=resolved, satisfaction=satisfaction) is action
    target = next_status(S.REPLIED, action, R.RESIDENT)
    assert target is (S.CLOSED if action is A.SELF_RATE_CLOSE else S.REPLIED)


# --- allowed_actions ------------------------------------------------------------------------


@pytest.mark.parametrize("flow", list(Flow))
@pytest.mark.parametrize("status", list(AppealStatus))
def test_allowed_actions_agree_with_next_status(flow: Flow, status: AppealStatus) -> None:
    for role in Role:
        listed = allowed_actions(status, [role], flow=flow)
        for action in Action:
            if action in listed:
                next_status(status, action, role, flow=flow)
            else:
                with pytest.raises(InvalidTransition):
                    next_status(status, action, role, flow=flow)


def test_allowed_actions_union_of_roles_in_declaration_order() -> None:
    actions = allowed_actions(S.IN_PROGRESS, [R.STREET_HANDLER, R.SUPERVISOR])
    assert actions == [
        A.REQUEST_EXTENSION,
        A.REQUEST_TERMINATION,
        A.REQUEST_PARK,
        A.REPLY,
        A.WHISTLE,
        A.RECORD_ARRIVAL,
        A.SUPERVISE,
        A.REMIND,
        A.MARK_UNREASONABLE,
        A.REVOKE_UNREASONABLE,
        A.APPLY_UNREASONABLE,
        A.APPROVE_UNREASONABLE,
        A.REJECT_UNREASONABLE,
    ]
    assert allowed_actions(S.CLOSED, list(Role)) == [
        A.MARK_UNREASONABLE,
        A.REVOKE_UNREASONABLE,
        A.APPLY_UNREASONABLE,
        A.APPROVE_UNREASONABLE,
        A.REJECT_UNREASONABLE,
    ]
    assert allowed_actions(S.MERGED, list(Role)) == []
    assert allowed_actions(S.IN_PROGRESS, []) == []


def test_allowed_actions_for_an_operator_at_intake() -> None:
    assert allowed_actions(S.RECEIVED, [R.OPERATOR]) == [
        A.ACCEPT,
        A.ANSWER_DIRECTLY,
        A.TRANSFER_EMERGENCY,
        A.REDIRECT_LEGAL_ROUTE,
        A.EXPLAIN,
        A.REFER_POLICE,
        A.MERGE,
        A.DISPATCH,
    ]
    assert allowed_actions(S.RECEIVED, [R.OPERATOR], flow=Flow.GRID) == [
        A.ACCEPT,
        A.TRANSFER_EMERGENCY,
        A.MERGE,
        A.DISPATCH,
    ]


def test_can() -> None:
    assert can(S.DISPATCHED, A.SIGN, {R.LEADER, R.UTILITY_HANDLER})
    assert not can(S.DISPATCHED, A.SIGN, {R.LEADER})
    assert not can(S.CLOSED, A.REOPEN, set(Role))


# --- replay ---------------------------------------------------------------------------------

HOTLINE_HAPPY = [
    (A.ACCEPT, R.OPERATOR),
    (A.DISPATCH, R.DISPATCHER),
    (A.SIGN, R.STREET_HANDLER),
    (A.CONTACT, R.STREET_HANDLER),
    (A.WHISTLE, R.STREET_HANDLER),
    (A.RECORD_ARRIVAL, R.DEPARTMENT_HANDLER),
    (A.REQUEST_EXTENSION, R.STREET_HANDLER),
    (A.APPROVE_EXTENSION, R.SUPERVISOR),
    (A.REPLY, R.STREET_HANDLER),
    (A.REOPEN, R.OPERATOR),
    (A.REPLY, R.STREET_HANDLER),
    (A.CALLBACK_CLOSE, R.OPERATOR),
]


def test_replay_hotline_path_with_extension_whistle_and_reopen() -> None:
    assert replay(HOTLINE_HAPPY) is S.CLOSED
    assert replay(HOTLINE_HAPPY[:-1]) is S.REPLIED
    assert replay([]) is S.RECEIVED


def test_replay_grid_loop() -> None:
    events = [
        (A.DISPATCH, R.DISPATCHER),
        (A.SIGN, R.DEPARTMENT_HANDLER),
        (A.CONTACT, R.DEPARTMENT_HANDLER),
        (A.REPLY, R.DEPARTMENT_HANDLER),
        (A.VERIFY_REJECT, R.GRID_WORKER),
        (A.REPLY, R.DEPARTMENT_HANDLER),
    ]
    assert replay(events, flow=Channel.GRID_PATROL.flow) is S.PENDING_VERIFICATION
    assert replay([*events, (A.VERIFY_CONFIRM, R.GRID_WORKER)], flow=Flow.GRID) is S.CLOSED
    with pytest.raises(InvalidTransition):
        replay(events, flow=Flow.HOTLINE)


def test_replay_send_back_and_redispatch() -> None:
    events = [
        (A.DISPATCH, R.OPERATOR),
        (A.REQUEST_RETURN, R.DEPARTMENT_HANDLER),
        (A.APPROVE_RETURN, R.DISPATCHER),
        (A.DISPATCH, R.DISPATCHER),
        (A.REQUEST_RETURN, R.STREET_HANDLER),
        (A.REJECT_RETURN, R.DISPATCHER),
    ]
    assert replay(events) is S.SIGNED


def test_replay_termination_and_park() -> None:
    base = [(A.DISPATCH, R.OPERATOR), (A.SIGN, R.STREET_HANDLER), (A.CONTACT, R.STREET_HANDLER)]
    assert (
        replay([*base, (A.REQUEST_TERMINATION, R.STREET_HANDLER), (A.APPROVE_TERMINATION, R.ADMIN)])
        is S.TERMINATED
    )
    parked = [*base, (A.REQUEST_PARK, R.STREET_HANDLER), (A.APPROVE_PARK, R.SUPERVISOR)]
    assert replay(parked) is S.PARKED
    assert replay([*parked, (A.UNPARK, R.STREET_HANDLER)]) is S.IN_PROGRESS


@pytest.mark.parametrize(
    ("action", "target"),
    [
        (A.ANSWER_DIRECTLY, S.ANSWERED_DIRECTLY),
        (A.TRANSFER_EMERGENCY, S.TRANSFERRED_EMERGENCY),
        (A.REDIRECT_LEGAL_ROUTE, S.REDIRECTED_LEGAL_ROUTE),
        (A.EXPLAIN, S.EXPLAINED),
        (A.REFER_POLICE, S.REFERRED_POLICE),
    ],
)
def test_intake_dispositions_then_close(action: Action, target: AppealStatus) -> None:
    assert replay([(action, R.OPERATOR)]) is target
    assert replay([(action, R.OPERATOR), (A.CLOSE, R.OPERATOR)]) is S.CLOSED


def test_replay_reports_the_refused_step() -> None:
    with pytest.raises(InvalidTransition) as info:
        replay([(A.ACCEPT, R.OPERATOR), (A.SIGN, R.STREET_HANDLER)])
    assert info.value.detail["step"] == 1
    assert info.value.detail["action"] == "sign"


def test_replay_from_another_start() -> None:
    assert replay([(A.CALLBACK_CLOSE, R.OPERATOR)], start=S.REPLIED) is S.CLOSED


# --- action inputs --------------------------------------------------------------------------

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
DUE = NOW + timedelta(days=3)


def test_every_action_has_a_spec_and_text_label_when_it_needs_text() -> None:
    assert set(ACTION_SPECS) == set(Action)
    for action, spec in ACTION_SPECS.items():
        assert spec.label
        needs_text = bool(spec.requires & {Requirement.REASON, Requirement.CONTENT})
        assert needs_text == (spec.text_label is not None), action


@pytest.mark.parametrize(
    "action",
    [
        A.REQUEST_RETURN,
        A.REQUEST_EXTENSION,
        A.REQUEST_TERMINATION,
        A.REQUEST_PARK,
        A.REOPEN,
        A.REJECT_RETURN,
        A.UNPARK,
        A.VERIFY_REJECT,
    ],
)
def test_reasons_are_required(action: Action) -> None:
    assert Requirement.REASON in action.requires
    for text in (None, "", "   "):
        with pytest.raises(Invalid) as info:
            check_input(action, ActionInput(text=text), now=NOW, current_due_at=DUE)
        assert info.value.detail == {"field": "text"}


def test_actions_without_requirements_accept_empty_input() -> None:
    for action in (A.ACCEPT, A.SIGN, A.CONTACT, A.APPROVE_RETURN, A.CLOSE, A.REMIND):
        check_input(action, ActionInput(), now=NOW)


def test_extension_request_needs_a_later_future_deadline_before_the_old_one_passes() -> None:
    ok = ActionInput(text="需协调产权单位", new_due_at=DUE + timedelta(days=5))
    check_input(A.REQUEST_EXTENSION, ok, now=NOW, current_due_at=DUE)
    with pytest.raises(Invalid, match="新的办理时限"):
        check_input(A.REQUEST_EXTENSION, ActionInput(text="x"), now=NOW, current_due_at=DUE)
    with pytest.raises(Invalid, match="晚于原办理时限"):
        check_input(
            A.REQUEST_EXTENSION,
            ActionInput(text="x", new_due_at=DUE - timedelta(hours=1)),
            now=NOW,
            current_due_at=DUE,
        )
    with pytest.raises(Invalid, match="届满前申请"):
        check_input(A.REQUEST_EXTENSION, ok, now=DUE + timedelta(seconds=1), current_due_at=DUE)
    with pytest.raises(Invalid, match="没有办理时限"):
        check_input(A.REQUEST_EXTENSION, ok, now=NOW, current_due_at=None)


def test_extension_approval_may_come_after_the_old_deadline_but_not_into_the_past() -> None:
    late = DUE + timedelta(hours=1)
    good = ActionInput(new_due_at=late + timedelta(days=2))
    check_input(A.APPROVE_EXTENSION, good, now=late, current_due_at=DUE)
    with pytest.raises(Invalid, match="晚于当前时间"):
        check_input(
            A.APPROVE_EXTENSION,
            ActionInput(new_due_at=late - timedelta(minutes=1)),
            now=late,
            current_due_at=DUE,
        )


@pytest.mark.parametrize("action", [A.CALLBACK_CLOSE, A.REOPEN])
def test_callback_needs_resolved_and_satisfaction(action: Action) -> None:
    text = "未解决"
    with pytest.raises(Invalid) as info:
        check_input(action, ActionInput(text=text, resolved=True), now=NOW)
    assert info.value.detail == {"field": "satisfaction"}
    with pytest.raises(Invalid) as info:
        check_input(action, ActionInput(text=text, satisfaction=Satisfaction.SATISFIED), now=NOW)
    assert info.value.detail == {"field": "resolved"}
    check_input(
        action,
        ActionInput(text=text, resolved=False, satisfaction=Satisfaction.DISSATISFIED),
        now=NOW,
    )


def test_transfer_needs_a_line_and_merge_a_valid_target_number() -> None:
    with pytest.raises(Invalid):
        check_input(A.TRANSFER_EMERGENCY, ActionInput(), now=NOW)
    check_input(A.TRANSFER_EMERGENCY, ActionInput(emergency_line=EmergencyLine.FIRE), now=NOW)
    with pytest.raises(Invalid):
        check_input(A.MERGE, ActionInput(), now=NOW)
    with pytest.raises(Invalid):
        check_input(A.MERGE, ActionInput(merge_target_no="20261124"), now=NOW)
    check_input(A.MERGE, ActionInput(merge_target_no="2026112400001"), now=NOW)


def test_unit_references_are_left_to_the_service() -> None:
    service_checked = {r for r in Requirement if not r.checked_here}
    assert service_checked == {
        Requirement.LEAD_UNIT,
        Requirement.SUMMONED_UNITS,
        Requirement.ARRIVING_UNIT,
    }
    check_input(A.DISPATCH, ActionInput(), now=NOW)


@pytest.mark.parametrize(
    ("resolved", "satisfaction", "expected"),
    [
        (True, Satisfaction.SATISFIED, False),
        (True, Satisfaction.FAIRLY_SATISFIED, False),
        (True, Satisfaction.DISSATISFIED, True),
        (False, Satisfaction.SATISFIED, True),
    ],
)
def test_suggests_reopen(resolved: bool, satisfaction: Satisfaction, expected: bool) -> None:
    assert suggests_reopen(resolved=resolved, satisfaction=satisfaction) is expected


@pytest.mark.parametrize(
    ("action", "marked", "pending", "fits"),
    [
        (Action.MARK_UNREASONABLE, False, False, True),
        (Action.MARK_UNREASONABLE, True, False, False),
        (Action.APPLY_UNREASONABLE, False, True, False),
        (Action.APPLY_UNREASONABLE, False, False, True),
        (Action.APPROVE_UNREASONABLE, False, False, False),
        (Action.APPROVE_UNREASONABLE, False, True, True),
        (Action.REJECT_UNREASONABLE, True, True, False),
        (Action.REVOKE_UNREASONABLE, False, False, False),
        (Action.REVOKE_UNREASONABLE, True, False, True),
        (Action.REPLY, True, True, True),
    ],
)
def test_unreasonable_steps_fit_the_finding(
    action: Action, marked: bool, pending: bool, fits: bool
) -> None:
    assert fits_finding(action, marked=marked, pending=pending) is fits
