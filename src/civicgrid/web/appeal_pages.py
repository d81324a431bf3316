"""Appeal list pages of the console: intake (/appeals/new), the unit inbox (/appeals/inbox) and
the supervision board (/appeals/supervision), and the list row every appeal list shows.

Routes parse the form, call one appeals use case or query and render (htmx fragment) or redirect
(post/redirect/get with a ``done`` flash).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from civicgrid.appeals import queries, service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.deadlines import UrgencyLevel, WarningLevel
from civicgrid.appeals.states import (
    TERMINAL_STATUSES,
    AppealStatus,
)
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.deps import AppSettings, DbSession, Now
from civicgrid.errors import Invalid
from civicgrid.web.context import PageActor
from civicgrid.web.forms import (
    Cipher,
    Media,
    located_region_id,
    parse_point,
    read_photos,
    require,
)
from civicgrid.web.render import render

router = APIRouter(tags=["pages"])

INTAKE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.ADMIN})
INBOX_ROLES = frozenset(
    {
        Role.STREET_HANDLER,
        Role.DEPARTMENT_HANDLER,
        Role.UTILITY_HANDLER,
        Role.OPERATOR,
        Role.DISPATCHER,
        Role.SUPERVISOR,
        Role.LEADER,
        Role.ADMIN,
    }
)
STAFF_INTAKE_CHANNELS = (Channel.HOTLINE, Channel.WEB)
OPEN_STATUSES = tuple(s.value for s in AppealStatus if s not in TERMINAL_STATUSES)
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class AppealRow:
    """One line of an appeal list, with the running deadline's colour."""

    id: int
    number: str
    title: str
    address: str
    status: str
    status_label: str
    status_colour: str
    type_label: str
    channel_label: str
    level_label: str
    received_at: datetime
    lead_unit: str
    due_at: datetime | None
    due_kind: str
    warning: str
    warning_label: str
    version: int


DUE_KIND_LABELS = {"dispatch": "派单时限", "response": "响应时限", "feedback": "办结时限"}


def _label(enum: Any, value: str) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return value


def appeal_row(appeal: queries.AppealRecord, now: datetime) -> AppealRow:
    """The list view of one appeal (no extra query: units are loaded with the appeal)."""
    status = AppealStatus(appeal.status)
    lead = queries.lead_unit(appeal)
    deadline = queries.running_deadline(appeal)
    warning = queries.warning_for(appeal, now)
    return AppealRow(
        id=appeal.id,
        number=appeal.number,
        title=appeal.title,
        address=appeal.address,
        status=status.value,
        status_label=status.label,
        status_colour=status.colour.value,
        type_label=_label(AppealType, appeal.appeal_type),
        channel_label=_label(Channel, appeal.channel),
        level_label=_label(UrgencyLevel, appeal.level),
        received_at=appeal.received_at,
        lead_unit=lead.unit_name if lead else "",
        due_at=deadline.due if deadline else None,
        due_kind=DUE_KIND_LABELS.get(deadline.kind, "") if deadline else "",
        warning=warning.value if warning else "",
        warning_label=warning.label if warning else "",
        version=appeal.version,
    )


# --- intake -----------------------------------------------------------------------------------


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
    from civicgrid.web.dispatch_pages import catalogue_choices

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
        from civicgrid.web.dispatch_pages import classify_text

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
    try:
        data = _with_region(session, data)
        appeal = service.submit_appeal(
            session, data=data, actor=actor, cipher=cipher, media=media, now=now
        )
    except Invalid as exc:
        return render(
            request, "appeals/new.html", _intake_context(form, [exc.message]), status_code=422
        )
    return RedirectResponse(f"/appeals/{appeal.id}?done=submit", status_code=303)


def _with_region(session: Session, data: service.NewAppeal) -> service.NewAppeal:
    """The new appeal with the grid its point lies in (when the territory has one there)."""
    region_id = located_region_id(session, data.lon, data.lat)
    return replace(data, region_id=region_id) if region_id is not None else data


# --- inbox ------------------------------------------------------------------------------------


@dataclass
class InboxFilters:
    """The filters of the inbox as typed (kept in the form and the page links)."""

    status: str = "open"
    overdue: bool = False
    warning: str = ""
    q: str = ""
    offset: int = 0

    def query(self, **changes: Any) -> str:
        values: dict[str, Any] = {
            "status": self.status,
            "overdue": "1" if self.overdue else "",
            "warning": self.warning,
            "q": self.q,
            "offset": self.offset,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", 0, None)})


def _status_filter(status: str) -> list[str]:
    if status == "open":
        return list(OPEN_STATUSES)
    if status == "all":
        return []
    try:
        return [AppealStatus(status).value]
    except ValueError as exc:
        raise Invalid(f"未知的工单状态：{status}") from exc


def _warning_filter(warning: str) -> WarningLevel | None:
    if not warning:
        return None
    try:
        return WarningLevel(warning)
    except ValueError as exc:
        raise Invalid(f"未知的预警等级：{warning}") from exc


def list_rows(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    statuses: list[str],
    overdue: bool = False,
    warning: WarningLevel | None = None,
    text: str = "",
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> tuple[list[AppealRow], int]:
    """One page of the appeals ``actor`` may see, as list rows, and the number of matches."""
    page = queries.list_for(
        session,
        actor,
        queries.AppealFilters(
            statuses=statuses,
            overdue=True if overdue else None,
            warning=warning,
            text=text.strip() or None,
            offset=offset,
            limit=limit,
        ),
        now=now,
    )
    return [appeal_row(a, now) for a in page.items], page.total


@router.get("/appeals/inbox", include_in_schema=False)
def inbox(
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    status: Annotated[str, Query(max_length=40)] = "open",
    overdue: Annotated[str, Query(max_length=5)] = "",
    warning: Annotated[str, Query(max_length=10)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The appeals of the actor's unit (data scope), filtered by status, overdue and warning."""
    require(actor, INBOX_ROLES)
    filters = InboxFilters(status, overdue in ("1", "true", "on"), warning, q, offset)
    rows, total = list_rows(
        session,
        actor,
        now,
        statuses=_status_filter(status),
        overdue=filters.overdue,
        warning=_warning_filter(warning),
        text=q,
        offset=offset,
    )
    return render(
        request,
        "appeals/inbox.html",
        {
            "rows": rows,
            "total": total,
            "filters": filters,
            "page_size": PAGE_SIZE,
            "statuses": [("open", "未办结"), ("all", "全部")]
            + [(s.value, s.label) for s in AppealStatus],
            "warnings": [(w.value, w.label) for w in WarningLevel],
        },
        fragment="appeals/_inbox_results.html",
    )


# --- supervision ------------------------------------------------------------------------------

SUPERVISION_ROLES = frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN, Role.LEADER})
# Requests a reviewer decides (DOMAIN §1.5): send-back, extension, termination, parking.
REVIEW_STATUSES = [
    AppealStatus.RETURN_REQUESTED.value,
    AppealStatus.EXTENSION_REQUESTED.value,
    AppealStatus.TERMINATION_REQUESTED.value,
    AppealStatus.PARK_REQUESTED.value,
]


@router.get("/appeals/supervision", include_in_schema=False)
def supervision(request: Request, actor: PageActor, session: DbSession, now: Now) -> Response:
    """督办: requests waiting for review, and the overdue orders to supervise or remind."""
    require(actor, SUPERVISION_ROLES)
    to_review, review_total = list_rows(session, actor, now, statuses=REVIEW_STATUSES)
    overdue, overdue_total = list_rows(
        session, actor, now, statuses=list(OPEN_STATUSES), overdue=True
    )
    return render(
        request,
        "appeals/supervision.html",
        {
            "to_review": to_review,
            "review_total": review_total,
            "overdue": overdue,
            "overdue_total": overdue_total,
            "page_size": PAGE_SIZE,
        },
    )
