"""The dispatcher's queue (/dispatch/queue): appeals waiting for a unit, each with a dispatch
form choosing a lead unit (主办) and co-units (协办). Also the choices other pages share: the
units an order can be sent to, the dispatch catalogue and classification suggestions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action, can
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.config import Settings
from civicgrid.deps import DbSession, Now
from civicgrid.dispatch.catalogue import Catalogue, load_default_catalogue
from civicgrid.errors import DomainError, Invalid, NotFound
from civicgrid.territory import queries as territory_queries
from civicgrid.web.appeal_actions import ActionFields, perform
from civicgrid.web.appeal_detail import after_action
from civicgrid.web.appeal_pages import PAGE_SIZE, appeal_row, list_rows
from civicgrid.web.context import PageActor
from civicgrid.web.forms import Cipher, Media, flash_for, refusal, require
from civicgrid.web.render import is_htmx, render

router = APIRouter(tags=["pages"])

DISPATCH_ROLES = frozenset({Role.DISPATCHER, Role.ADMIN})
QUEUE_STATUSES = [
    AppealStatus.RECEIVED.value,
    AppealStatus.PENDING_DISPATCH.value,
    AppealStatus.RETURN_REQUESTED.value,
]
UNIT_LEVELS = frozenset({"street", "district"})
UNIT_KIND_LABELS = {"region": "街乡/区", "department": "职能部门", "utility": "公共服务企业"}


@dataclass(frozen=True, slots=True)
class UnitChoice:
    """A unit an order can be sent to; ``value`` is ``kind:id`` as the dispatch form posts."""

    value: str
    name: str
    group: str


def unit_choices(session: Session) -> list[UnitChoice]:
    """Streets and districts, active departments and active utilities (grouped)."""
    regions = [r for r in territory_queries.all_regions(session) if r.level in UNIT_LEVELS]
    choices = [
        UnitChoice(f"region:{r.id}", r.name, UNIT_KIND_LABELS["region"])
        for r in sorted(regions, key=lambda r: (r.level != "street", r.code))
    ]
    choices += [
        UnitChoice(f"department:{d.id}", d.name, UNIT_KIND_LABELS["department"])
        for d in territory_queries.list_departments(session)
        if d.is_active
    ]
    choices += [
        UnitChoice(f"utility:{u.id}", u.name, UNIT_KIND_LABELS["utility"])
        for u in territory_queries.list_utilities(session)
        if u.is_active
    ]
    return choices


@lru_cache(maxsize=1)
def dispatch_catalogue() -> Catalogue:
    """The dispatch catalogue shipped with civicgrid (read once per process)."""
    return load_default_catalogue()


def catalogue_choices() -> list[tuple[str, str]]:
    """The level-3 items of the dispatch catalogue as (code, "一级 / 二级 / 三级")."""
    catalogue = dispatch_catalogue()
    return [
        (item.code, " / ".join(p.name for p in catalogue.path(item.code)))
        for item in catalogue.leaves()
    ]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A category suggested by the classifier, with its probability."""

    code: str
    name: str
    probability: float
    default_level: str


@lru_cache(maxsize=4)
def _model(models_dir: Path, version: str) -> object:
    from civicgrid.dispatch.artifacts import load_model

    classifier, _info = load_model(models_dir, version)
    return classifier


def classify_text(settings: Settings, text: str) -> list[Suggestion] | None:
    """Up to three categories for ``text`` from the active classifier; ``None`` when no model
    is trained (the appeal then goes to the manual queue), ``[]`` when it has no guess."""
    from civicgrid.dispatch.artifacts import current_version
    from civicgrid.dispatch.classifier import TextClassifier

    try:
        version = current_version(settings.models_dir)
        classifier = _model(settings.models_dir, version)
    except DomainError:
        return None
    if not text.strip() or not isinstance(classifier, TextClassifier):
        return []
    try:
        ranked = classifier.classify(text, k=3)
    except Invalid:
        return []
    catalogue = dispatch_catalogue()
    out = []
    for code, probability in ranked:
        if code not in catalogue:
            continue
        item = catalogue.get(code)
        name = " / ".join(p.name for p in catalogue.path(code))
        out.append(Suggestion(code, name, probability, item.default_level))
    return out


def category_names() -> dict[str, str]:
    """Catalogue code → full name, for showing stored categories."""
    return dict(catalogue_choices())


def _queue_context(
    request: Request, session: Session, actor: Actor, now: datetime, offset: int
) -> dict[str, Any]:
    rows, total = list_rows(session, actor, now, statuses=QUEUE_STATUSES, offset=offset)
    return {
        "rows": rows,
        "total": total,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "units": unit_choices(session),
        "levels": [(lv.value, lv.label) for lv in UrgencyLevel],
        "flashes": flash_for(request),
        "errors": {},
        "values": {},
        "dispatchable": {
            r.id for r in rows if can(AppealStatus(r.status), Action.DISPATCH, actor.roles)
        },
    }


@router.get("/dispatch/queue", include_in_schema=False)
def queue(
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Appeals waiting for dispatch or for the review of a send-back (newest first), each with
    its deadline colour and a dispatch form."""
    require(actor, DISPATCH_ROLES)
    return render(
        request, "dispatch/queue.html", _queue_context(request, session, actor, now, offset)
    )


@router.post("/dispatch/queue/{appeal_id}", include_in_schema=False)
def dispatch_from_queue(
    request: Request,
    appeal_id: int,
    actor: PageActor,
    session: DbSession,
    now: Now,
    cipher: Cipher,
    media: Media,
    lead: Annotated[str, Form(max_length=40)] = "",
    co_units: Annotated[list[str] | None, Form()] = None,
    level: Annotated[str, Form(max_length=20)] = "",
    text: Annotated[str, Form(max_length=2000)] = "",
    expected_version: Annotated[int | None, Form()] = None,
) -> Response:
    """派单 from the queue: back to the queue (303) or, for htmx, the row replaced by a note;
    a refusal re-renders the row's form with the message (422 for bad input)."""
    require(actor, DISPATCH_ROLES)
    fields = ActionFields(
        text=text,
        lead=lead,
        co_units=tuple(co_units or ()),
        level=level,
        expected_version=expected_version,
    )
    try:
        perform(
            session,
            Action.DISPATCH,
            appeal_id=appeal_id,
            fields=fields,
            photos=[],
            media=media,
            actor=actor,
            now=now,
        )
    except NotFound:
        raise
    except DomainError as exc:
        session.rollback()
        ctx = _queue_context(request, session, actor, now, 0)
        ctx["errors"] = {appeal_id: exc.message}
        ctx["values"] = {appeal_id: fields.as_values()}
        appeal = queries.by_id_for(session, actor, appeal_id)
        ctx["row"] = appeal_row(appeal, now)
        return refusal(
            render(
                request,
                "dispatch/queue.html",
                ctx,
                fragment="dispatch/_row.html",
                status_code=exc.status_code,
            ),
            request,
        )
    if is_htmx(request):
        return render(request, "dispatch/_done.html", {"appeal_id": appeal_id})
    return after_action(
        request, session, actor, appeal_id, Action.DISPATCH, cipher, now, back_to="/dispatch/queue"
    )
