"""House pages of the register (人房 — the 房): a house's detail (address, building, residents,
tags, visits), adding a house at a standard address (the address chosen by a searchable
picker, the building by name), correcting it, tags and recording a visit. Scoped like every
register read: houses outside the actor's grids answer 404.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.deps import AppSettings, DbSession, Now
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.register import access, lookups, queries, rules, service
from civicgrid.territory import queries as territory_queries
from civicgrid.web.register.visiting import (
    Choice,
    create_once,
    detail_context,
    done_redirect,
    flash,
    new_form_context,
    page_state,
    tag_step,
    visit_step,
)
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.form_actions import Form
from civicgrid.web.shared.forms import FieldErrors, field_errors
from civicgrid.web.shared.pickers import region_groups
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

ADDRESS_SEARCH_URL = "/api/v1/register/addresses"
HOUSES_URL = "/register/houses"
NO_ADDRESS = "请输入并选择标准地址"
MANY_ADDRESSES = "找到多处地址，请从下面选择一处"
USES = [(u.value, u.label) for u in rules.HouseUse]
GENDER_LABELS = {"M": "男", "F": "女"}


def pick_address(
    session: Session, actor: Actor, chosen: str, typed: str
) -> tuple[int | None, list[Choice], str]:
    """The standard address a form names: the picker's id, or the one address the typed text
    finds; otherwise None, the candidates and the message for the address field."""
    if chosen.strip().isdigit():
        return int(chosen), [], ""
    if not typed.strip():
        return None, [], NO_ADDRESS
    try:
        found = queries.list_addresses_for(session, actor, q=typed.strip(), limit=10)
    except Invalid as exc:  # a term too short for a large scope
        return None, [], exc.message
    exact = [a for a in found if a.name == typed.strip()]
    if len(found) == 1 or len(exact) == 1:
        return (exact or list(found))[0].id, [], ""
    return None, [Choice(a.id, a.name) for a in found], MANY_ADDRESSES if found else NO_ADDRESS


def _area(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise Invalid("建筑面积请填写数字（平方米）", detail={"field": "area_m2"}) from exc


def _detail_page(
    request: Request,
    session: Session,
    actor: Actor,
    house_id: int,
    now: datetime,
    *,
    errors: FieldErrors | None = None,
    form: dict[str, str] | None = None,
    opened: str = "",
    status_code: int = 200,
) -> Response:
    detail = lookups.house_detail_for(session, actor, house_id)
    grid_id = detail.house.grid_id
    grid = territory_queries.regions_by_ids(session, [grid_id]).get(grid_id)
    ctx: dict[str, Any] = detail_context(
        session,
        actor,
        now,
        target=rules.TagTarget.HOUSE,
        tags=detail.tags,
        visits=lookups.visits_of(session, actor, house_id=house_id),
        visit_action=f"{HOUSES_URL}/{house_id}/visits",
    )
    ctx |= {
        "d": detail,
        "h": detail.house,
        "grid_name": grid.name if grid else "",
        "use_labels": {u.value: u.label for u in rules.HouseUse},
        "kind_labels": {k.value: k.label for k in rules.ResidenceKind},
        "genders": GENDER_LABELS,
    }
    ctx |= page_state(request, errors, form, opened)
    return render(request, "register/house.html", ctx, status_code=status_code)


@router.get("/register/houses/new", include_in_schema=False)
def new_house(
    request: Request,
    actor: PageActor,
    session: DbSession,
    address: Annotated[int | None, Query()] = None,
) -> Response:
    """新增房屋: address by searchable picker (already chosen when coming back from adding the
    address), building by name, unit and room."""
    access.require_role(actor, rules.WRITE_ROLES, "新增房屋")
    form = {"use": "residential"}
    if address is not None:
        name = lookups.address_name_for(session, actor, address)
        form.update(address=str(address), address_q=name)
    return _new_page(request, session, actor, form, {}, [], 200)


def _new_page(
    request: Request,
    session: Session,
    actor: Actor,
    form: dict[str, str],
    errors: FieldErrors,
    candidates: list[Choice],
    status_code: int,
    *,
    address_form: bool = False,
) -> Response:
    return render(
        request,
        "register/house_form.html",
        new_form_context(form, errors, candidates)
        | {
            "uses": USES,
            "address_search_url": ADDRESS_SEARCH_URL,
            "house_id": None,
            "grid_groups": region_groups(session, actor, ("grid",)),
            "address_form": address_form,
            "flashes": flash(request),
        },
        status_code=status_code,
    )


@router.post("/register/addresses/new", include_in_schema=False)
def create_address(
    request: Request, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """新增标准地址 from the house form, then back to it with the address chosen."""
    if not form.get("grid_code", "").strip():
        return _new_page(
            request, session, actor, form, {"grid_code": "请选择所在网格"}, [], 422,
            address_form=True,
        )  # fmt: skip
    try:
        address = service.create_address(
            session,
            grid_code=form.get("grid_code", ""),
            name=form.get("address_name", ""),
            actor=actor,
            now=now,
        )
    except (Invalid, Conflict, NotFound) as exc:
        session.rollback()
        field = "grid_code" if isinstance(exc, NotFound) else "address_name"
        return _new_page(
            request, session, actor, form, {field: exc.message}, [], exc.status_code,
            address_form=True,
        )  # fmt: skip
    return RedirectResponse(f"/register/houses/new?address={address.id}&done=address", 303)


@router.post("/register/houses/new", include_in_schema=False)
def create_house(
    request: Request,
    actor: PageActor,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    form: Form,
) -> Response:
    """Add the house; a repeated post of the same form shows the first result."""
    address_id, candidates, refusal = pick_address(
        session, actor, form.get("address", ""), form.get("address_q", "")
    )
    if address_id is None:
        return _new_page(request, session, actor, form, {"address": refusal}, candidates, 422)

    def call() -> int:
        house = service.register_house(
            session,
            address_id=address_id,
            building=form.get("building", ""),
            unit=form.get("unit", ""),
            room=form.get("room", ""),
            area_m2=_area(form.get("area_m2", "")),
            use=form.get("use", "residential"),
            is_vacant=form.get("is_vacant") == "1",
            actor=actor,
            now=now,
        )
        return house.id

    return create_once(
        request, session, actor, form, call, pages_url=HOUSES_URL,
        refused=lambda errors, code: _new_page(request, session, actor, form, errors, [], code),
        now=now, keep_hours=settings.idempotency_hours,
    )  # fmt: skip


@router.get("/register/houses/{house_id}", include_in_schema=False)
def house_detail(
    request: Request, house_id: int, actor: PageActor, session: DbSession, now: Now
) -> Response:
    """A house's page: address, building, residents, tags, visits."""
    return _detail_page(request, session, actor, house_id, now)


def _edit_page(
    request: Request, house_id: int, label: str, form: dict[str, str], errors: FieldErrors,
    status_code: int,
) -> Response:  # fmt: skip
    return render(
        request,
        "register/house_form.html",
        {"form": form, "errors": errors, "uses": USES, "house_id": house_id, "label": label},
        status_code=status_code,
    )


@router.get("/register/houses/{house_id}/edit", include_in_schema=False)
def edit_house(request: Request, house_id: int, actor: PageActor, session: DbSession) -> Response:
    """修改房屋信息: unit, room, floor area, use and vacancy."""
    access.require_role(actor, rules.WRITE_ROLES, "修改房屋信息")
    detail = lookups.house_detail_for(session, actor, house_id)
    h = detail.house
    form = {
        "unit": h.unit,
        "room": h.room,
        "area_m2": "" if h.area_m2 is None else f"{h.area_m2:g}",
        "use": h.use,
        "is_vacant": "1" if h.is_vacant else "",
    }
    return _edit_page(request, house_id, detail.address_text, form, {}, 200)


@router.post("/register/houses/{house_id}/edit", include_in_schema=False)
def save_house(
    request: Request, house_id: int, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """Save the corrections; a refusal keeps what was typed and names the field."""
    label = lookups.house_label_for(session, actor, house_id).label
    try:
        service.update_house(
            session,
            house_id=house_id,
            unit=form.get("unit", ""),
            room=form.get("room", ""),
            area_m2=_area(form.get("area_m2", "")),
            use=form.get("use", ""),
            is_vacant=form.get("is_vacant") == "1",
            actor=actor,
            now=now,
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        return _edit_page(request, house_id, label, form, field_errors(exc), exc.status_code)
    return done_redirect(f"{HOUSES_URL}/{house_id}", "updated")


@router.post("/register/houses/{house_id}/tags", include_in_schema=False)
def tag(
    request: Request, house_id: int, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """Add (``op=add``) or remove (``op=remove``) one tag."""
    return tag_step(
        session,
        form,
        lambda name: service.tag_house(session, house_id=house_id, tag=name, actor=actor, now=now),
        lambda name: service.untag_house(
            session, house_id=house_id, tag=name, actor=actor, now=now
        ),
        page_url=f"{HOUSES_URL}/{house_id}",
        page=partial(_detail_page, request, session, actor, house_id, now),
    )


@router.post("/register/houses/{house_id}/visits", include_in_schema=False)
def visit(
    request: Request, house_id: int, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """登记走访 from the house's page (the visit concerns the house)."""
    return visit_step(
        session,
        actor,
        now,
        form,
        place=lookups.house_label_for(session, actor, house_id).label,
        house_ids=[house_id],
        page_url=f"{HOUSES_URL}/{house_id}",
        page=partial(_detail_page, request, session, actor, house_id, now),
    )
