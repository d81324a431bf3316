"""The one action a viewer is expected to take next on an appeal (the detail page shows it open
and prominent, the other allowed actions folded). Pure: no I/O, no clock.

What is *allowed* is the workflow's business (:func:`civicgrid.appeals.workflow.allowed_actions`);
this module only picks, among the allowed actions, the step the order waits for in its status:
the dispatcher dispatches a waiting order, the unit signs, contacts and replies, the centre
decides a request, the operator calls back, the grid worker verifies. Overlays (督办, 催办,
吹哨, 不合理诉求) are never the expected step, except the centre's decision on a pending
不合理诉求 application. Nothing is expected when no allowed action is the awaited step (a
supervisor looking at an order in progress): then every action stays folded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action
from civicgrid.auth.roles import Role

_S = AppealStatus
_A = Action

# Per status, the awaited steps, best first; the first one allowed is the expected one.
AWAITED: Mapping[AppealStatus, tuple[Action, ...]] = MappingProxyType(
    {
        _S.RECEIVED: (_A.DISPATCH, _A.ACCEPT),
        _S.PENDING_DISPATCH: (_A.DISPATCH,),
        _S.DISPATCHED: (_A.SIGN,),
        _S.SIGNED: (_A.CONTACT,),
        _S.IN_PROGRESS: (_A.REPLY,),
        _S.RETURN_REQUESTED: (_A.APPROVE_RETURN,),
        _S.EXTENSION_REQUESTED: (_A.APPROVE_EXTENSION,),
        _S.TERMINATION_REQUESTED: (_A.APPROVE_TERMINATION,),
        _S.PARK_REQUESTED: (_A.APPROVE_PARK,),
        _S.PARKED: (_A.UNPARK,),
        _S.REPLIED: (_A.CALLBACK_CLOSE,),
        _S.ANSWERED_DIRECTLY: (_A.CALLBACK_CLOSE,),
        _S.PENDING_VERIFICATION: (_A.VERIFY_CONFIRM,),
        _S.EXPLAINED: (_A.CLOSE,),
        _S.REDIRECTED_LEGAL_ROUTE: (_A.CLOSE,),
        _S.REFERRED_POLICE: (_A.CLOSE,),
        _S.TRANSFERRED_EMERGENCY: (_A.CLOSE,),
    }
)

# A role whose own step comes before the status's usual first one: the operator at the hotline
# desk accepts a new call for the dispatch centre (受理转派) rather than dispatching it himself.
ROLE_FIRST: Mapping[tuple[AppealStatus, Role], Action] = MappingProxyType(
    {(_S.RECEIVED, Role.OPERATOR): _A.ACCEPT}
)


def next_action(
    status: AppealStatus,
    roles: Iterable[Role],
    allowed: Iterable[Action],
    *,
    application_pending: bool = False,
) -> Action | None:
    """The action ``roles`` are expected to take next on an appeal in ``status``, among
    ``allowed`` (what the workflow offers them now); None when none of them is awaited.

    ``application_pending``: a 不合理诉求 application waits for the centre, whose decision is
    then the expected step when the status itself awaits nothing of the viewer."""
    offered = set(allowed)
    held = set(roles)
    preferred = [a for (s, r), a in ROLE_FIRST.items() if s is status and r in held]
    for action in (*preferred, *AWAITED.get(status, ())):
        if action in offered:
            return action
    if application_pending and _A.APPROVE_UNREASONABLE in offered:
        return _A.APPROVE_UNREASONABLE
    return None
