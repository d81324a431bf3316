"""The appeal workflow forms of the console (detail page, dispatch queue, grid tasks): what an
action form posts (:class:`ActionFields`), the request of the action table it becomes
(:func:`request_for`, the same schema the JSON API takes), :func:`take_action`, which takes the
action through :func:`civicgrid.appeals.actions.take`, and :func:`done_redirect`, the
post/redirect/get answer after it."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from civicgrid.appeals import actions, service
from civicgrid.appeals.schemas import ActionRequest
from civicgrid.appeals.workflow import Action
from civicgrid.auth.actor import Actor
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.web.shared.forms import parse_local_datetime

REFUSED = (Invalid, Conflict, Forbidden)
"""What an action form shows beside the form (NotFound goes to the error page)."""

# A request field the form left out: what to ask for. Other unreadable fields: "<label>无效".
MISSING = {
    "lead": "请选择主办单位",
    "new_due_at": "请填写新的办理时限",
    "whistle_id": "请选择报到单位",
    "department_id": "请选择报到单位",
    "target_number": "请填写并入的工单编号",
}
LABELS = {
    "lead": "主办单位",
    "co_units": "协办单位",
    "level": "紧急程度",
    "line": "紧急热线",
    "satisfaction": "满意度",
    "resolved": "是否解决",
    "department_ids": "被召集部门",
    "kind": "吹哨类型",
    "arrive_within_minutes": "报到时限（分钟）",
    "knowledge_article_id": "知识库条目",
    "photos": "照片",
    "new_due_at": "办理时限",
}


@dataclass(frozen=True, slots=True)
class ActionFields:
    """Every field an action form may post, as posted."""

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
    arrive_within_minutes: str = ""
    arrival: str = ""
    knowledge_article_id: str = ""
    expected_version: int | None = None
    photos: tuple[bytes, ...] = ()

    def as_values(self) -> dict[str, Any]:
        """What was typed, to fill the form again after a refusal (photos are not kept)."""
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
            "arrive_within_minutes": self.arrive_within_minutes,
            "arrival": self.arrival,
            "knowledge_article_id": self.knowledge_article_id,
        }


def done_redirect(target: str, action: Action) -> RedirectResponse:
    """303 to ``target`` with the ``done`` flash naming ``action`` (post/redirect/get)."""
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}done={action.value}", status_code=303)


def _unit(value: str) -> dict[str, Any]:
    """A unit choice ``kind:id`` as the request's ``{"kind", "id"}``."""
    kind, _, raw = value.partition(":")
    if not raw.isdigit():
        raise Invalid("请选择承办单位", detail={"field": "lead"})
    return {"kind": kind, "id": int(raw)}


def _ints(values: tuple[str, ...], what: str) -> list[int]:
    if not all(v.isdigit() for v in values if v):
        raise Invalid(f"{what}无效")
    return [int(v) for v in values if v]


def _arrival(value: str) -> dict[str, int]:
    """The arrival choice ``whistle_id:department_id``."""
    whistle, _, department = value.partition(":")
    if not (whistle.isdigit() and department.isdigit()):
        raise Invalid("请选择报到单位", detail={"field": "arrival"})
    return {"whistle_id": int(whistle), "department_id": int(department)}


def form_data(row: actions.ActionRow, f: ActionFields) -> dict[str, Any]:
    """The posted fields under the request's names (None: not given, the default applies)."""
    data: dict[str, Any] = {
        "expected_version": f.expected_version,
        "new_due_at": parse_local_datetime(f.new_due_at),
        "resolved": {"1": True, "0": False}.get(f.resolved),
        "satisfaction": f.satisfaction or None,
        "line": f.emergency_line or None,
        "target_number": f.merge_target_no.strip() or None,
        "lead": _unit(f.lead) if f.lead else None,
        "co_units": [_unit(v) for v in f.co_units if v],
        "level": f.level or None,
        "department_ids": _ints(f.department_ids, "被召集部门"),
        "kind": f.whistle_kind or None,
        "arrive_within_minutes": f.arrive_within_minutes.strip() or None,
        "knowledge_article_id": f.knowledge_article_id.strip() or None,
        # The request takes photos base64-encoded, as the JSON API does.
        "photos": [base64.b64encode(p) for p in f.photos],
        **(_arrival(f.arrival) if f.arrival else {}),
    }
    if row.text_field is not None:
        data[row.text_field] = f.text
    data.update(row.preset)
    return {k: v for k, v in data.items() if v is not None}


def _refusal(exc: ValidationError) -> Invalid:
    """The first problem of the form, in Chinese, naming the field."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else ""
    if error["type"] == "missing" and name in MISSING:
        return Invalid(MISSING[name], detail={"field": name})
    return Invalid(f"{LABELS.get(name, name)}无效", detail={"field": name})


def request_for(row: actions.ActionRow, fields: ActionFields) -> ActionRequest:
    """The request of ``row`` built from the form: the fields the request has, validated by
    its schema (the same the JSON API validates)."""
    known = row.request.model_fields
    data = {k: v for k, v in form_data(row, fields).items() if k in known}
    try:
        return row.request.model_validate(data)
    except ValidationError as exc:
        raise _refusal(exc) from exc


def take_action(
    session: Session,
    action: Action,
    *,
    appeal_id: int,
    fields: ActionFields,
    media: service.MediaPolicy,
    actor: Actor,
    now: datetime,
) -> None:
    """Take ``action`` with what the form carried, through the action table."""
    row = actions.row_for(action)
    if row is None:
        raise Invalid("诉求人请在居民门户评价办理结果")
    body = request_for(row, fields)
    actions.take(row, body, actions.ActionCall(session, appeal_id, actor, now, media))
