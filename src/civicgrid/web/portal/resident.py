"""The resident portal: 随手拍 reports (/portal/report), the resident's own appeals (/portal),
tracking an appeal by its number and the last four digits of the phone (/portal/track), and the
caller's own rating once the unit has replied (自助评价, on both the appeal and the tracking page).

Reporting needs a resident login: the intake use case records 随手拍 only for residents, and
the login ties the report to the account that sees it afterwards. The phone is still asked
for, so that a report can also be tracked (and called back) by number and phone. Tracking
needs no login; it shows the status and the public steps of the timeline, never staff names.
Failed tracking attempts are counted per number (``appeals.service.track``); too many give 429.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from civicgrid.appeals import queries, service
from civicgrid.appeals.channels import AppealType, Channel, Flow
from civicgrid.appeals.self_service_rules import (
    NO_MATCH_MESSAGE,
    PHONE_TAIL,
    TooManyAttempts,
    TrackingProof,
    is_phone_tail,
)
from civicgrid.appeals.states import AppealStatus, Satisfaction
from civicgrid.appeals.workflow import Action
from civicgrid.auth.actor import Actor
from civicgrid.auth.deps import OptionalActor
from civicgrid.auth.roles import Role
from civicgrid.deps import AppSettings, DbSession, Now
from civicgrid.errors import DomainError, NotFound
from civicgrid.web.portal import elder
from civicgrid.web.shared import form_actions
from civicgrid.web.shared.appeal_actions import REFUSED
from civicgrid.web.shared.appeal_rows import appeal_row
from civicgrid.web.shared.context import PageActor, set_page_context
from civicgrid.web.shared.forms import (
    Cipher,
    FieldErrors,
    Media,
    flash_for,
    located_region_id,
    new_form_token,
    parse_point,
    require,
)
from civicgrid.web.shared.render import error_page, render
from civicgrid.web.shared.report_form import CallerPost, ReportPost

router = APIRouter(tags=["pages"], dependencies=[Depends(elder.elder_context)])

RESIDENT = frozenset({Role.RESIDENT})
REPORT_TYPES = (AppealType.HELP, AppealType.COMPLAINT, AppealType.SUGGESTION, AppealType.REPORT)
RATED_MESSAGE = "感谢您的评价！"


# --- 长辈版 switch -----------------------------------------------------------------------------


@router.get(elder.SWITCH_PATH, include_in_schema=False)
def elder_switch(
    request: Request,
    on: str = "1",
    back: Annotated[str, Query(alias="next")] = elder.HOME,
) -> Response:
    """Turn 长辈版 on (``on=1``) or off (``on=0``) and go back to the portal page the link was
    on. A plain link, so it works without JavaScript; the choice is remembered in a cookie."""
    if on not in ("0", "1"):
        return error_page(request, 400, "长辈版开关参数 on 只能是 1（打开）或 0（关闭）")
    response = RedirectResponse(elder.return_path(back), status_code=303)
    if elder.is_on(on):
        response.set_cookie(
            elder.COOKIE, "1", max_age=elder.COOKIE_MAX_AGE, httponly=True, samesite="lax"
        )
    else:
        response.delete_cookie(elder.COOKIE, httponly=True, samesite="lax")
    return response


# --- report -----------------------------------------------------------------------------------


@dataclass
class ReportForm:
    """What the resident typed (kept on a refused post, photos included as kept tokens)."""

    appeal_type: str = AppealType.HELP.value
    title: str = ""
    content: str = ""
    address: str = ""
    lon: str = ""
    lat: str = ""
    caller_name: str = ""
    caller_phone: str = ""
    confidential: bool = False
    form_token: str = field(default_factory=new_form_token)
    kept: list[str] = field(default_factory=list)


PHONE_NEEDED = "请填写手机号码（至少 7 位数字），用于查询进度和回访"
TYPE_NEEDED = "请从列表中选择诉求类型"


def _report_page(
    request: Request, form: ReportForm, errors: FieldErrors, status_code: int = 200
) -> Response:
    return render(
        request,
        "portal/report.html",
        {
            "form": form,
            "errors": errors,
            "types": [(t.value, t.label) for t in REPORT_TYPES],
        },
        status_code=status_code,
    )


@router.get("/portal/report", include_in_schema=False)
def report_page(request: Request, actor: PageActor) -> Response:
    require(actor, RESIDENT)
    return _report_page(request, ReportForm(caller_name=actor.display_name), {})


def _report_errors(form: ReportForm, photo_error: FieldErrors, point_error: str) -> FieldErrors:
    """What the page can tell before the use case runs, in the order of the fields."""
    errors: FieldErrors = {}
    if form.appeal_type not in {t.value for t in REPORT_TYPES}:
        errors["appeal_type"] = TYPE_NEEDED
    errors.update(photo_error)
    if point_error:
        errors["lon"] = point_error
    if len([ch for ch in form.caller_phone if ch.isdigit()]) < PHONE_TAIL + 3:
        errors["caller_phone"] = PHONE_NEEDED
    return errors


@router.post("/portal/report", include_in_schema=False)
def report_submit(
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    cipher: Cipher,
    media: Media,
    settings: AppSettings,
    report: ReportPost,
    caller: CallerPost,
) -> Response:
    """Record a 随手拍 report (photo + location) and show its number. A refusal shows the form
    again with each message beside its field, the first focused, and the photos kept; posting
    the same form again (Back + submit) shows the first report instead of storing a second."""
    require(actor, RESIDENT)
    form = ReportForm(
        report.appeal_type or AppealType.HELP.value, report.title, report.content,
        report.address, report.lon, report.lat, caller.caller_name, caller.caller_phone,
        caller.confidential, report.form_token,
    )  # fmt: skip
    upload = report.upload(media, settings.media_dir, actor.user_id, now)

    def refused(errors: FieldErrors, status: int) -> Response:
        form.kept = upload.keep()
        return _report_page(request, form, errors, status)

    lon_v, lat_v, point_error = parse_point(report.lon, report.lat)
    errors = _report_errors(form, upload.error, point_error)
    if errors:
        return refused(errors, 422)

    def submit(photos: tuple[bytes, ...]) -> queries.AppealRecord:
        data = service.NewAppeal(
            channel=Channel.SNAPSHOT,
            appeal_type=AppealType(form.appeal_type),
            title=report.title,
            content=report.content,
            address=report.address,
            lon=lon_v,
            lat=lat_v,
            caller_name=caller.caller_name,
            caller_phone=caller.caller_phone,
            confidential=caller.confidential,
            photos=photos,
        )
        region_id = located_region_id(session, lon_v, lat_v)
        if region_id is not None:
            data = replace(data, region_id=region_id)
        return service.submit_appeal(
            session, data=data, actor=actor, cipher=cipher, media=media, now=now
        )

    return upload.submit_once(
        request,
        session,
        actor,
        report.form_token,
        submit,
        redirect=lambda appeal: f"/portal/appeals/{appeal.id}?done=submit",
        refused=refused,
        keep_hours=settings.idempotency_hours,
    )


# --- the resident's own appeals ---------------------------------------------------------------


@router.get("/portal", include_in_schema=False)
def my_appeals(request: Request, actor: PageActor, session: DbSession, now: Now) -> Response:
    """The appeals the resident submitted, newest first."""
    require(actor, RESIDENT)
    page = queries.list_for(session, actor, queries.AppealFilters(limit=100), now=now)
    return render(
        request,
        "portal/index.html",
        {"rows": [appeal_row(a, now) for a in page.items], "total": page.total},
    )


@dataclass(frozen=True, slots=True)
class PublicStep:
    """A timeline step as the public sees it: when and what, never who."""

    at: datetime
    label: str
    status_label: str


PUBLIC_STEP_LABELS = {"submit": "诉求已受理"}


@dataclass(frozen=True, slots=True)
class MainOrderView:
    """What the caller of a merged appeal sees of the order it joined: its status, lead unit
    and public reply; never its number or anything of its own caller."""

    status_label: str
    status_colour: str
    lead_unit: str
    reply_text: str


def _main_order_view(session: Session, appeal: queries.AppealRecord) -> MainOrderView | None:
    main = queries.main_order(session, appeal)
    if main is None:
        return None
    status = AppealStatus(main.status)
    lead = queries.lead_unit(main)
    return MainOrderView(
        status_label=status.label,
        status_colour=status.colour.value,
        lead_unit=lead.unit_name if lead else "",
        reply_text=main.reply_text or "",
    )


def public_view(session: Session, appeal: queries.AppealRecord) -> dict[str, Any]:
    """What the caller sees of an appeal: status, steps, units and the reply."""
    record = queries.public_record(session, appeal)
    steps = []
    for event in record.events:
        try:
            label = Action(event.action).label
        except ValueError:
            label = PUBLIC_STEP_LABELS.get(event.action, "")
        if not label:
            continue
        try:
            status_label = AppealStatus(event.to_status).label
        except ValueError:
            status_label = ""
        steps.append(PublicStep(event.at, label, status_label))
    status = AppealStatus(appeal.status)
    lead = queries.lead_unit(appeal)
    awaiting = status is AppealStatus.REPLIED and appeal.flow == Flow.HOTLINE.value
    rated = record.rating
    return {
        "appeal": appeal,
        "status_label": status.label,
        "status_colour": status.colour.value,
        "steps": steps,
        "lead_unit": lead.unit_name if lead else "",
        "main_order": _main_order_view(session, appeal),
        "awaiting_callback": awaiting,
        "can_rate": awaiting and rated is None,
        "rated": rated,
        "rating": RatingForm(),
        "satisfactions": [(x.value, x.label) for x in Satisfaction],
        "satisfaction_labels": {x.value: x.label for x in Satisfaction},
    }


@dataclass
class RatingForm:
    """What the caller chose on the rating form (kept on a re-render)."""

    resolved: str = ""
    satisfaction: str = ""
    comment: str = ""
    error: str = ""


def _resolved(value: str) -> bool | None:
    return {"1": True, "0": False}.get(value)


def _satisfaction(value: str) -> Satisfaction | None:
    return Satisfaction(value) if value in {x.value for x in Satisfaction} else None


@router.get("/portal/appeals/{appeal_id}", include_in_schema=False)
def my_appeal(request: Request, appeal_id: int, actor: PageActor, session: DbSession) -> Response:
    """One of the resident's appeals (NotFound for anyone else's)."""
    require(actor, RESIDENT)
    appeal = queries.by_id_for(session, actor, appeal_id)
    ctx = public_view(session, appeal)
    done = request.query_params.get("done")
    if done == "submit":
        ctx["flashes"] = [
            f"已提交，工单编号 {appeal.number}。请记下编号，可凭编号和手机尾号查询进度。"
        ]
    elif done == "rate":
        ctx["flashes"] = [RATED_MESSAGE]
    else:
        ctx["flashes"] = flash_for(request)
    ctx["rate_url"] = f"/portal/appeals/{appeal.id}/rate"
    return render(request, "portal/appeal.html", ctx)


@router.post("/portal/appeals/{appeal_id}/rate", include_in_schema=False)
def rate_my_appeal(
    request: Request,
    appeal_id: int,
    actor: PageActor,
    session: DbSession,
    now: Now,
    cipher: Cipher,
    resolved: Annotated[str, Form(max_length=5)] = "",
    satisfaction: Annotated[str, Form(max_length=30)] = "",
    comment: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The resident rates the reply to their own appeal (自助评价)."""
    require(actor, RESIDENT)
    form = RatingForm(resolved, satisfaction, comment)

    def refused(messages: list[str], status: int) -> Response:
        appeal = queries.by_id_for(session, actor, appeal_id)
        ctx = public_view(session, appeal)
        form.error = messages[0]
        ctx.update(rating=form, rate_url=f"/portal/appeals/{appeal.id}/rate", flashes=[])
        if not ctx["can_rate"]:
            ctx["errors"] = messages
        return render(request, "portal/appeal.html", ctx, status_code=status)

    return form_actions.perform(
        lambda: service.rate_by_caller(
            session,
            appeal_id=appeal_id,
            resolved=_resolved(resolved),
            satisfaction=_satisfaction(satisfaction),
            comment=comment,
            actor=actor,
            cipher=cipher,
            now=now,
        ),
        redirect=f"/portal/appeals/{appeal_id}?done=rate",
        refused=refused,
        refuse=REFUSED,
    )


# --- tracking by number and phone -------------------------------------------------------------


def _track_page(
    request: Request,
    actor: Actor | None,
    ctx: dict[str, Any],
    status_code: int = 200,
) -> Response:
    set_page_context(request, actor)
    return render(
        request, "portal/track.html", ctx, fragment="portal/_track_result.html",
        status_code=status_code,
    )  # fmt: skip


@router.get("/portal/track", include_in_schema=False)
def track_page(request: Request, actor: OptionalActor) -> Response:
    """The tracking form; no login needed."""
    return _track_page(request, actor, {"number": "", "phone_tail": "", "errors": []})


def _found(session: Session, appeal: queries.AppealRecord, ctx: dict[str, Any]) -> dict[str, Any]:
    ctx.update(public_view(session, appeal))
    ctx["found"] = True
    ctx["rate_url"] = "/portal/track/rate"
    ctx["proof"] = {"number": appeal.number, "phone_tail": ctx["phone_tail"]}
    return ctx


@router.post("/portal/track", include_in_schema=False)
def track_lookup(
    request: Request,
    actor: OptionalActor,
    session: DbSession,
    now: Now,
    cipher: Cipher,
    number: Annotated[str, Form(max_length=20)] = "",
    phone_tail: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Look an appeal up by number and the phone's last four digits (429 after too many
    failures for the number)."""
    number, phone_tail = number.strip(), phone_tail.strip()
    ctx: dict[str, Any] = {"number": number, "phone_tail": phone_tail, "errors": []}
    if not number or not is_phone_tail(phone_tail):
        ctx["errors"] = [f"请填写工单编号和手机号码后{PHONE_TAIL}位"]
        return _track_page(request, actor, ctx, 422)
    try:
        appeal = service.track(
            session, proof=TrackingProof(number, phone_tail), cipher=cipher, now=now
        )
    except TooManyAttempts as exc:
        ctx["errors"] = [exc.message]
        return _track_page(request, actor, ctx, exc.status_code)
    if appeal is None:
        ctx["errors"] = [NO_MATCH_MESSAGE]
        return _track_page(request, actor, ctx, 422)
    return _track_page(request, actor, _found(session, appeal, ctx))


@router.post("/portal/track/rate", include_in_schema=False)
def track_rate(
    request: Request,
    actor: OptionalActor,
    session: DbSession,
    now: Now,
    cipher: Cipher,
    appeal_id: Annotated[int, Form()],
    number: Annotated[str, Form(max_length=20)] = "",
    phone_tail: Annotated[str, Form(max_length=10)] = "",
    resolved: Annotated[str, Form(max_length=5)] = "",
    satisfaction: Annotated[str, Form(max_length=30)] = "",
    comment: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The caller rates the reply with the tracking proof (number + phone tail) instead of a
    login; the tracking result is shown again with the rating."""
    number, phone_tail = number.strip(), phone_tail.strip()
    ctx: dict[str, Any] = {"number": number, "phone_tail": phone_tail, "errors": []}
    form = RatingForm(resolved, satisfaction, comment)

    def rated(rating: service.SelfRating | None) -> Response:
        if rating is None:
            ctx["errors"] = [NO_MATCH_MESSAGE]
            return _track_page(request, actor, ctx, 404)
        _found(session, rating.appeal, ctx)
        ctx["flashes"] = [RATED_MESSAGE]
        return _track_page(request, actor, ctx)

    def refused(exc: DomainError) -> Response:
        appeal = None
        if not isinstance(exc, (TooManyAttempts, NotFound)):
            appeal = queries.find_for_tracking(
                session, number=number, phone_last4=phone_tail, cipher=cipher
            )
        if appeal is None:  # no proof, or (defensive) the proof no longer matches
            ctx["errors"] = [exc.message]
            return _track_page(request, actor, ctx, exc.status_code)
        _found(session, appeal, ctx)
        form.error = exc.message
        ctx["rating"] = form
        if not ctx["can_rate"]:
            ctx["errors"] = [exc.message]
        return _track_page(request, actor, ctx, exc.status_code)

    return form_actions.perform_refused_by(
        lambda: service.rate_by_caller(
            session,
            appeal_id=appeal_id,
            resolved=_resolved(resolved),
            satisfaction=_satisfaction(satisfaction),
            comment=comment,
            proof=TrackingProof(number, phone_tail),
            cipher=cipher,
            now=now,
        ),
        redirect=rated,
        refused_by=refused,
        refuse=(DomainError,),
    )
