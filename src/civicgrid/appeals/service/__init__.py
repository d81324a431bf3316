"""Use cases of appeal handling (接诉即办), split by concept; import them from here.

Every public function decorated with ``@use_case`` is one transaction that writes the change,
a timeline event, an audit row and the outbox notifications together.
"""

from civicgrid.appeals.service.calendar_admin import delete_working_day, set_working_day
from civicgrid.appeals.service.closing import callback, close_without_callback, verify
from civicgrid.appeals.service.common import UnitRef
from civicgrid.appeals.service.dispositions import (
    answer_directly,
    close_disposed,
    explain,
    merge,
    redirect_legal_route,
    refer_police,
    transfer_emergency,
)
from civicgrid.appeals.service.handling import (
    add_attachment,
    approve_return,
    contact,
    dispatch,
    reject_return,
    reply,
    request_return,
    sign,
)
from civicgrid.appeals.service.intake import MediaPolicy, NewAppeal, accept, submit_appeal
from civicgrid.appeals.service.overlays import record_arrival, remind, supervise, whistle
from civicgrid.appeals.service.reviews import (
    REVIEWED_STEPS,
    apply_unreasonable,
    approve_extension,
    approve_unreasonable_application,
    mark_unreasonable,
    reject_extension,
    reject_unreasonable_application,
    request_extension,
    review_step,
    revoke_unreasonable,
)
from civicgrid.appeals.service.self_service import SelfRating, rate_by_caller, track

__all__ = [
    "REVIEWED_STEPS",
    "MediaPolicy",
    "NewAppeal",
    "SelfRating",
    "UnitRef",
    "accept",
    "add_attachment",
    "answer_directly",
    "apply_unreasonable",
    "approve_extension",
    "approve_return",
    "approve_unreasonable_application",
    "callback",
    "close_disposed",
    "close_without_callback",
    "contact",
    "delete_working_day",
    "dispatch",
    "explain",
    "mark_unreasonable",
    "merge",
    "rate_by_caller",
    "record_arrival",
    "redirect_legal_route",
    "refer_police",
    "reject_extension",
    "reject_return",
    "reject_unreasonable_application",
    "remind",
    "reply",
    "request_extension",
    "request_return",
    "review_step",
    "revoke_unreasonable",
    "set_working_day",
    "sign",
    "submit_appeal",
    "supervise",
    "track",
    "transfer_emergency",
    "verify",
    "whistle",
]
