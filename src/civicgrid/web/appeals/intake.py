"""The intake page of the console (/appeals/new): the operator records an appeal (with the
classifier's category suggestions on request) beside the replied appeals waiting for a callback.

The route parses the form, calls ``appeals.service.submit_appeal`` and redirects to the appeal
(post/redirect/get with a ``done`` flash); bad input re-renders the form with 422.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.appeals import queries, service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth.roles import Role
from civicgrid.deps import AppSettings, DbSession, Now
from civicgrid.errors import Invalid
from civicgrid.web.shared.appeal_rows import list_rows
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.dispatch_choices import catalogue_choices, classify_text
from civicgrid.web.shared.forms import (
    Cipher,
    FieldErrors,
    Media,
    drop_kept,
    field_errors,
    keep_photos,
    kept_photos,
    located_region_id,
    new_form_token,
    parse_point,
    read_photos,
    require,
    submit_once,
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
    form_token: str = field(default_factory=new_form_token)
    kept: list[str] = field(default_factory=list)


def _intake_context(form: IntakeForm, errors: FieldErrors) -> dict[str, Any]:
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
    ctx = _intake_context(IntakeForm(), {})
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
    form_token: Annotated[str, Form(max_length=255)] = "",
    kept_photo: Annotated[list[str] | None, Form()] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Record the appeal (one use case) and go to its page. Bad input shows the form again
    (422) with the message beside its field and the photos kept; posting the same form again
    shows the first appeal instead of recording it twice."""
    require(actor, INTAKE_ROLES)
    form = IntakeForm(
        channel, appeal_type, level, title, content, category, address, lon, lat,
        caller_name, caller_phone, confidential, anonymous, form_token,
    )  # fmt: skip
    if suggest:
        suggestions = classify_text(settings, content)
        if suggestions and not form.category:
            form.category = suggestions[0].code
        ctx = _intake_context(form, {})
        ctx["suggestions"] = suggestions
        ctx["suggested"] = True
        return render(request, "appeals/new.html", ctx, fragment="appeals/_suggestions.html")
    kept = kept_photos(settings.media_dir, actor.user_id, kept_photo or [])
    form.kept = [token for token, _ in kept]
    try:
        new_photos = read_photos(photos, media.max_bytes)
    except Invalid as exc:
        return _refused(request, form, field_errors(exc), 422)

    def refused(errors: FieldErrors, status: int) -> Response:
        form.kept += keep_photos(settings.media_dir, actor.user_id, new_photos, now=now)
        return _refused(request, form, errors, status)

    lon_v, lat_v, point_error = parse_point(lon, lat)
    if point_error:
        return refused({"lon": point_error}, 422)
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
            photos=tuple([photo for _, photo in kept] + new_photos),
        )
    except ValueError:
        return refused({"channel": "请从列表中选择渠道、诉求类型和紧急程度"}, 422)

    def done(appeal: queries.AppealRecord) -> str:
        drop_kept(settings.media_dir, actor.user_id, form.kept)
        return f"/appeals/{appeal.id}?done=submit"

    return submit_once(
        request,
        session,
        actor,
        form_token,
        lambda: service.submit_appeal(
            session,
            data=_with_region(session, data),
            actor=actor,
            cipher=cipher,
            media=media,
            now=now,
        ),
        redirect=done,
        refused=refused,
        now=now,
        keep_hours=settings.idempotency_hours,
    )


def _refused(request: Request, form: IntakeForm, errors: FieldErrors, status: int) -> Response:
    return render(request, "appeals/new.html", _intake_context(form, errors), status_code=status)


def _with_region(session: Session, data: service.NewAppeal) -> service.NewAppeal:
    """The new appeal with the grid its point lies in (when the territory has one there)."""
    region_id = located_region_id(session, data.lon, data.lat)
    return replace(data, region_id=region_id) if region_id is not None else data
