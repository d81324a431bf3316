"""What the register's person and house pages share (not a page module): the flash messages
of their post/redirect/get steps, reading a typed day, the time a visit recorded by day is
stored at, visits as the pages list them, the tag and visit parts of a detail page's context,
and the route steps both pages take (create once, change a tag, record a visit)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.clock import BEIJING, to_beijing
from civicgrid.errors import Conflict, Invalid
from civicgrid.register import queries, rules, service
from civicgrid.register.models import Visit
from civicgrid.web.shared.forms import FieldErrors, field_errors, new_form_token, submit_once

DONE_MESSAGES = {
    "created": "已登记。",
    "updated": "已保存修改。",
    "moved": "已办理迁居：原居住关系已结束，新的居住关系已开始，历史记录保留。",
    "tagged": "已添加标签。",
    "untagged": "已移除标签。",
    "visit": "走访已记录。",
    "address": "标准地址已新增，已为您选好，请继续填写房屋。",
}


def flash(request: Request) -> list[str]:
    """The confirmation named by ``?done=`` (unknown names show nothing)."""
    message = DONE_MESSAGES.get(request.query_params.get("done", ""))
    return [message] if message else []


def change_tag(
    form: dict[str, str], add: Callable[[str], object], remove: Callable[[str], object]
) -> str:
    """Add (``op=add``) or remove (``op=remove``) the posted tag; returns the flash name."""
    name = form.get("tag", "")
    if form.get("op") == "remove":
        remove(name)
        return "untagged"
    if not name:
        raise Invalid("请选择要添加的标签", detail={"field": "tag"})
    add(name)
    return "tagged"


def parse_day(text: str, field: str, *, optional: bool = True) -> date | None:
    """A ``YYYY-MM-DD`` day typed or chosen in a date input; Invalid names the field."""
    text = text.strip()
    if not text:
        if optional:
            return None
        raise Invalid("请填写日期", detail={"field": field})
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise Invalid("日期格式应为 2026-12-07", detail={"field": field}) from exc


def required_day(text: str, field: str) -> date:
    """Like :func:`parse_day` for a day that must be given."""
    day = parse_day(text, field, optional=False)
    assert day is not None  # parse_day raises for an empty required day
    return day


def visit_time(day: date, now: datetime) -> datetime:
    """A visit recorded by day: now when it is today (Beijing), otherwise noon of that day; a
    day after today stays after now, so the use case refuses it."""
    today = to_beijing(now).date()
    if day == today:
        return now
    return datetime.combine(day, time(12, 0), tzinfo=BEIJING)


def visit_form_defaults(now: datetime) -> dict[str, str]:
    return {"visited_on": to_beijing(now).date().isoformat(), "kind": "routine"}


def visit_kinds() -> list[tuple[str, str]]:
    return [(k.value, k.label) for k in rules.VisitKind]


@dataclass(frozen=True, slots=True)
class Choice:
    """A candidate a picker offers without JavaScript (a radio button)."""

    id: int
    label: str


@dataclass(frozen=True, slots=True)
class VisitView:
    at: datetime
    kind: str
    place: str
    content: str
    worker: str


def person_of(label: str) -> str:
    """The display name in a stored ``username(显示名)`` label (people by name, not login)."""
    if label.endswith(")") and "(" in label:
        return label[label.index("(") + 1 : -1]
    return label


def visit_views(visits: Sequence[Visit]) -> list[VisitView]:
    labels = {k.value: k.label for k in rules.VisitKind}
    return [
        VisitView(
            v.visited_at, labels.get(v.kind, v.kind), v.place, v.content, person_of(v.worker_label)
        )
        for v in visits
    ]


class DetailPage(Protocol):
    """A person's or house's page shown again after a refused post on it."""

    def __call__(
        self, *, errors: FieldErrors, form: dict[str, str] | None = None, opened: str,
        status_code: int,
    ) -> Response: ...  # fmt: skip


def detail_context(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    target: rules.TagTarget,
    tags: Collection[str],
    visits: Sequence[Visit],
    visit_action: str,
) -> dict[str, Any]:
    """The tag and visit parts of a detail page: tags still to add, visits, the visit form."""
    defaults = visit_form_defaults(now)
    return {
        "tag_choices": [
            (t.name, t.name)
            for t in queries.list_tags(session, target=target.value)
            if t.name not in tags
        ],
        "visits": visit_views(visits),
        "visit_kinds": visit_kinds(),
        "visit_action": visit_action,
        "visit_defaults": defaults,
        "today": defaults["visited_on"],
        "can_write": actor.has_role(*rules.WRITE_ROLES),
    }


def page_state(
    request: Request, errors: FieldErrors | None, form: dict[str, str] | None, opened: str
) -> dict[str, Any]:
    """What a detail page shows of a refused post (errors, what was typed, the form left open)
    and the flash of a done one."""
    return {"errors": errors or {}, "form": form or {}, "opened": opened, "flashes": flash(request)}


def new_form_context(
    form: dict[str, str], errors: FieldErrors, candidates: Sequence[object]
) -> dict[str, Any]:
    """A form adding a record: what was typed, errors, the picker's candidates and the form's
    one-time token (kept across a refusal, so a re-post still counts once)."""
    return {
        "form": form,
        "errors": errors,
        "candidates": candidates,
        "form_token": form.get("form_token") or new_form_token(),
    }


def done_redirect(page_url: str, done: str) -> Response:
    """Back to the page (post/redirect/get) with the flash named ``done``."""
    return RedirectResponse(f"{page_url}?done={done}", status_code=303)


def create_once(
    request: Request,
    session: Session,
    actor: Actor,
    form: dict[str, str],
    call: Callable[[], int],
    *,
    pages_url: str,
    refused: Callable[[FieldErrors, int], Response],
    now: datetime,
    keep_hours: int,
) -> Response:
    """Create through ``call`` once per form token, then show the new page (``pages_url/id``)."""
    return submit_once(
        request,
        session,
        actor,
        form.get("form_token", ""),
        call,
        redirect=lambda new_id: f"{pages_url}/{new_id}?done=created",
        refused=refused,
        now=now,
        keep_hours=keep_hours,
    )


def tag_step(
    session: Session,
    form: dict[str, str],
    add: Callable[[str], object],
    remove: Callable[[str], object],
    *,
    page_url: str,
    page: DetailPage,
) -> Response:
    """Add or remove the posted tag, then back to the page; a refusal shows it with the tags
    open and the message."""
    try:
        done = change_tag(form, add, remove)
    except (Invalid, Conflict) as exc:
        session.rollback()
        return page(errors={"tag": exc.message}, opened="tags", status_code=exc.status_code)
    return done_redirect(page_url, done)


def visit_step(
    session: Session,
    actor: Actor,
    now: datetime,
    form: dict[str, str],
    *,
    place: str,
    resident_ids: Sequence[int] = (),
    house_ids: Sequence[int] = (),
    page_url: str,
    page: DetailPage,
) -> Response:
    """Record the posted visit (day, kind, what was found), then back to the page; a refusal
    shows it with the visit form open and what was typed."""
    try:
        service.record_visit(
            session,
            visited_at=visit_time(required_day(form.get("visited_on", ""), "visited_on"), now),
            kind=form.get("kind", ""),
            place=place,
            content=form.get("content", ""),
            resident_ids=resident_ids,
            house_ids=house_ids,
            actor=actor,
            now=now,
        )
    except Invalid as exc:
        session.rollback()
        return page(errors=field_errors(exc), form=form, opened="visit", status_code=422)
    return done_redirect(page_url, "visit")
