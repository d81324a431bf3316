"""The grid worker's phone pages: my tasks (/grid/tasks: orders waiting for on-site
verification, with the verify forms, and the open orders of my grids) and the patrol report
(/grid/report: photo, browser geolocation filling lon/lat, the grid)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.appeals import queries, service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.deps import AppSettings, DbSession, Now
from civicgrid.territory import queries as territory_queries
from civicgrid.web.shared import form_actions
from civicgrid.web.shared.appeal_actions import REFUSED, ActionFields, done_redirect, take_action
from civicgrid.web.shared.appeal_rows import OPEN_STATUSES, list_rows
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.forms import (
    Cipher,
    FieldErrors,
    Media,
    flash_for,
    located_region_id,
    new_form_token,
    parse_point,
    refusal,
    require,
)
from civicgrid.web.shared.render import is_htmx, render
from civicgrid.web.shared.report_form import ReportPost

router = APIRouter(tags=["pages"])

GRID_WORKER = frozenset({Role.GRID_WORKER})
VERIFY_STATUSES = [AppealStatus.PENDING_VERIFICATION.value]
PATROL_TYPES = (AppealType.REPORT, AppealType.HELP, AppealType.COMPLAINT, AppealType.SUGGESTION)


def _tasks_context(request: Request, session: Session, actor: Actor, now: Any) -> dict[str, Any]:
    to_verify, verify_total = list_rows(session, actor, now, statuses=VERIFY_STATUSES)
    open_rows, open_total = list_rows(
        session,
        actor,
        now,
        statuses=[s for s in OPEN_STATUSES if s not in VERIFY_STATUSES],
    )
    return {
        "to_verify": to_verify,
        "verify_total": verify_total,
        "open_rows": open_rows,
        "open_total": open_total,
        "flashes": flash_for(request),
        "errors": {},
        "values": {},
    }


@router.get("/grid/tasks", include_in_schema=False)
def tasks(request: Request, actor: PageActor, session: DbSession, now: Now) -> Response:
    """Orders of my grids waiting for my verification, then the other open orders."""
    require(actor, GRID_WORKER)
    return render(request, "grid/tasks.html", _tasks_context(request, session, actor, now))


@router.post("/grid/tasks/{appeal_id}/verify", include_in_schema=False)
def verify(
    request: Request,
    appeal_id: int,
    actor: PageActor,
    session: DbSession,
    now: Now,
    media: Media,
    fixed: Annotated[str, Form(max_length=5)] = "",
    text: Annotated[str, Form(max_length=2000)] = "",
    expected_version: Annotated[int | None, Form()] = None,
) -> Response:
    """核查通过 / 核查未通过 from the task list (a reason is needed when not fixed)."""
    require(actor, GRID_WORKER)
    action = Action.VERIFY_CONFIRM if fixed == "1" else Action.VERIFY_REJECT

    def refused(messages: list[str], status: int) -> Response:
        session.rollback()
        ctx = _tasks_context(request, session, actor, now)
        ctx["errors"] = {appeal_id: messages[0]}
        ctx["values"] = {appeal_id: {"text": text}}
        ctx["row"] = next((r for r in ctx["to_verify"] if r.id == appeal_id), None)
        fragment = "grid/_verify_item.html" if ctx["row"] is not None else None
        page = render(request, "grid/tasks.html", ctx, fragment=fragment, status_code=status)
        return refusal(page, request) if fragment is not None else page

    def done(_: None) -> Response:
        if is_htmx(request):
            return render(
                request, "grid/_verified.html", {"appeal_id": appeal_id, "label": action.label}
            )
        return done_redirect("/grid/tasks", action)

    fields = ActionFields(text=text, expected_version=expected_version)
    return form_actions.perform(
        lambda: take_action(
            session, action, appeal_id=appeal_id, fields=fields, media=media, actor=actor, now=now
        ),
        redirect=done,
        refused=refused,
        refuse=REFUSED,
    )


# --- patrol report ----------------------------------------------------------------------------


@dataclass
class PatrolForm:
    """What the grid worker typed (kept on a refused post, photos included as kept tokens)."""

    appeal_type: str = AppealType.REPORT.value
    title: str = ""
    content: str = ""
    address: str = ""
    lon: str = ""
    lat: str = ""
    region_id: str = ""
    form_token: str = field(default_factory=new_form_token)
    kept: list[str] = field(default_factory=list)


def _my_grids(session: Session, actor: Actor) -> list[tuple[int, str]]:
    return [
        (r.id, r.name)
        for r in territory_queries.all_regions(session)
        if r.level == "grid" and actor.scope.covers_path(r.path)
    ]


def _report_page(
    request: Request,
    session: Session,
    actor: Actor,
    form: PatrolForm,
    errors: FieldErrors,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "grid/report.html",
        {
            "form": form,
            "errors": errors,
            "types": [(t.value, t.label) for t in PATROL_TYPES],
            "grids": _my_grids(session, actor),
        },
        status_code=status_code,
    )


@router.get("/grid/report", include_in_schema=False)
def report_page(request: Request, actor: PageActor, session: DbSession) -> Response:
    require(actor, GRID_WORKER)
    return _report_page(request, session, actor, PatrolForm(), {})


@router.post("/grid/report", include_in_schema=False)
def report_submit(
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    cipher: Cipher,
    media: Media,
    settings: AppSettings,
    report: ReportPost,
    region_id: Annotated[str, Form()] = "",
) -> Response:
    """巡查上报: record a patrol report in one of my grids (photo and location required). A
    refusal shows the form again with the message beside its field and the photos kept; a
    repeated post of the same form shows the first report."""
    require(actor, GRID_WORKER)
    appeal_type = report.appeal_type or AppealType.REPORT.value
    form = PatrolForm(
        appeal_type, report.title, report.content, report.address, report.lon, report.lat,
        region_id, report.form_token,
    )  # fmt: skip
    upload = report.upload(media, settings.media_dir, actor.user_id, now)

    def refused(errors: FieldErrors, status: int) -> Response:
        form.kept = upload.keep()
        return _report_page(request, session, actor, form, errors, status)

    if upload.error:
        return refused(upload.error, 422)
    lon_v, lat_v, point_error = parse_point(report.lon, report.lat)
    if point_error:
        return refused({"lon": point_error}, 422)
    try:
        chosen_type = AppealType(appeal_type)
        chosen_grid = int(region_id) if region_id else None
    except ValueError:
        return refused({"region_id": "请从列表中选择类型和网格"}, 422)

    def submit(photos: tuple[bytes, ...]) -> queries.AppealRecord:
        grid_id = (
            chosen_grid if chosen_grid is not None else located_region_id(session, lon_v, lat_v)
        )
        data = service.NewAppeal(
            channel=Channel.GRID_PATROL,
            appeal_type=chosen_type,
            title=report.title,
            content=report.content,
            address=report.address,
            lon=lon_v,
            lat=lat_v,
            region_id=grid_id,
            photos=photos,
        )
        return service.submit_appeal(
            session, data=data, actor=actor, cipher=cipher, media=media, now=now
        )

    return upload.submit_once(
        request,
        session,
        actor,
        report.form_token,
        submit,
        redirect=lambda appeal: f"/appeals/{appeal.id}?done=submit",
        refused=refused,
        keep_hours=settings.idempotency_hours,
        refuse=REFUSED,
    )
