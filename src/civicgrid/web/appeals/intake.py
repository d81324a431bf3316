"""The intake page of the console (/appeals/new): the operator records an appeal (with the
classifier's category suggestions on request) beside the replied appeals waiting for a callback.

The route parses the form, calls ``appeals.service.submit_appeal`` and redirects to the appeal
(post/redirect/get with a ``done`` flash); bad input re-renders the form with 422.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.appeals import service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth.roles import Role
from civicgrid.deps import AppSettings, DbSession, Now
from civicgrid.web.shared import form_actions
from civicgrid.web.shared.appeal_rows import list_rows
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.dispatch_choices import catalogue_choices, classify_text
from civicgrid.web.shared.forms import (
    Cipher,
    Media,
    located_region_id,
    parse_point,
    read_photos,
    require,
)
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

INTAKE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.ADMIN})
STAFF_INTAKE_CHANNELS = (Channel.HOTLINE, Channel.WEB)


@dataclass
class IntakeForm:
    """What the operator typed (kept on a 422 re-render)."""

    channel: str = Channel.HOTLINE.value
    appeal_type: str = AppealType.COMPLAINT.value
    level: str = UrgencyLevel.GENERAL.value
    title: str = ""
    content: str = ""
    category: str = ""
    address: str = ""
    lon: str = ""
    lat: str = ""
    caller_name: str = ""
    caller_phone: str = ""
    confidential: bool = False
    anonymous: bool = False


def _intake_context(form: IntakeForm, errors: list[str]) -> dict[str, Any]:
    return {
        "form": form,
        "errors": errors,
        "channels": [(c.value, c.label) for c in STAFF_INTAKE_CHANNELS],
        "types": [(t.value, t.label) for t in AppealType],
        "levels": [(lv.value, lv.label) for lv in UrgencyLevel],
        "categories": catalogue_choices(),
    }


CALLBACK_LIST_SIZE = 10


@router.get("/appeals/new", include_in_schema=False)
def intake_page(request: Request, actor: PageActor, session: DbSession, now: Now) -> Response:
    """The intake form, beside the replied appeals waiting for the operator's callback."""
    require(actor, INTAKE_ROLES)
    ctx = _intake_context(IntakeForm(), [])
    ctx["callbacks"], ctx["callback_total"] = list_rows(
        session,
        actor,
        now,
        statuses=[AppealStatus.REPLIED.value],
        limit=CALLBACK_LIST_SIZE,
    )
    return render(request, "appeals/new.html", ctx)


@router.post("/appeals/new", include_in_schema=False)
def intake_submit(
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    cipher: Cipher,
    media: Media,
    settings: AppSettings,
    channel: Annotated[str, Form()] = Channel.HOTLINE.value,
    appeal_type: Annotated[str, Form()] = AppealType.COMPLAINT.value,
    level: Annotated[str, Form()] = UrgencyLevel.GENERAL.value,
    title: Annotated[str, Form(max_length=200)] = "",
    content: Annotated[str, Form(max_length=10000)] = "",
    category: Annotated[str, Form(max_length=100)] = "",
    address: Annotated[str, Form(max_length=255)] = "",
    lon: Annotated[str, Form()] = "",
    lat: Annotated[str, Form()] = "",
    caller_name: Annotated[str, Form(max_length=50)] = "",
    caller_phone: Annotated[str, Form(max_length=30)] = "",
    confidential: Annotated[bool, Form()] = False,
    anonymous: Annotated[bool, Form()] = False,
    suggest: Annotated[str, Form()] = "",
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Record the appeal (one use case) and go to its page; bad input re-renders with 422."""
    require(actor, INTAKE_ROLES)
    form = IntakeForm(
        channel, appeal_type, level, title, content, category, address, lon, lat,
        caller_name, caller_phone, confidential, anonymous,
    )  # fmt: skip
    if suggest:
        suggestions = classify_text(settings, content)
        if suggestions and not form.category:
            form.category = suggestions[0].code
        ctx = _intake_context(form, [])
        ctx["suggestions"] = suggestions
        ctx["suggested"] = True
        return render(request, "appeals/new.html", ctx, fragment="appeals/_suggestions.html")
    errors: list[str] = []
    lon_v, lat_v, point_error = parse_point(lon, lat)
    if point_error:
        errors.append(point_error)
    try:
        data = service.NewAppeal(
            channel=Channel(channel),
            appeal_type=AppealType(appeal_type),
            level=UrgencyLevel(level),
            title=title,
            content=content,
            category=category,
            address=address,
            lon=lon_v,
            lat=lat_v,
            caller_name=caller_name,
            caller_phone=caller_phone,
            confidential=confidential,
            anonymous=anonymous,
            photos=tuple(read_photos(photos, media.max_bytes)),
        )
    except ValueError:
        errors.append("请从列表中选择渠道、诉求类型和紧急程度")
    if errors:
        return render(request, "appeals/new.html", _intake_context(form, errors), status_code=422)
    new = data
    return form_actions.perform(
        lambda: service.submit_appeal(
            session,
            data=_with_region(session, new),
            actor=actor,
            cipher=cipher,
            media=media,
            now=now,
        ),
        redirect=lambda appeal: f"/appeals/{appeal.id}?done=submit",
        refused=lambda messages, status: render(
            request, "appeals/new.html", _intake_context(form, messages), status_code=status
        ),
    )


def _with_region(session: Session, data: service.NewAppeal) -> service.NewAppeal:
    """The new appeal with the grid its point lies in (when the territory has one there)."""
    region_id = located_region_id(session, data.lon, data.lat)
    return replace(data, region_id=region_id) if region_id is not None else data
