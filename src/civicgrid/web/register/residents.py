"""Resident pages of the register (人房 — the 人): a person's detail (masked identity and phone,
tags, the houses they live and lived in, visits), registering and correcting a person, moving
them to another house, tags, recording a visit, and the audited reveal of the full identity
with a reason (shown once, never stored in the page's URL or session).

Every page loads through the register's scoped queries and use cases, so a grid worker sees
and edits only the residents of his grids; out-of-scope ids answer 404 like missing ones.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Form as FormField
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.deps import AppSettings, DbSession, Now
from civicgrid.errors import Conflict, Invalid
from civicgrid.register import access, lookups, queries, rules, service
from civicgrid.territory import queries as territory_queries
from civicgrid.web.register.visiting import (
    create_once,
    detail_context,
    done_redirect,
    new_form_context,
    page_state,
    parse_day,
    required_day,
    tag_step,
    visit_step,
)
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.form_actions import Form
from civicgrid.web.shared.forms import (
    Cipher,
    FieldErrors,
    field_errors,
    new_form_token,
    use_once,
)
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

HOUSE_SEARCH_URL = "/api/v1/register/pickers/houses"
RESIDENTS_URL = "/register/residents"
GENDER_LABELS = {"M": "男", "F": "女"}
KINDS = [(k.value, k.label) for k in rules.ResidenceKind]
NO_HOUSE = "没有找到该地址的房屋：请输入小区/路名、楼栋或房号中的字，从列表中选择"
MANY_HOUSES = "找到多处房屋，请从下面选择一处"
REVEAL_USED = "已查看，请重新申请：完整身份信息只显示一次，刷新或重复提交不会再次显示"


def pick_house(
    session: Session, actor: Actor, chosen: str, typed: str
) -> tuple[int | None, list[lookups.HouseChoice], str]:
    """The house a form names: the picker's id, or the one house the typed text finds (the
    form without JavaScript); otherwise None, the candidates to choose from and the message
    for the house field."""
    if chosen.strip().isdigit():
        return int(chosen), [], ""
    try:
        found = lookups.search_houses_for(session, actor, typed, limit=10)
    except Invalid as exc:
        return None, [], exc.message
    if len(found) == 1:
        return found[0].id, [], ""
    return None, found, MANY_HOUSES if found else NO_HOUSE


def _detail_context(
    session: Session, actor: Actor, resident_id: int, now: datetime
) -> dict[str, Any]:
    detail = queries.resident_detail_for(session, actor, resident_id)
    resident = detail.resident
    grid = territory_queries.regions_by_ids(session, [resident.grid_id]).get(resident.grid_id)
    current = [r for r in detail.residences if r.to_on is None]
    return detail_context(
        session,
        actor,
        now,
        target=rules.TagTarget.RESIDENT,
        tags=detail.tags,
        visits=lookups.visits_of(session, actor, resident_id=resident_id),
        visit_action=f"{RESIDENTS_URL}/{resident_id}/visits",
    ) | {
        "r": resident,
        "gender": GENDER_LABELS.get(resident.gender, resident.gender),
        "grid_name": grid.name if grid else "",
        "residences": detail.residences,
        "current": current,
        "kind_labels": {k.value: k.label for k in rules.ResidenceKind},
        "tags": detail.tags,
        "kinds": KINDS,
        "can_reveal": actor.has_role(*rules.REVEAL_ROLES),
        "house_search_url": HOUSE_SEARCH_URL,
        "reveal_token": new_form_token(),
    }


def _detail_page(
    request: Request,
    session: Session,
    actor: Actor,
    resident_id: int,
    now: datetime,
    *,
    errors: FieldErrors | None = None,
    form: dict[str, str] | None = None,
    opened: str = "",
    candidates: list[lookups.HouseChoice] | None = None,
    revealed: access.RevealedResident | None = None,
    status_code: int = 200,
) -> Response:
    ctx = _detail_context(session, actor, resident_id, now)
    ctx |= page_state(request, errors, form, opened)
    ctx.update(candidates=candidates or [], revealed=revealed)
    response = render(request, "register/resident.html", ctx, status_code=status_code)
    if revealed is not None or opened == "reveal":
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/register/residents/new", include_in_schema=False)
def new_resident(
    request: Request,
    actor: PageActor,
    session: DbSession,
    house: Annotated[int | None, Query()] = None,
) -> Response:
    """登记居民: the form, with the house already chosen when coming from a house page."""
    access.require_role(actor, rules.WRITE_ROLES, "登记居民")
    form = {"kind": "owner"}
    if house is not None:
        chosen = lookups.house_label_for(session, actor, house)
        form.update(house=str(chosen.id), house_q=chosen.label)
    return _new_page(request, session, actor, form, {}, [], 200)


def _new_page(
    request: Request,
    session: Session,
    actor: Actor,
    form: dict[str, str],
    errors: FieldErrors,
    candidates: list[lookups.HouseChoice],
    status_code: int,
) -> Response:
    tags = queries.list_tags(session, target=rules.TagTarget.RESIDENT.value)
    return render(
        request,
        "register/resident_new.html",
        new_form_context(form, errors, candidates)
        | {
            "kinds": KINDS,
            "tag_choices": [t.name for t in tags],
            "chosen_tags": form.get("tags_list", "").split("\n") if form.get("tags_list") else [],
            "house_search_url": HOUSE_SEARCH_URL,
        },
        status_code=status_code,
    )


@router.post("/register/residents/new", include_in_schema=False)
def create_resident(
    request: Request,
    actor: PageActor,
    session: DbSession,
    cipher: Cipher,
    settings: AppSettings,
    now: Now,
    form: Form,
    tags: Annotated[list[str] | None, FormField()] = None,
) -> Response:
    """Register the person; a repeated post of the same form shows the first result."""
    tags = [t for t in tags or [] if t]
    kept = dict(form, tags_list="\n".join(tags))
    house_id, candidates, refusal = pick_house(
        session, actor, form.get("house", ""), form.get("house_q", "")
    )
    if house_id is None:
        return _new_page(request, session, actor, kept, {"house": refusal}, candidates, 422)
    try:
        from_on = parse_day(form.get("from_on", ""), "from_on")
    except Invalid as exc:
        return _new_page(request, session, actor, kept, field_errors(exc), [], 422)

    def call() -> int:
        resident = service.register_resident(
            session,
            house_id=house_id,
            name=form.get("name", ""),
            id_no=form.get("id_no", ""),
            phone=form.get("phone", ""),
            ethnicity=form.get("ethnicity", ""),
            household_place=form.get("household_place", ""),
            kind=form.get("kind", ""),
            relation_to_owner=form.get("relation_to_owner", ""),
            from_on=from_on,
            tags=tags,
            actor=actor,
            cipher=cipher,
            now=now,
        )
        return resident.id

    return create_once(
        request, session, actor, form, call, pages_url=RESIDENTS_URL,
        refused=lambda errors, code: _new_page(request, session, actor, kept, errors, [], code),
        now=now, keep_hours=settings.idempotency_hours,
    )  # fmt: skip


@router.get("/register/residents/{resident_id}", include_in_schema=False)
def resident_detail(
    request: Request, resident_id: int, actor: PageActor, session: DbSession, now: Now
) -> Response:
    """A person's page: masked identity, houses, tags, visits and the forms to act on them."""
    return _detail_page(request, session, actor, resident_id, now)


@router.post("/register/residents/{resident_id}/reveal", include_in_schema=False)
def reveal(
    request: Request,
    resident_id: int,
    actor: PageActor,
    session: DbSession,
    cipher: Cipher,
    now: Now,
    form: Form,
    settings: AppSettings,
) -> Response:
    """Show the full ID number and phone once, after a reason; the reveal is audited. The
    answer is not cached (no-store) and the form's one-time token makes a reload that re-posts
    it answer 409 "已查看，请重新申请" without revealing or auditing again."""
    if not use_once(
        request, session, actor, form.get("form_token", ""),
        now=now, keep_hours=settings.idempotency_hours,
    ):  # fmt: skip
        return _detail_page(
            request, session, actor, resident_id, now,
            errors={"reason": REVEAL_USED}, opened="reveal", status_code=409,
        )  # fmt: skip
    try:
        shown = service.reveal_resident(
            session,
            resident_id=resident_id,
            reason=form.get("reason", ""),
            actor=actor,
            cipher=cipher,
            now=now,
        )
    except Invalid as exc:
        return _detail_page(
            request, session, actor, resident_id, now,
            errors={"reason": exc.message}, form=form, opened="reveal", status_code=422,
        )  # fmt: skip
    return _detail_page(request, session, actor, resident_id, now, revealed=shown)


@router.get("/register/residents/{resident_id}/edit", include_in_schema=False)
def edit_resident(
    request: Request, resident_id: int, actor: PageActor, session: DbSession
) -> Response:
    """修改居民信息: name, phone, ethnicity and household place (the ID number stays)."""
    access.require_role(actor, rules.WRITE_ROLES, "修改居民信息")
    resident = queries.resident_detail_for(session, actor, resident_id).resident
    form = {
        "name": resident.name,
        "ethnicity": resident.ethnicity,
        "household_place": resident.household_place,
    }
    return _edit_page(request, resident_id, resident.phone_masked, form, {}, 200)


def _edit_page(
    request: Request,
    resident_id: int,
    phone_masked: str,
    form: dict[str, str],
    errors: FieldErrors,
    status_code: int,
) -> Response:
    return render(
        request,
        "register/resident_edit.html",
        {"rid": resident_id, "phone_masked": phone_masked, "form": form, "errors": errors},
        status_code=status_code,
    )


@router.post("/register/residents/{resident_id}/edit", include_in_schema=False)
def save_resident(
    request: Request,
    resident_id: int,
    actor: PageActor,
    session: DbSession,
    cipher: Cipher,
    now: Now,
    form: Form,
) -> Response:
    """Save the corrections; a refusal keeps what was typed and names the field."""
    access.require_role(actor, rules.WRITE_ROLES, "修改居民信息")
    masked = queries.resident_detail_for(session, actor, resident_id).resident.phone_masked
    phone: str | None = form.get("phone", "").strip() or None
    if form.get("clear_phone") == "1":
        phone = ""
    try:
        service.update_resident(
            session,
            resident_id=resident_id,
            name=form.get("name", ""),
            phone=phone,
            ethnicity=form.get("ethnicity", ""),
            household_place=form.get("household_place", ""),
            actor=actor,
            cipher=cipher,
            now=now,
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        return _edit_page(request, resident_id, masked, form, field_errors(exc), exc.status_code)
    return _redirect(resident_id, "updated")


def _redirect(resident_id: int, done: str) -> Response:
    return done_redirect(f"{RESIDENTS_URL}/{resident_id}", done)


@router.post("/register/residents/{resident_id}/move", include_in_schema=False)
def move(
    request: Request, resident_id: int, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """迁居: end the current residence and start one in the chosen house."""
    house_id, candidates, refusal = pick_house(
        session, actor, form.get("house", ""), form.get("house_q", "")
    )
    errors: FieldErrors = {}
    if house_id is None:
        errors = {"house": refusal}
    else:
        try:
            service.move_resident(
                session,
                resident_id=resident_id,
                house_id=house_id,
                kind=form.get("kind", ""),
                relation_to_owner=form.get("relation_to_owner", ""),
                on=required_day(form.get("on", ""), "on"),
                actor=actor,
                now=now,
            )
        except (Invalid, Conflict) as exc:
            session.rollback()
            errors = field_errors(exc)
    if errors:
        return _detail_page(
            request, session, actor, resident_id, now, errors=errors, form=form,
            opened="move", candidates=candidates, status_code=422,
        )  # fmt: skip
    return _redirect(resident_id, "moved")


@router.post("/register/residents/{resident_id}/tags", include_in_schema=False)
def tag(
    request: Request, resident_id: int, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """Add (``op=add``) or remove (``op=remove``) one tag."""
    return tag_step(
        session,
        form,
        lambda name: service.tag_resident(
            session, resident_id=resident_id, tag=name, actor=actor, now=now
        ),
        lambda name: service.untag_resident(
            session, resident_id=resident_id, tag=name, actor=actor, now=now
        ),
        page_url=f"{RESIDENTS_URL}/{resident_id}",
        page=partial(_detail_page, request, session, actor, resident_id, now),
    )


@router.post("/register/residents/{resident_id}/visits", include_in_schema=False)
def visit(
    request: Request, resident_id: int, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """登记走访 from the person's page: date, kind and what was found."""
    detail = queries.resident_detail_for(session, actor, resident_id)
    current = [r for r in detail.residences if r.to_on is None]
    return visit_step(
        session,
        actor,
        now,
        form,
        place=current[0].address_text if current else "入户走访",
        resident_ids=[resident_id],
        house_ids=[current[0].house_id] if current else [],
        page_url=f"{RESIDENTS_URL}/{resident_id}",
        page=partial(_detail_page, request, session, actor, resident_id, now),
    )
