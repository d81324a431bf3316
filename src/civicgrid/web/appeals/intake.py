"""The intake page of the console (/appeals/new): the operator records an appeal (with the
classifier's category suggestions on request) beside the replied appeals waiting for a callback.

The route parses the form, calls ``appeals.service.submit_appeal`` and redirects to the appeal
(post/redirect/get with a ``done`` flash); bad input re-renders the form with 422.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.appeals import service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth.roles import Role
from civicgrid.deps import AppSettings, DbSession, Now
from civicgrid.web.shared.appeal_rows import list_rows
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.dispatch_choices import catalogue_choices, classify_text
from civicgrid.web.shared.forms import (
    Cipher,
    FieldErrors,
    Media,
    located_region_id,
    new_form_token,
    parse_point,
    require,
)
from civicgrid.web.shared.render import render
from civicgrid.web.shared.report_form import CallerPost, ReportPost

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
    report: ReportPost,
    caller: CallerPost,
    channel: Annotated[str, Form()] = Channel.HOTLINE.value,
    level: Annotated[str, Form()] = UrgencyLevel.GENERAL.value,
    category: Annotated[str, Form(max_length=100)] = "",
    anonymous: Annotated[bool, Form()] = False,
    suggest: Annotated[str, Form()] = "",
) -> Response:
    """Record the appeal (one use case) and go to its page. Bad input shows the form again
    (422) with the message beside its field and the photos kept; posting the same form again
    shows the first appeal instead of recording it twice."""
    require(actor, INTAKE_ROLES)
    appeal_type = report.appeal_type or AppealType.COMPLAINT.value
    form = IntakeForm(
        channel, appeal_type, level, report.title, report.content, category, report.address,
        report.lon, report.lat, caller.caller_name, caller.caller_phone, caller.confidential,
        anonymous, report.form_token,
    )  # fmt: skip
    if suggest:
        suggestions = classify_text(settings, report.content)
        if suggestions and not form.category:
            form.category = suggestions[0].code
        ctx = _intake_context(form, {})
        ctx["suggestions"] = suggestions
        ctx["suggested"] = True
        return render(request, "appeals/new.html", ctx, fragment="appeals/_suggestions.html")
    upload = report.upload(media, settings.media_dir, actor.user_id, now)

    def refused(errors: FieldErrors, status: int) -> Response:
        form.kept = upload.keep()
        return _refused(request, form, errors, status)

    if upload.error:
        return refused(upload.error, 422)
    lon_v, lat_v, point_error = parse_point(report.lon, report.lat)
    if point_error:
        return refused({"lon": point_error}, 422)
    try:
        data = service.NewAppeal(
            channel=Channel(channel),
            appeal_type=AppealType(appeal_type),
            level=UrgencyLevel(level),
            title=report.title,
            content=report.content,
            category=category,
            address=report.address,
            lon=lon_v,
            lat=lat_v,
            caller_name=caller.caller_name,
            caller_phone=caller.caller_phone,
            confidential=caller.confidential,
            anonymous=anonymous,
        )
    except ValueError:
        return refused({"channel": "请从列表中选择渠道、诉求类型和紧急程度"}, 422)

    return upload.submit_once(
        request,
        session,
        actor,
        report.form_token,
        lambda photos: service.submit_appeal(
            session,
            data=replace(_with_region(session, data), photos=photos),
            actor=actor,
            cipher=cipher,
            media=media,
            now=now,
        ),
        redirect=lambda appeal: f"/appeals/{appeal.id}?done=submit",
        refused=refused,
        keep_hours=settings.idempotency_hours,
    )


def _refused(request: Request, form: IntakeForm, errors: FieldErrors, status: int) -> Response:
    return render(request, "appeals/new.html", _intake_context(form, errors), status_code=status)


def _with_region(session: Session, data: service.NewAppeal) -> service.NewAppeal:
    """The new appeal with the grid its point lies in (when the territory has one there)."""
    region_id = located_region_id(session, data.lon, data.lat)
    return replace(data, region_id=region_id) if region_id is not None else data
