"""Volunteer service pages: a resident's orders and the order form (点单), joining as a
volunteer, one order with its steps (派单/接单/服务/确认/评价), the staff ledger (teams,
双报到, volunteers, activity records, account links) and the printable certificate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.deps import DbSession, Now
from civicgrid.errors import Invalid
from civicgrid.participation import access
from civicgrid.participation.consultations import service as cs
from civicgrid.participation.volunteers import queries as vq
from civicgrid.participation.volunteers import rules as vr
from civicgrid.participation.volunteers import service as vs
from civicgrid.participation.volunteers.models import ServiceOrder
from civicgrid.web.participation.common import (
    community_choices,
    int_field,
    opt_int_field,
    opt_minutes_field,
    when_field,
)
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.form_actions import Form, FormCall, Step, perform, perform_step
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

# --- orders -------------------------------------------------------------------------------------


def _order_rows(session: Session, orders: Iterable[ServiceOrder]) -> list[dict[str, Any]]:
    orders = list(orders)
    teams = vq.team_names(session, [o.team_id for o in orders])
    vols = vq.volunteer_names(session, [o.volunteer_id for o in orders])
    return [
        {
            "o": o,
            "status": vr.OrderStatus(o.status),
            "team": teams.get(o.team_id, "") if o.team_id else "",
            "volunteer": vols.get(o.volunteer_id, "") if o.volunteer_id else "",
        }
        for o in orders
    ]


def _orders_page(
    request: Request,
    actor: Actor,
    session: Session,
    now: datetime,
    errors: list[str],
    form: dict[str, str],
    status_code: int = 200,
) -> Response:
    staff = access.is_staff(actor)
    volunteer = vq.volunteer_for_user(session, actor.user_id)
    context: dict[str, Any] = {
        "is_staff": staff,
        "volunteer": volunteer,
        "done": request.query_params.get("done", ""),
        "errors": errors,
        "form": form,
        "communities": community_choices(session, actor, now),
        "linked": access.linked_resident_id(session, actor.user_id) is not None,
        "staff_rows": _order_rows(session, vq.list_orders_for(session, actor)) if staff else [],
        "my_rows": [] if staff else _order_rows(session, vq.my_orders(session, actor)),
        "volunteer_rows": (
            _order_rows(session, vq.volunteer_orders(session, volunteer)) if volunteer else []
        ),
        "volunteer_hours": (
            vr.hours_text(vq.confirmed_minutes(session, [volunteer.id]).get(volunteer.id, 0))
            if volunteer
            else ""
        ),
        "certificates": vq.certificates_of(session, volunteer.id) if volunteer else [],
    }
    return render(request, "participation/orders.html", context, status_code=status_code)


@router.get("/participation/orders", include_in_schema=False)
def orders_page(request: Request, actor: PageActor, session: DbSession, now: Now) -> Response:
    """A resident's orders and the order form; a volunteer's orders to take; staff's orders."""
    return _orders_page(request, actor, session, now, [], {})


def _place_order(c: FormCall) -> int:
    wanted = when_field(c.form, "wanted_at", "期望时间") if c.text("wanted_at") else None
    order = vs.place_order(
        c.session,
        data=vs.NewOrder(
            region_code=c.text("region_code"),
            title=c.text("title"),
            description=c.text("description"),
            skill=c.text("skill"),
            wanted_at=wanted,
            resident_id=opt_int_field(c.form, "resident_id"),
        ),
        **c.by,
    )
    return order.id


@router.post("/participation/orders", include_in_schema=False)
def order_submit(
    request: Request, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """点单 from the resident's phone."""
    return perform(
        lambda: _place_order(FormCall(session, actor, now, form)),
        redirect=lambda oid: f"/participation/orders/{oid}?done=place",
        refused=lambda errors, code: _orders_page(request, actor, session, now, errors, form, code),
    )


def _new_volunteer(c: FormCall) -> vs.NewVolunteer:
    """The fields of the resident's join form, which the staff's volunteer form also has."""
    return vs.NewVolunteer(
        region_code=c.text("region_code"),
        name=c.text("name"),
        phone=c.text("phone"),
        skills=(c.text("skills"),),
        availability=c.text("availability"),
        is_party_member=c.text("is_party_member") == "true",
    )


def _join(c: FormCall) -> object:
    return vs.register_volunteer(c.session, data=_new_volunteer(c), **c.by)


@router.post("/participation/join", include_in_schema=False)
def join_submit(
    request: Request, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """A resident registers as a volunteer of the community they live in."""
    return perform(
        lambda: _join(FormCall(session, actor, now, form)),
        redirect="/participation/orders?done=join",
        refused=lambda errors, code: _orders_page(request, actor, session, now, errors, form, code),
    )


def _order_page(
    request: Request,
    actor: Actor,
    session: Session,
    order_id: int,
    errors: list[str],
    status_code: int = 200,
) -> Response:
    order = vq.get_order_for(session, actor, order_id)
    row = _order_rows(session, [order])[0]
    record = vq.record_of_order(session, order.id)
    own = vq.volunteer_for_user(session, actor.user_id)
    linked = access.linked_resident_id(session, actor.user_id)
    is_requester = order.requester_user_id == actor.user_id or (
        linked is not None and linked == order.resident_id
    )
    manage = actor.has_role(*access.MANAGE_ROLES) and actor.scope.covers_path(order.region_path)
    return render(
        request,
        "participation/order.html",
        {
            "row": row,
            "o": order,
            "record": record,
            "hours": vr.hours_text(record.minutes) if record else "",
            "teams": vq.teams_in_path(session, order.region_path) if manage else [],
            "manage": manage,
            "is_requester": is_requester,
            "is_taker": own is not None and own.id == order.volunteer_id,
            "can_take": own is not None and order.status == "assigned",
            "errors": errors,
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get("/participation/orders/{order_id}", include_in_schema=False)
def order_page(order_id: int, request: Request, actor: PageActor, session: DbSession) -> Response:
    return _order_page(request, actor, session, order_id, [])


def _assign(c: FormCall) -> object:
    return vs.assign_order(
        c.session, order_id=c.target, team_id=int_field(c.form, "team_id", "服务队"), **c.by
    )


def _take(c: FormCall) -> object:
    return vs.take_order(
        c.session, order_id=c.target, volunteer_id=opt_int_field(c.form, "volunteer_id"), **c.by
    )


def _record(c: FormCall) -> object:
    return vs.record_service(
        c.session,
        order_id=c.target,
        started_at=when_field(c.form, "started_at", "开始时间"),
        ended_at=when_field(c.form, "ended_at", "结束时间"),
        travel_minutes=opt_minutes_field(c.form, "travel_minutes", "路途时间"),
        content=c.text("content"),
        place=c.text("place"),
        **c.by,
    )


def _confirm(c: FormCall) -> object:
    return vs.confirm_service(c.session, order_id=c.target, **c.by)


def _rate(c: FormCall) -> object:
    return vs.rate_order(
        c.session,
        order_id=c.target,
        rating=int_field(c.form, "rating", "评价星级"),
        comment=c.text("comment"),
        **c.by,
    )


def _cancel_order(c: FormCall) -> object:
    return vs.cancel_order(c.session, order_id=c.target, reason=c.text("reason"), **c.by)


ORDER_STEPS: dict[str, Step] = {
    "assign": _assign,
    "take": _take,
    "record": _record,
    "confirm": _confirm,
    "rate": _rate,
    "cancel": _cancel_order,
}


@router.post("/participation/orders/{order_id}/{action}", include_in_schema=False)
def order_action(
    order_id: int,
    action: str,
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    form: Form,
) -> Response:
    return perform_step(
        request,
        ORDER_STEPS,
        action,
        FormCall(session, actor, now, form, order_id),
        redirect=f"/participation/orders/{order_id}?done={action}",
        refused=lambda errors, code: _order_page(request, actor, session, order_id, errors, code),
    )


# --- volunteers, 双报到 and certificates -------------------------------------------------------


def _volunteers_page(
    request: Request, actor: Actor, session: Session, errors: list[str], status_code: int = 200
) -> Response:
    access.require_roles(actor, access.STAFF_READ_ROLES, "查看志愿服务台账")
    volunteers = vq.list_volunteers_for(session, actor, limit=200)
    minutes = vq.confirmed_minutes(session, [v.id for v in volunteers])
    teams = vq.team_names(session, [v.team_id for v in volunteers])
    orgs = vq.party_org_names(session, [v.party_org_id for v in volunteers])
    return render(
        request,
        "participation/volunteers.html",
        {
            "rows": [
                {
                    "v": v,
                    "hours": vr.hours_text(minutes.get(v.id, 0)),
                    "team": teams.get(v.team_id, "") if v.team_id else "",
                    "org": orgs.get(v.party_org_id, "") if v.party_org_id else "",
                }
                for v in volunteers
            ],
            "teams": vq.list_teams_for(session, actor),
            "party_orgs": [
                {"s": s, "hours": vr.hours_text(s.minutes)}
                for s in vq.party_org_summaries(session, actor)
            ],
            "can_manage": actor.has_role(*access.MANAGE_ROLES),
            "errors": errors,
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get("/participation/volunteers", include_in_schema=False)
def volunteers_page(request: Request, actor: PageActor, session: DbSession) -> Response:
    """Staff ledger: volunteers with confirmed hours, teams, 双报到 organisations."""
    return _volunteers_page(request, actor, session, [])


def _team(c: FormCall) -> object:
    return vs.create_team(
        c.session,
        region_code=c.text("region_code"),
        name=c.text("name"),
        colour=c.text("colour"),
        service_area=c.text("service_area"),
        **c.by,
    )


def _party_org(c: FormCall) -> object:
    return vs.register_party_org(
        c.session,
        region_code=c.text("region_code"),
        name=c.text("name"),
        contact=c.text("contact"),
        **c.by,
    )


def _volunteer(c: FormCall) -> object:
    data = replace(
        _new_volunteer(c),
        team_id=opt_int_field(c.form, "team_id"),
        party_org_id=opt_int_field(c.form, "party_org_id"),
        resident_id=opt_int_field(c.form, "resident_id"),
    )
    return vs.register_volunteer(c.session, data=data, **c.by)


def _activity(c: FormCall) -> object:
    return vs.record_activity(
        c.session,
        volunteer_id=int_field(c.form, "volunteer_id", "志愿者"),
        activity=c.text("activity"),
        started_at=when_field(c.form, "started_at", "开始时间"),
        ended_at=when_field(c.form, "ended_at", "结束时间"),
        travel_minutes=opt_minutes_field(c.form, "travel_minutes", "路途时间"),
        place=c.text("place"),
        **c.by,
    )


def _link(c: FormCall) -> object:
    user_id = auth_service.find_user_id(c.session, c.text("username"))
    if user_id is None:
        raise Invalid("没有这个账号，请核对用户名")
    return cs.link_resident_account(
        c.session,
        user_id=user_id,
        resident_id=int_field(c.form, "resident_id", "居民编号"),
        **c.by,
    )


LEDGER_STEPS: dict[str, Step] = {
    "team": _team,
    "party_org": _party_org,
    "volunteer": _volunteer,
    "activity": _activity,
    "link": _link,
}


@router.post("/participation/volunteers/{action}", include_in_schema=False)
def ledger_action(
    action: str, request: Request, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """Staff forms of the ledger: teams, 双报到, volunteers, activity records, account links."""
    return perform_step(
        request,
        LEDGER_STEPS,
        action,
        FormCall(session, actor, now, form),
        redirect=f"/participation/volunteers?done={action}",
        refused=lambda errors, code: _volunteers_page(request, actor, session, errors, code),
    )


def _certificate(c: FormCall) -> int:
    cert = vs.issue_certificate(
        c.session,
        volunteer_id=c.target,
        signer=c.text("signer"),
        handler=c.text("handler"),
        contact=c.text("contact"),
        **c.by,
    )
    return cert.id


@router.post("/participation/volunteers/{volunteer_id}/certificate", include_in_schema=False)
def certificate_submit(
    volunteer_id: int,
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    form: Form,
) -> Response:
    return perform(
        lambda: _certificate(FormCall(session, actor, now, form, volunteer_id)),
        redirect=lambda cert_id: f"/participation/certificates/{cert_id}",
        refused=lambda errors, code: _volunteers_page(request, actor, session, errors, code),
    )


@router.get("/participation/certificates/{certificate_id}", include_in_schema=False)
def certificate_page(
    certificate_id: int, request: Request, actor: PageActor, session: DbSession
) -> Response:
    """The printable service certificate (志愿服务证明)."""
    cert = vq.get_certificate_for(session, actor, certificate_id)
    volunteer = vq.get_volunteer_for(session, actor, cert.volunteer_id)
    return render(
        request,
        "participation/certificate.html",
        {"cert": cert, "v": volunteer, "hours": vr.hours_text(cert.minutes_total)},
    )
