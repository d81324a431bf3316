"""The appeal workflow as a pure transition table. Pure: no I/O, no clock, no database.

One row of :data:`TRANSITIONS` says: in this flow, from this status, this action taken by one of
these roles leads to that status. Everything else is refused with
:class:`~civicgrid.errors.InvalidTransition`. The service layer calls :func:`next_status` before it
writes anything, :func:`check_input` to validate what the action carries, and
:func:`allowed_actions` to decide which forms the page shows.

What this module does **not** decide (the service must):

* **Unit membership.** Handler roles (street, department, utility) may act only on orders whose
  lead unit (or, for co-unit contributions and whistle arrivals, a co-unit or summoned unit) is the
  unit of the actor's post. The table only says "a street handler may sign"; the service checks
  *which* street. Likewise a grid worker verifies only orders of their own grid.
* **References.** That the lead unit, co-units, summoned departments or the merge target exist,
  are active and are in the actor's scope; that a merge target is an open order other than this
  one; that a whistle is open before an arrival is recorded.
* **Timeline.** Every accepted action, including overlays that keep the status, is written as one
  append-only timeline event with actor, time and the inputs.

Overlay actions (whistle, arrival, supervision, reminder, marking a demand unreasonable or
revoking that finding, a caller's rating that does not close) are rows whose target is their
source: they are checked by role and status like any other action but never change the status.
The caller (role resident) takes only the self-rating actions.

Terminal statuses (merged, terminated, closed) are the source of no row, with one exception: the
不合理诉求 review (:data:`AFTER_END_ACTIONS`), a finding about how the order counts in 三率 rather
than a step of its handling, which mostly happens after the callback or the termination. Those
rows keep the status, so nothing ever leaves a terminal status.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from civicgrid.appeals.channels import Flow
from civicgrid.appeals.deadlines import extended_due
from civicgrid.appeals.numbering import parse_appeal_no
from civicgrid.appeals.states import (
    WITH_UNIT_STATUSES,
    AppealStatus,
    EmergencyLine,
    Satisfaction,
    is_terminal,
)
from civicgrid.auth.roles import Role
from civicgrid.errors import Invalid, InvalidTransition


class Requirement(StrEnum):
    """What an action must carry besides the actor."""

    REASON = "reason"
    CONTENT = "content"
    NEW_DEADLINE = "new_deadline"
    CALLBACK_RESULT = "callback_result"
    EMERGENCY_LINE = "emergency_line"
    MERGE_TARGET = "merge_target"
    LEAD_UNIT = "lead_unit"
    SUMMONED_UNITS = "summoned_units"
    ARRIVING_UNIT = "arriving_unit"

    @property
    def checked_here(self) -> bool:
        """False for references to units, which only the service can resolve."""
        return self not in _SERVICE_CHECKED


_SERVICE_CHECKED = frozenset(
    {Requirement.LEAD_UNIT, Requirement.SUMMONED_UNITS, Requirement.ARRIVING_UNIT}
)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """Display and input facts of one action."""

    label: str
    requires: frozenset[Requirement] = frozenset()
    overlay: bool = False
    text_label: str | None = None  # what the REASON / CONTENT text is called on the form


class Action(StrEnum):
    """Something a user does to an order; stored as its English code in timeline events."""

    ACCEPT = "accept"
    ANSWER_DIRECTLY = "answer_directly"
    TRANSFER_EMERGENCY = "transfer_emergency"
    REDIRECT_LEGAL_ROUTE = "redirect_legal_route"
    EXPLAIN = "explain"
    REFER_POLICE = "refer_police"
    MERGE = "merge"
    DISPATCH = "dispatch"
    SIGN = "sign"
    CONTACT = "contact"
    REQUEST_RETURN = "request_return"
    APPROVE_RETURN = "approve_return"
    REJECT_RETURN = "reject_return"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REJECT_EXTENSION = "reject_extension"
    REQUEST_TERMINATION = "request_termination"
    APPROVE_TERMINATION = "approve_termination"
    REJECT_TERMINATION = "reject_termination"
    REQUEST_PARK = "request_park"
    APPROVE_PARK = "approve_park"
    REJECT_PARK = "reject_park"
    UNPARK = "unpark"
    REPLY = "reply"
    CALLBACK_CLOSE = "callback_close"
    REOPEN = "reopen"
    CLOSE_WITHOUT_CALLBACK = "close_without_callback"
    SELF_RATE_CLOSE = "self_rate_close"
    SELF_RATE = "self_rate"
    CLOSE = "close"
    VERIFY_CONFIRM = "verify_confirm"
    VERIFY_REJECT = "verify_reject"
    WHISTLE = "whistle"
    RECORD_ARRIVAL = "record_arrival"
    SUPERVISE = "supervise"
    REMIND = "remind"
    MARK_UNREASONABLE = "mark_unreasonable"
    REVOKE_UNREASONABLE = "revoke_unreasonable"
    APPLY_UNREASONABLE = "apply_unreasonable"
    APPROVE_UNREASONABLE = "approve_unreasonable"
    REJECT_UNREASONABLE = "reject_unreasonable"

    @property
    def label(self) -> str:
        """Chinese name shown on buttons and in the timeline."""
        return ACTION_SPECS[self].label

    @property
    def requires(self) -> frozenset[Requirement]:
        return ACTION_SPECS[self].requires

    @property
    def overlay(self) -> bool:
        """True when the action is recorded beside the order and never changes its status."""
        return ACTION_SPECS[self].overlay


_R = Requirement
ACTION_SPECS: dict[Action, ActionSpec] = {
    Action.ACCEPT: ActionSpec("受理转派"),
    Action.ANSWER_DIRECTLY: ActionSpec("直接答复", frozenset({_R.CONTENT}), text_label="答复内容"),
    Action.TRANSFER_EMERGENCY: ActionSpec("转紧急热线", frozenset({_R.EMERGENCY_LINE})),
    Action.REDIRECT_LEGAL_ROUTE: ActionSpec(
        "告知法定途径", frozenset({_R.REASON}), text_label="告知的途径"
    ),
    Action.EXPLAIN: ActionSpec("解释说明", frozenset({_R.REASON}), text_label="解释内容"),
    Action.REFER_POLICE: ActionSpec("移交公安", frozenset({_R.REASON}), text_label="移交理由"),
    Action.MERGE: ActionSpec("并单", frozenset({_R.MERGE_TARGET})),
    Action.DISPATCH: ActionSpec("派单", frozenset({_R.LEAD_UNIT})),
    Action.SIGN: ActionSpec("签收"),
    Action.CONTACT: ActionSpec("联系诉求人"),
    Action.REQUEST_RETURN: ActionSpec("申请退单", frozenset({_R.REASON}), text_label="退单理由"),
    Action.APPROVE_RETURN: ActionSpec("同意退单"),
    Action.REJECT_RETURN: ActionSpec("驳回退单", frozenset({_R.REASON}), text_label="驳回理由"),
    Action.REQUEST_EXTENSION: ActionSpec(
        "申请延期", frozenset({_R.REASON, _R.NEW_DEADLINE}), text_label="延期理由"
    ),
    Action.APPROVE_EXTENSION: ActionSpec("批准延期", frozenset({_R.NEW_DEADLINE})),
    Action.REJECT_EXTENSION: ActionSpec("驳回延期", frozenset({_R.REASON}), text_label="驳回理由"),
    Action.REQUEST_TERMINATION: ActionSpec(
        "申请终止办理", frozenset({_R.REASON}), text_label="终止理由"
    ),
    Action.APPROVE_TERMINATION: ActionSpec("同意终止办理"),
    Action.REJECT_TERMINATION: ActionSpec(
        "驳回终止办理", frozenset({_R.REASON}), text_label="驳回理由"
    ),
    Action.REQUEST_PARK: ActionSpec("申请挂账", frozenset({_R.REASON}), text_label="挂账理由"),
    Action.APPROVE_PARK: ActionSpec("同意挂账"),
    Action.REJECT_PARK: ActionSpec("驳回挂账", frozenset({_R.REASON}), text_label="驳回理由"),
    Action.UNPARK: ActionSpec("解除挂账", frozenset({_R.REASON}), text_label="恢复办理的理由"),
    Action.REPLY: ActionSpec("办结反馈", frozenset({_R.CONTENT}), text_label="办理结果"),
    Action.CALLBACK_CLOSE: ActionSpec("回访结案", frozenset({_R.CALLBACK_RESULT})),
    Action.REOPEN: ActionSpec(
        "回访重办", frozenset({_R.CALLBACK_RESULT, _R.REASON}), text_label="重办理由"
    ),
    Action.CLOSE_WITHOUT_CALLBACK: ActionSpec(
        "无法回访结案", frozenset({_R.REASON}), text_label="无法回访的原因"
    ),
    Action.SELF_RATE_CLOSE: ActionSpec("自助评价结案", frozenset({_R.CALLBACK_RESULT})),
    Action.SELF_RATE: ActionSpec("自助评价", frozenset({_R.CALLBACK_RESULT}), overlay=True),
    Action.CLOSE: ActionSpec("归档结案"),
    Action.VERIFY_CONFIRM: ActionSpec("核查通过"),
    Action.VERIFY_REJECT: ActionSpec("核查未通过", frozenset({_R.REASON}), text_label="未解决情况"),
    Action.WHISTLE: ActionSpec("吹哨", frozenset({_R.SUMMONED_UNITS}), overlay=True),
    Action.RECORD_ARRIVAL: ActionSpec("报到", frozenset({_R.ARRIVING_UNIT}), overlay=True),
    Action.SUPERVISE: ActionSpec(
        "督办", frozenset({_R.CONTENT}), overlay=True, text_label="督办意见"
    ),
    Action.REMIND: ActionSpec("催办", overlay=True),
    Action.MARK_UNREASONABLE: ActionSpec(
        "认定不合理诉求", frozenset({_R.REASON}), overlay=True, text_label="认定理由"
    ),
    Action.REVOKE_UNREASONABLE: ActionSpec(
        "撤销不合理认定", frozenset({_R.REASON}), overlay=True, text_label="撤销理由"
    ),
    Action.APPLY_UNREASONABLE: ActionSpec(
        "申请不合理诉求认定", frozenset({_R.REASON}), overlay=True, text_label="申请理由"
    ),
    Action.APPROVE_UNREASONABLE: ActionSpec("通过不合理诉求申请", overlay=True),
    Action.REJECT_UNREASONABLE: ActionSpec(
        "驳回不合理诉求申请", frozenset({_R.REASON}), overlay=True, text_label="驳回理由"
    ),
}

# The only actions a terminal status may be the source of (they keep the status): the centre's
# 不合理诉求 review and its revocation, and the unit's application for it with the centre's
# decision (DOMAIN §1.5, §1.6).
AFTER_END_ACTIONS = frozenset(
    {
        Action.MARK_UNREASONABLE,
        Action.REVOKE_UNREASONABLE,
        Action.APPLY_UNREASONABLE,
        Action.APPROVE_UNREASONABLE,
        Action.REJECT_UNREASONABLE,
    }
)


# --- who may act ---------------------------------------------------------------------------
# The admin acts as the centre (intake, dispatch, review, callback) but never as a unit: unit
# actions need a post in the unit, which the service checks anyway.
INTAKE = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.ADMIN})
REDISPATCHERS = frozenset({Role.DISPATCHER, Role.ADMIN})
REVIEWERS = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
HANDLERS = frozenset({Role.STREET_HANDLER, Role.DEPARTMENT_HANDLER, Role.UTILITY_HANDLER})
CALLBACK_ROLES = frozenset({Role.OPERATOR, Role.ADMIN})
REOPEN_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN})
WHISTLE_ROLES = frozenset({Role.STREET_HANDLER})  # 街乡吹哨、部门报到 (DOMAIN §1.8)
SUPERVISE_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN})
REMIND_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
VERIFIERS = frozenset({Role.GRID_WORKER})
SELF_RATERS = frozenset({Role.RESIDENT})  # the caller, logged in or proven by number + phone

BOTH_FLOWS = frozenset(Flow)
HOTLINE_ONLY = frozenset({Flow.HOTLINE})
GRID_ONLY = frozenset({Flow.GRID})


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the table: in ``flows``, ``action`` by one of ``roles`` turns ``source``
    into ``target``."""

    action: Action
    source: AppealStatus
    target: AppealStatus
    roles: frozenset[Role]
    flows: frozenset[Flow]


def _rows(
    action: Action,
    sources: Iterable[AppealStatus],
    target: AppealStatus | None,
    roles: frozenset[Role],
    flows: frozenset[Flow] = BOTH_FLOWS,
) -> list[Transition]:
    """Rows for several sources; ``target=None`` keeps the status (overlay)."""
    return [Transition(action, s, target or s, roles, flows) for s in sources]


_S = AppealStatus
_A = Action
# Statuses in which the unit has signed and still holds the order.
_HANDLING: tuple[AppealStatus, ...] = (
    _S.SIGNED,
    _S.IN_PROGRESS,
    _S.EXTENSION_REQUESTED,
    _S.TERMINATION_REQUESTED,
    _S.PARK_REQUESTED,
    _S.PARKED,
)
# Statuses in which the 不合理诉求 review may be made or revoked.
_RATE_REVIEW: tuple[AppealStatus, ...] = (
    _S.IN_PROGRESS,
    _S.REPLIED,
    _S.PENDING_VERIFICATION,
    _S.CLOSED,
    _S.TERMINATED,
)

TRANSITIONS: tuple[Transition, ...] = tuple(
    # Intake dispositions (国办函〔2025〕66号, DOMAIN §2.2).
    _rows(_A.ACCEPT, [_S.RECEIVED], _S.PENDING_DISPATCH, INTAKE)
    + _rows(_A.ANSWER_DIRECTLY, [_S.RECEIVED], _S.ANSWERED_DIRECTLY, INTAKE, HOTLINE_ONLY)
    + _rows(_A.TRANSFER_EMERGENCY, [_S.RECEIVED], _S.TRANSFERRED_EMERGENCY, INTAKE)
    + _rows(_A.REDIRECT_LEGAL_ROUTE, [_S.RECEIVED], _S.REDIRECTED_LEGAL_ROUTE, INTAKE, HOTLINE_ONLY)
    + _rows(_A.EXPLAIN, [_S.RECEIVED], _S.EXPLAINED, INTAKE, HOTLINE_ONLY)
    + _rows(_A.REFER_POLICE, [_S.RECEIVED], _S.REFERRED_POLICE, INTAKE, HOTLINE_ONLY)
    + _rows(_A.MERGE, [_S.RECEIVED, _S.PENDING_DISPATCH, _S.DISPATCHED], _S.MERGED, INTAKE)
    # Dispatch (直派 from intake, or after acceptance), and re-dispatch (改派) before signing.
    + _rows(_A.DISPATCH, [_S.RECEIVED, _S.PENDING_DISPATCH], _S.DISPATCHED, INTAKE)
    + _rows(_A.DISPATCH, [_S.DISPATCHED], _S.DISPATCHED, REDISPATCHERS)
    # The unit signs, then contacts the caller (响应).
    + _rows(_A.SIGN, [_S.DISPATCHED], _S.SIGNED, HANDLERS)
    + _rows(_A.CONTACT, [_S.SIGNED], _S.IN_PROGRESS, HANDLERS)
    # Send back (退单) before the caller is contacted; a rejected send-back counts as signed.
    + _rows(_A.REQUEST_RETURN, [_S.DISPATCHED, _S.SIGNED], _S.RETURN_REQUESTED, HANDLERS)
    + _rows(_A.APPROVE_RETURN, [_S.RETURN_REQUESTED], _S.PENDING_DISPATCH, REVIEWERS)
    + _rows(_A.REJECT_RETURN, [_S.RETURN_REQUESTED], _S.SIGNED, REVIEWERS)
    # Reviewed requests during handling (DOMAIN §1.5).
    + _rows(_A.REQUEST_EXTENSION, [_S.IN_PROGRESS], _S.EXTENSION_REQUESTED, HANDLERS)
    + _rows(_A.APPROVE_EXTENSION, [_S.EXTENSION_REQUESTED], _S.IN_PROGRESS, REVIEWERS)
    + _rows(_A.REJECT_EXTENSION, [_S.EXTENSION_REQUESTED], _S.IN_PROGRESS, REVIEWERS)
    + _rows(_A.REQUEST_TERMINATION, [_S.IN_PROGRESS], _S.TERMINATION_REQUESTED, HANDLERS)
    + _rows(_A.APPROVE_TERMINATION, [_S.TERMINATION_REQUESTED], _S.TERMINATED, REVIEWERS)
    + _rows(_A.REJECT_TERMINATION, [_S.TERMINATION_REQUESTED], _S.IN_PROGRESS, REVIEWERS)
    + _rows(_A.REQUEST_PARK, [_S.IN_PROGRESS], _S.PARK_REQUESTED, HANDLERS)
    + _rows(_A.APPROVE_PARK, [_S.PARK_REQUESTED], _S.PARKED, REVIEWERS)
    + _rows(_A.REJECT_PARK, [_S.PARK_REQUESTED], _S.IN_PROGRESS, REVIEWERS)
    + _rows(_A.UNPARK, [_S.PARKED], _S.IN_PROGRESS, HANDLERS | REVIEWERS)
    # Result: hotline orders are called back, grid orders are verified by the grid worker.
    + _rows(_A.REPLY, [_S.IN_PROGRESS], _S.REPLIED, HANDLERS, HOTLINE_ONLY)
    + _rows(_A.REPLY, [_S.IN_PROGRESS], _S.PENDING_VERIFICATION, HANDLERS, GRID_ONLY)
    + _rows(
        _A.CALLBACK_CLOSE,
        [_S.REPLIED, _S.ANSWERED_DIRECTLY],
        _S.CLOSED,
        CALLBACK_ROLES,
        HOTLINE_ONLY,
    )
    + _rows(_A.REOPEN, [_S.REPLIED], _S.IN_PROGRESS, REOPEN_ROLES, HOTLINE_ONLY)
    + _rows(_A.CLOSE_WITHOUT_CALLBACK, [_S.REPLIED], _S.CLOSED, CALLBACK_ROLES, HOTLINE_ONLY)
    # The caller's own rating (自助评价): solved and satisfied closes the order like a callback;
    # otherwise it is recorded and the centre still calls back and decides (see self_rate_action).
    + _rows(_A.SELF_RATE_CLOSE, [_S.REPLIED], _S.CLOSED, SELF_RATERS, HOTLINE_ONLY)
    + _rows(_A.SELF_RATE, [_S.REPLIED], None, SELF_RATERS, HOTLINE_ONLY)
    + _rows(_A.CLOSE, [_S.TRANSFERRED_EMERGENCY], _S.CLOSED, INTAKE)
    + _rows(
        _A.CLOSE,
        [_S.ANSWERED_DIRECTLY, _S.REDIRECTED_LEGAL_ROUTE, _S.EXPLAINED, _S.REFERRED_POLICE],
        _S.CLOSED,
        INTAKE,
        HOTLINE_ONLY,
    )
    + _rows(_A.VERIFY_CONFIRM, [_S.PENDING_VERIFICATION], _S.CLOSED, VERIFIERS, GRID_ONLY)
    + _rows(_A.VERIFY_REJECT, [_S.PENDING_VERIFICATION], _S.IN_PROGRESS, VERIFIERS, GRID_ONLY)
    # Overlays: recorded beside the order, the status stays.
    + _rows(_A.WHISTLE, [_S.SIGNED, _S.IN_PROGRESS], None, WHISTLE_ROLES)
    + _rows(_A.RECORD_ARRIVAL, _HANDLING, None, HANDLERS)
    + _rows(_A.SUPERVISE, [_S.PENDING_DISPATCH, *sorted(WITH_UNIT_STATUSES)], None, SUPERVISE_ROLES)
    + _rows(_A.REMIND, sorted(WITH_UNIT_STATUSES), None, REMIND_ROLES)
    # 不合理诉求 (reviewed by the centre): excluded from 三率; the order goes on as before. Once
    # the unit knows the demand (in progress), and mostly after the end: a unit applies for the
    # exclusion after the callback or the termination. A finding can be revoked (with a reason)
    # in the same statuses; the service checks whether the order is currently marked.
    + _rows(_A.MARK_UNREASONABLE, _RATE_REVIEW, None, REVIEWERS)
    + _rows(_A.REVOKE_UNREASONABLE, _RATE_REVIEW, None, REVIEWERS)
    # The lead unit applies for the finding (with a reason) in the same statuses; the centre
    # approves (the finding is made as by MARK_UNREASONABLE) or rejects it with a reason. The
    # service checks that one application at most is pending.
    + _rows(_A.APPLY_UNREASONABLE, _RATE_REVIEW, None, HANDLERS)
    + _rows(_A.APPROVE_UNREASONABLE, _RATE_REVIEW, None, REVIEWERS)
    + _rows(_A.REJECT_UNREASONABLE, _RATE_REVIEW, None, REVIEWERS)
)


def _index(rows: Sequence[Transition]) -> dict[tuple[Flow, AppealStatus, Action], Transition]:
    index: dict[tuple[Flow, AppealStatus, Action], Transition] = {}
    for row in rows:
        if is_terminal(row.source) and not (
            row.action in AFTER_END_ACTIONS and row.target is row.source
        ):
            raise ValueError(f"terminal status {row.source} cannot be a source of {row.action}")
        for flow in row.flows:
            key = (flow, row.source, row.action)
            if key in index:
                raise ValueError(f"duplicate transition {key}")
            index[key] = row
    return index


_TABLE = _index(TRANSITIONS)

INITIAL_STATUS = AppealStatus.RECEIVED


def find_transition(
    status: AppealStatus, action: Action, *, flow: Flow = Flow.HOTLINE
) -> Transition | None:
    """The row for this status and action in this flow, whatever the role; None if there is none."""
    return _TABLE.get((flow, status, action))


def next_status(
    status: AppealStatus, action: Action, role: Role, *, flow: Flow = Flow.HOTLINE
) -> AppealStatus:
    """The status after ``role`` takes ``action`` on an order in ``status``.

    Raises :class:`InvalidTransition` when the table has no such row in ``flow`` or when the role
    is not among the row's roles; the message names status, action and role in Chinese, and
    ``detail`` carries the codes and the roles that would have been allowed.
    """
    row = find_transition(status, action, flow=flow)
    if row is not None and role in row.roles:
        return row.target
    detail = {
        "status": status.value,
        "action": action.value,
        "role": role.value,
        "flow": flow.value,
        "allowed_roles": sorted(r.value for r in row.roles) if row else [],
    }
    if row is None:
        message = f"工单状态“{status.label}”下不能执行“{action.label}”（角色：{role.label}）。"
    else:
        allowed_zh = "、".join(r.label for r in sorted(row.roles))
        message = (
            f"角色“{role.label}”不能在工单状态“{status.label}”下执行“{action.label}”，"
            f"仅限：{allowed_zh}。"
        )
    raise InvalidTransition(message, detail=detail)


def can(
    status: AppealStatus, action: Action, roles: Iterable[Role], *, flow: Flow = Flow.HOTLINE
) -> bool:
    """True when any of ``roles`` may take ``action`` in ``status``."""
    row = find_transition(status, action, flow=flow)
    return row is not None and not row.roles.isdisjoint(roles)


def allowed_actions(
    status: AppealStatus, roles: Iterable[Role], *, flow: Flow = Flow.HOTLINE
) -> list[Action]:
    """Actions any of ``roles`` may take in ``status``, in the declaration order of
    :class:`Action` (the order the page shows the forms in)."""
    held = frozenset(roles)
    return [a for a in Action if can(status, a, held, flow=flow)]


def fits_finding(action: Action, *, marked: bool, pending: bool) -> bool:
    """The table allows the 不合理诉求 actions by status and role; this says which of them fit
    the appeal's current finding (``marked``) and unit application (``pending``): marking or
    applying for an unmarked order without a pending application, deciding a pending
    application, revoking a finding. Every other action fits."""
    if action in (Action.MARK_UNREASONABLE, Action.APPLY_UNREASONABLE):
        return not marked and not pending
    if action in (Action.APPROVE_UNREASONABLE, Action.REJECT_UNREASONABLE):
        return pending and not marked
    if action == Action.REVOKE_UNREASONABLE:
        return marked
    return True


def replay(
    events: Iterable[tuple[Action, Role]],
    *,
    flow: Flow = Flow.HOTLINE,
    start: AppealStatus = INITIAL_STATUS,
) -> AppealStatus:
    """Fold ``(action, role)`` pairs from ``start`` through the table.

    Used to check a stored timeline against the stored status. Raises the
    :class:`InvalidTransition` of the first refused step, with ``detail["step"]`` its index.
    """
    status = start
    for step, (action, role) in enumerate(events):
        try:
            status = next_status(status, action, role, flow=flow)
        except InvalidTransition as exc:
            detail = dict(exc.detail) if isinstance(exc.detail, dict) else {}
            detail["step"] = step
            raise InvalidTransition(exc.message, detail=detail) from exc
    return status


def reachable_statuses(flow: Flow = Flow.HOTLINE) -> frozenset[AppealStatus]:
    """Every status the table can reach from :data:`INITIAL_STATUS` in ``flow``."""
    seen = {INITIAL_STATUS}
    frontier = [INITIAL_STATUS]
    while frontier:
        current = frontier.pop()
        for (f, source, _action), row in _TABLE.items():
            if f is flow and source is current and row.target not in seen:
                seen.add(row.target)
                frontier.append(row.target)
    return frozenset(seen)


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionInput:
    """What a user typed or chose with an action; only the fields the action requires matter.

    ``text`` is the reason or content (see :attr:`ActionSpec.text_label`); ``new_due_at`` the new
    feedback deadline of an extension; ``resolved`` and ``satisfaction`` the callback result;
    ``merge_target_no`` the number of the order a duplicate is merged into.
    """

    text: str | None = None
    new_due_at: datetime | None = None
    resolved: bool | None = None
    satisfaction: Satisfaction | None = None
    emergency_line: EmergencyLine | None = None
    merge_target_no: str | None = None


def check_input(
    action: Action,
    data: ActionInput,
    *,
    now: datetime,
    current_due_at: datetime | None = None,
) -> None:
    """Check what ``action`` requires, except unit references (:attr:`Requirement.checked_here`).

    ``current_due_at`` is the feedback deadline in force; it is needed for extensions, whose new
    deadline must lie in the future and after the current one, and whose request must be made
    before the current one passes (DOMAIN §1.5). Raises :class:`~civicgrid.errors.Invalid` with a
    Chinese message and ``detail={"field": ...}``.
    """
    needs = action.requires
    if (Requirement.REASON in needs or Requirement.CONTENT in needs) and not (
        data.text and data.text.strip()
    ):
        what = ACTION_SPECS[action].text_label or "说明"
        raise Invalid(
            f"“{action.label}”需要填写{what}。",
            detail={"field": "text"},
        )
    if Requirement.NEW_DEADLINE in needs:
        if data.new_due_at is None:
            raise Invalid(
                f"“{action.label}”需要填写新的办理时限。",
                detail={"field": "new_due_at"},
            )
        if current_due_at is None:
            raise Invalid(
                "工单没有办理时限，无法延期。",
                detail={"field": "new_due_at"},
            )
        if action is Action.REQUEST_EXTENSION and now > current_due_at:
            raise Invalid(
                "延期须在原办理时限届满前申请。",
                detail={"field": "new_due_at"},
            )
        extended_due(current_due_at, data.new_due_at, now=now)
    if Requirement.CALLBACK_RESULT in needs and (
        data.resolved is None or data.satisfaction is None
    ):
        raise Invalid(
            "回访须记录是否解决和满意度。",
            detail={"field": "satisfaction" if data.resolved is not None else "resolved"},
        )
    if Requirement.EMERGENCY_LINE in needs and data.emergency_line is None:
        raise Invalid(
            "请选择转接的紧急热线。",
            detail={"field": "emergency_line"},
        )
    if Requirement.MERGE_TARGET in needs:
        if not data.merge_target_no:
            raise Invalid(
                "请填写并入的工单编号。",
                detail={"field": "merge_target_no"},
            )
        parse_appeal_no(data.merge_target_no)


def suggests_reopen(*, resolved: bool, satisfaction: Satisfaction) -> bool:
    """Whether a callback result points to 重办 (DOMAIN §1.5): not solved, or dissatisfied.

    Only a suggestion for the callback form: the operator decides whether the unit is at fault
    (a dissatisfied caller whose demand was unreasonable is closed, not reopened).
    """
    return not resolved or satisfaction is Satisfaction.DISSATISFIED


def self_rate_action(*, resolved: bool, satisfaction: Satisfaction) -> Action:
    """Which action the caller's own rating (自助评价) takes after the reply.

    Solved and (basically) satisfied: :attr:`Action.SELF_RATE_CLOSE`, the rating counts as the
    callback and closes the order. Otherwise (:func:`suggests_reopen`): :attr:`Action.SELF_RATE`,
    the rating is recorded and the order waits for the centre's callback, because only the
    operator decides between 重办 and closing (a caller dissatisfied with a lawful refusal is
    closed, not reopened).
    """
    if suggests_reopen(resolved=resolved, satisfaction=satisfaction):
        return Action.SELF_RATE
    return Action.SELF_RATE_CLOSE
