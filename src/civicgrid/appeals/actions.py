"""The action table of appeals: for every workflow action, the request it carries, the use case
that takes it and how the one becomes the other. When an action is allowed is the workflow's
transition table (:func:`civicgrid.appeals.workflow.allowed_actions`), narrowed by the
不合理诉求 finding (:func:`~civicgrid.appeals.workflow.fits_finding`); :func:`offered_actions`
joins the two.

Both entry points are driven by this table: the JSON API registers ``POST
/api/v1/appeals/{id}/<path>`` per row with the row's request schema (``appeals.api.actions``),
and the console's action forms (``web.shared.appeal_actions``) build the same request from the
form and call :func:`take`. So an action accepts the same fields whichever way it comes in.

Two pairs of actions share one endpoint whose request says which of the two is meant:
回访结案 / 回访重办 (``callback``, ``reopen``) and 核查通过 / 核查未通过 (``verify``, ``fixed``);
their rows give the page the value of that field (``preset``). The caller's own rating
(自助评价) is not a row: it is taken without a login through ``POST .../rate`` and the portal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import Session

from civicgrid.appeals import service
from civicgrid.appeals.channels import Flow
from civicgrid.appeals.schemas import (
    ActionOut,
    ActionRequest,
    AnswerRequest,
    ArrivalRequest,
    CallbackRequest,
    DispatchRequest,
    ExtensionApproval,
    ExtensionRequest,
    MergeRequest,
    NoteRequest,
    ReplyRequest,
    TextRequest,
    TransferRequest,
    VerifyRequest,
    WhistleRequest,
)
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action, allowed_actions, fits_finding
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role

Arguments = Callable[[Any], dict[str, Any]]
"""The use case's keyword arguments from the request (besides appeal, actor, time, version)."""

SELF_RATING_PATH = "rate"
SELF_RATING_ACTIONS = frozenset({Action.SELF_RATE, Action.SELF_RATE_CLOSE})


def _none(_body: Any) -> dict[str, Any]:
    return {}


def _text(body: Any) -> dict[str, Any]:
    return {"text": body.text}


def _note(body: Any) -> dict[str, Any]:
    return {"note": body.note}


def _reason_from_text(body: Any) -> dict[str, Any]:
    return {"reason": body.text}


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One action: its API path, request schema, use case and the use case's arguments.

    ``text_field`` names the request field a form's free-text box fills (``text``, ``note`` or
    ``reason``); ``preset`` the request fields the action itself implies (``reopen=True`` for
    回访重办); ``takes_media`` that the use case stores photos (it gets the media policy)."""

    action: Action
    path: str
    request: type[ActionRequest]
    use_case: Callable[..., object]
    arguments: Arguments = _none
    text_field: str | None = None
    preset: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    takes_media: bool = False

    @property
    def summary(self) -> str:
        """The action's Chinese name (the API's summary, the form's button)."""
        return self.action.label


@dataclass(frozen=True, slots=True)
class ActionCall:
    """Who takes an action on which appeal, when, and where photos go."""

    session: Session
    appeal_id: int
    actor: Actor
    now: datetime
    media: service.MediaPolicy


def _review_path(action: Action) -> str:
    """``termination``, ``termination/approve``, ``park/reject``, ``unpark``."""
    verb, _, subject = action.value.partition("_")
    if verb == "request":
        return subject
    if verb in ("approve", "reject"):
        return f"{subject}/{verb}"
    return action.value


_A = Action
ROWS: tuple[ActionRow, ...] = (
    ActionRow(_A.ACCEPT, "accept", NoteRequest, service.accept, text_field="note"),
    ActionRow(
        _A.ANSWER_DIRECTLY,
        "answer",
        AnswerRequest,
        service.answer_directly,
        lambda b: {"text": b.text, "knowledge_article_id": b.knowledge_article_id},
        "text",
    ),
    ActionRow(
        _A.TRANSFER_EMERGENCY,
        "transfer-emergency",
        TransferRequest,
        service.transfer_emergency,
        lambda b: {"line": b.line, "note": b.note},
        "note",
    ),
    ActionRow(
        _A.REDIRECT_LEGAL_ROUTE,
        "redirect-legal-route",
        TextRequest,
        service.redirect_legal_route,
        _text,
        "text",
    ),
    ActionRow(_A.EXPLAIN, "explain", TextRequest, service.explain, _text, "text"),
    ActionRow(_A.REFER_POLICE, "refer-police", TextRequest, service.refer_police, _text, "text"),
    ActionRow(
        _A.MERGE,
        "merge",
        MergeRequest,
        service.merge,
        lambda b: {"target_number": b.target_number, "note": b.note},
        "note",
    ),
    ActionRow(
        _A.DISPATCH,
        "dispatch",
        DispatchRequest,
        service.dispatch,
        lambda b: {
            "lead": (b.lead.kind, b.lead.id),
            "co_units": [(u.kind, u.id) for u in b.co_units],
            "level": b.level,
            "note": b.note,
        },
        "note",
    ),
    ActionRow(_A.SIGN, "sign", ActionRequest, service.sign),  # nothing besides the version
    ActionRow(_A.CONTACT, "contact", NoteRequest, service.contact, _note, "note"),
    ActionRow(
        _A.REQUEST_RETURN, "return", TextRequest, service.request_return, _reason_from_text, "text"
    ),
    ActionRow(
        _A.APPROVE_RETURN, "return/approve", NoteRequest, service.approve_return, _note, "note"
    ),
    ActionRow(
        _A.REJECT_RETURN,
        "return/reject",
        TextRequest,
        service.reject_return,
        _reason_from_text,
        "text",
    ),
    ActionRow(
        _A.REQUEST_EXTENSION,
        "extension",
        ExtensionRequest,
        service.request_extension,
        lambda b: {"reason": b.reason, "new_due_at": b.new_due_at},
        "reason",
    ),
    ActionRow(
        _A.APPROVE_EXTENSION,
        "extension/approve",
        ExtensionApproval,
        service.approve_extension,
        lambda b: {"new_due_at": b.new_due_at, "note": b.note},
        "note",
    ),
    ActionRow(
        _A.REJECT_EXTENSION,
        "extension/reject",
        TextRequest,
        service.reject_extension,
        _reason_from_text,
        "text",
    ),
    *(
        ActionRow(
            action,
            _review_path(action),
            TextRequest,
            partial(service.review_step, action=action),
            _text,
            "text",
        )
        for action in (
            _A.REQUEST_TERMINATION,
            _A.APPROVE_TERMINATION,
            _A.REJECT_TERMINATION,
            _A.REQUEST_PARK,
            _A.APPROVE_PARK,
            _A.REJECT_PARK,
            _A.UNPARK,
        )
    ),
    ActionRow(
        _A.REPLY,
        "reply",
        ReplyRequest,
        service.reply,
        lambda b: {"text": b.text, "photos": list(b.photos)},
        "text",
        takes_media=True,
    ),
    *(
        ActionRow(
            action,
            "callback",
            CallbackRequest,
            service.callback,
            lambda b: {
                "resolved": b.resolved,
                "satisfaction": b.satisfaction,
                "note": b.note,
                "reopen": b.reopen,
                "reason": b.reason,
            },
            text_field,
            MappingProxyType({"reopen": reopen}),
        )
        for action, text_field, reopen in (
            (_A.CALLBACK_CLOSE, "note", False),
            (_A.REOPEN, "reason", True),
        )
    ),
    ActionRow(
        _A.CLOSE_WITHOUT_CALLBACK,
        "close-without-callback",
        TextRequest,
        service.close_without_callback,
        _reason_from_text,
        "text",
    ),
    ActionRow(_A.CLOSE, "close", NoteRequest, service.close_disposed, _note, "note"),
    *(
        ActionRow(
            action,
            "verify",
            VerifyRequest,
            service.verify,
            lambda b: {"fixed": b.fixed, "note": b.note},
            "note",
            MappingProxyType({"fixed": fixed}),
        )
        for action, fixed in ((_A.VERIFY_CONFIRM, True), (_A.VERIFY_REJECT, False))
    ),
    ActionRow(
        _A.WHISTLE,
        "whistle",
        WhistleRequest,
        service.whistle,
        lambda b: {
            "department_ids": b.department_ids,
            "reason": b.reason,
            "kind": b.kind,
            "arrive_within_minutes": b.arrive_within_minutes,
        },
        "reason",
    ),
    ActionRow(
        _A.RECORD_ARRIVAL,
        "arrival",
        ArrivalRequest,
        service.record_arrival,
        lambda b: {"whistle_id": b.whistle_id, "department_id": b.department_id, "note": b.note},
        "note",
    ),
    ActionRow(_A.SUPERVISE, "supervise", TextRequest, service.supervise, _text, "text"),
    ActionRow(_A.REMIND, "remind", TextRequest, service.remind, _text, "text"),
    ActionRow(
        _A.MARK_UNREASONABLE,
        "mark-unreasonable",
        TextRequest,
        service.mark_unreasonable,
        _reason_from_text,
        "text",
    ),
    ActionRow(
        _A.REVOKE_UNREASONABLE,
        "revoke-unreasonable",
        TextRequest,
        service.revoke_unreasonable,
        _reason_from_text,
        "text",
    ),
    ActionRow(
        _A.APPLY_UNREASONABLE,
        "unreasonable-application",
        TextRequest,
        service.apply_unreasonable,
        _reason_from_text,
        "text",
    ),
    ActionRow(
        _A.APPROVE_UNREASONABLE,
        "unreasonable-application/approve",
        NoteRequest,
        service.approve_unreasonable_application,
        _note,
        "note",
    ),
    ActionRow(
        _A.REJECT_UNREASONABLE,
        "unreasonable-application/reject",
        TextRequest,
        service.reject_unreasonable_application,
        _reason_from_text,
        "text",
    ),
)

TABLE: Mapping[Action, ActionRow] = MappingProxyType({row.action: row for row in ROWS})


def _endpoints(rows: Iterable[ActionRow]) -> dict[str, ActionRow]:
    """One row per API path; rows sharing a path must share its request and use case."""
    by_path: dict[str, ActionRow] = {}
    for row in rows:
        first = by_path.setdefault(row.path, row)
        if (first.request, first.use_case) != (row.request, row.use_case):
            raise ValueError(f"actions sharing path {row.path!r} differ")
    return by_path


ENDPOINTS: Mapping[str, ActionRow] = MappingProxyType(_endpoints(ROWS))


def row_for(action: Action) -> ActionRow | None:
    """The row of ``action``; None for the caller's own rating, which has its own route."""
    return TABLE.get(action)


def take(row: ActionRow, body: ActionRequest, call: ActionCall) -> object:
    """Take the action: call its use case with what the request carries."""
    extra: dict[str, Any] = {"media": call.media} if row.takes_media else {}
    return row.use_case(
        call.session,
        appeal_id=call.appeal_id,
        actor=call.actor,
        now=call.now,
        expected_version=body.expected_version,
        **row.arguments(body),
        **extra,
    )


def path_of(action: Action) -> str:
    """The API path of ``action`` (``rate`` for the caller's own rating)."""
    row = TABLE.get(action)
    return row.path if row is not None else SELF_RATING_PATH


def offered_actions(
    status: AppealStatus,
    roles: Iterable[Role],
    *,
    flow: Flow,
    marked: bool,
    pending: bool,
) -> list[ActionOut]:
    """The actions ``roles`` may take now, each with its endpoint: the workflow table's
    allowed actions that fit the 不合理诉求 finding (``marked``) and application (``pending``)."""
    return [
        ActionOut(action=a.value, label=a.label, path=path_of(a))
        for a in allowed_actions(status, roles, flow=flow)
        if fits_finding(a, marked=marked, pending=pending)
    ]
