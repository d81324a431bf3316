"""The workflow actions of the appeal pages: what an action form may carry
(:class:`ActionFields`), :func:`perform`, which calls the one use case behind an action, and
:func:`done_redirect`, the post/redirect/get answer after it. Shared by the appeal detail page,
the dispatch queue and the grid worker's pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from civicgrid.appeals import service
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.states import (
    EmergencyLine,
    Satisfaction,
)
from civicgrid.appeals.workflow import Action
from civicgrid.auth.actor import Actor
from civicgrid.errors import Invalid
from civicgrid.web.shared.forms import parse_local_datetime


@dataclass(frozen=True, slots=True)
class ActionFields:
    """Every field an action form may send."""

    text: str = ""
    new_due_at: str = ""
    resolved: str = ""
    satisfaction: str = ""
    emergency_line: str = ""
    merge_target_no: str = ""
    lead: str = ""
    co_units: tuple[str, ...] = ()
    level: str = ""
    department_ids: tuple[str, ...] = ()
    whistle_kind: str = "daily"
    arrival: str = ""
    expected_version: int | None = None

    def as_values(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "new_due_at": self.new_due_at,
            "resolved": self.resolved,
            "satisfaction": self.satisfaction,
            "emergency_line": self.emergency_line,
            "merge_target_no": self.merge_target_no,
            "lead": self.lead,
            "co_units": list(self.co_units),
            "level": self.level,
            "department_ids": list(self.department_ids),
            "whistle_kind": self.whistle_kind,
            "arrival": self.arrival,
        }


def done_redirect(target: str, action: Action) -> RedirectResponse:
    """303 to ``target`` with the ``done`` flash naming ``action`` (post/redirect/get)."""
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}done={action.value}", status_code=303)


def _unit(value: str) -> tuple[str, int]:
    kind, _, raw = value.partition(":")
    try:
        return kind, int(raw)
    except ValueError as exc:
        raise Invalid("请选择承办单位", detail={"field": "lead"}) from exc


def _ints(values: tuple[str, ...], what: str) -> list[int]:
    try:
        return [int(v) for v in values if v]
    except ValueError as exc:
        raise Invalid(f"{what}无效") from exc


def _arrival(value: str) -> tuple[int, int]:
    """The arrival choice ``whistle_id:department_id``."""
    whistle, _, department = value.partition(":")
    if not (whistle.isdigit() and department.isdigit()):
        raise Invalid("请选择报到单位", detail={"field": "arrival"})
    return int(whistle), int(department)


def _resolved(value: str) -> bool | None:
    return {"1": True, "0": False}.get(value)


def _satisfaction(value: str) -> Satisfaction | None:
    return Satisfaction(value) if value in {s.value for s in Satisfaction} else None


def perform(
    session: Session,
    action: Action,
    *,
    appeal_id: int,
    fields: ActionFields,
    photos: list[bytes],
    media: service.MediaPolicy,
    actor: Actor,
    now: datetime,
) -> None:
    """Call the one use case behind ``action`` with what the form carried."""
    common: dict[str, Any] = {
        "appeal_id": appeal_id,
        "actor": actor,
        "now": now,
        "expected_version": fields.expected_version,
    }
    text = fields.text
    if action is Action.ACCEPT:
        service.accept(session, **common)
    elif action is Action.ANSWER_DIRECTLY:
        service.answer_directly(session, text=text, **common)
    elif action is Action.TRANSFER_EMERGENCY:
        line = EmergencyLine(fields.emergency_line) if fields.emergency_line else None
        service.transfer_emergency(session, line=line, note=text, **common)
    elif action is Action.REDIRECT_LEGAL_ROUTE:
        service.redirect_legal_route(session, text=text, **common)
    elif action is Action.EXPLAIN:
        service.explain(session, text=text, **common)
    elif action is Action.REFER_POLICE:
        service.refer_police(session, text=text, **common)
    elif action is Action.MERGE:
        service.merge(session, target_number=fields.merge_target_no, note=text, **common)
    elif action is Action.DISPATCH:
        if not fields.lead:
            raise Invalid("请选择主办单位", detail={"field": "lead"})
        service.dispatch(
            session,
            lead=_unit(fields.lead),
            co_units=[_unit(v) for v in fields.co_units if v],
            level=UrgencyLevel(fields.level) if fields.level else None,
            note=text,
            **common,
        )
    elif action is Action.SIGN:
        service.sign(session, **common)
    elif action is Action.CONTACT:
        service.contact(session, note=text, **common)
    elif action is Action.REQUEST_RETURN:
        service.request_return(session, reason=text, **common)
    elif action is Action.APPROVE_RETURN:
        service.approve_return(session, note=text, **common)
    elif action is Action.REJECT_RETURN:
        service.reject_return(session, reason=text, **common)
    elif action is Action.REQUEST_EXTENSION:
        due = parse_local_datetime(fields.new_due_at)
        if due is None:
            raise Invalid("请填写新的办理时限", detail={"field": "new_due_at"})
        service.request_extension(session, reason=text, new_due_at=due, **common)
    elif action is Action.APPROVE_EXTENSION:
        service.approve_extension(
            session, new_due_at=parse_local_datetime(fields.new_due_at), note=text, **common
        )
    elif action is Action.REJECT_EXTENSION:
        service.reject_extension(session, reason=text, **common)
    elif action in service.REVIEWED_STEPS:
        service.review_step(session, action=action, text=text, **common)
    elif action is Action.REPLY:
        service.reply(session, text=text, photos=photos, media=media, **common)
    elif action in (Action.CALLBACK_CLOSE, Action.REOPEN):
        reopen = action is Action.REOPEN
        service.callback(
            session,
            resolved=_resolved(fields.resolved),
            satisfaction=_satisfaction(fields.satisfaction),
            note="" if reopen else text,
            reopen=reopen,
            reason=text if reopen else "",
            **common,
        )
    elif action is Action.CLOSE_WITHOUT_CALLBACK:
        service.close_without_callback(session, reason=text, **common)
    elif action is Action.CLOSE:
        service.close_disposed(session, note=text, **common)
    elif action in (Action.VERIFY_CONFIRM, Action.VERIFY_REJECT):
        service.verify(session, fixed=action is Action.VERIFY_CONFIRM, note=text, **common)
    elif action is Action.WHISTLE:
        service.whistle(
            session,
            department_ids=_ints(fields.department_ids, "被召集部门"),
            reason=text,
            kind=fields.whistle_kind,
            **common,
        )
    elif action is Action.RECORD_ARRIVAL:
        whistle_id, department_id = _arrival(fields.arrival)
        service.record_arrival(
            session, whistle_id=whistle_id, department_id=department_id, note=text, **common
        )
    elif action is Action.SUPERVISE:
        service.supervise(session, text=text, **common)
    elif action is Action.REMIND:
        service.remind(session, text=text, **common)
    elif action is Action.MARK_UNREASONABLE:
        service.mark_unreasonable(session, reason=text, **common)
    elif action is Action.REVOKE_UNREASONABLE:
        service.revoke_unreasonable(session, reason=text, **common)
    elif action is Action.APPLY_UNREASONABLE:
        service.apply_unreasonable(session, reason=text, **common)
    elif action is Action.APPROVE_UNREASONABLE:
        service.approve_unreasonable_application(session, note=text, **common)
    elif action is Action.REJECT_UNREASONABLE:
        service.reject_unreasonable_application(session, reason=text, **common)
    elif action in (Action.SELF_RATE, Action.SELF_RATE_CLOSE):
        raise Invalid("诉求人请在居民门户评价办理结果 (callers rate on the resident portal)")
    else:  # pragma: no cover - every Action is handled above
        raise Invalid(f"不支持的操作：{action.value}")
