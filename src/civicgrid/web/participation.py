"""Participation pages: consultations with votes and evaluations, volunteer orders
(点单/派单/接单/服务/确认/评价), the volunteer ledger with certificates (and the printable
certificate), and service projects.

Residents (phones) see the consultations of where they live, a vote form, an order form and
their own orders; staff manage consultations, assign orders, record and confirm service, and
issue certificates. Every form posts to ``.../{action}`` with the CSRF token; a refused action
re-renders the page with the message (422 for invalid input, 409 for a wrong step).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.clock import BEIJING
from civicgrid.deps import DbSession, Now
from civicgrid.errors import Conflict, Invalid
from civicgrid.participation import access
from civicgrid.participation.consultations import queries as cq
from civicgrid.participation.consultations import service as cs
from civicgrid.participation.consultations import states as cst
from civicgrid.participation.projects import queries as pq
from civicgrid.participation.projects import rules as prr
from civicgrid.participation.projects import service as ps
from civicgrid.participation.volunteers import queries as vq
from civicgrid.participation.volunteers import rules as vr
from civicgrid.participation.volunteers import service as vs
from civicgrid.web.context import PageActor
from civicgrid.web.render import error_page, render

router = APIRouter(tags=["pages"])


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form as plain strings (the CSRF check already parsed and cached it)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


Form = Annotated[dict[str, str], Depends(form_fields)]


def _int(form: dict[str, str], key: str, label: str) -> int:
    try:
        return int(form.get(key, "").strip())
    except ValueError as exc:
        raise Invalid(f"请填写{label}（整数）") from exc


def _opt_int(form: dict[str, str], key: str) -> int | None:
    value = form.get(key, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise Invalid(f"“{value}”不是有效的编号") from exc


def _when(form: dict[str, str], key: str, label: str) -> datetime:
    """A ``datetime-local`` field, read as Beijing time."""
    value = form.get(key, "").strip()
    try:
        return datetime.fromisoformat(value).replace(tzinfo=BEIJING)
    except ValueError as exc:
        raise Invalid(f"请填写{label}（日期和时间）") from exc


def _opt_date(form: dict[str, str], key: str) -> date | None:
    value = form.get(key, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(f"日期“{value}”格式错误") from exc


def _attempt(call: Callable[[], object]) -> tuple[list[str], int]:
    """Run a use case; an Invalid or Conflict becomes a message and a status for the
    re-render (Forbidden and NotFound go to the error page)."""
    try:
        call()
    except (Invalid, Conflict) as exc:
        return [exc.message], exc.status_code
    return [], 200


# --- consultations ------------------------------------------------------------------------------


def _consultation_rows(session: Session, actor: Actor, now: datetime) -> list[dict[str, Any]]:
    rows, _ = cq.list_for(session, actor, today=now.date(), limit=100)
    names = access.region_names(session, [c.region_id for c in rows])
    return [
        {
            "c": c,
            "region": names.get(c.region_id, ""),
            "status": cst.ConsultationStatus(c.status),
        }
        for c in rows
    ]


@router.get("/participation/consultations", include_in_schema=False)
def consultations_page(
    request: Request, actor: PageActor, session: DbSession, now: Now
) -> Response:
    """Consultations the actor may see; staff get the proposal form."""
    return _consultations_page(request, actor, session, now, [], {}, 200)


def _community_choices(session: Session, actor: Actor, now: datetime) -> list[tuple[str, str]]:
    if access.is_staff(actor):
        return []
    resident_id = access.linked_resident_id(session, actor.user_id)
    if resident_id is None:
        return []
    return [(r.code, r.name) for r in access.home_communities(session, resident_id, now.date())]


def _consultations_page(
    request: Request,
    actor: Actor,
    session: Session,
    now: datetime,
    errors: list[str],
    form: dict[str, str],
    status_code: int,
) -> Response:
    return render(
        request,
        "participation/consultations.html",
        {
            "rows": _consultation_rows(session, actor, now),
            "is_staff": access.is_staff(actor),
            "can_manage": actor.has_role(*access.MANAGE_ROLES),
            "communities": _community_choices(session, actor, now),
            "levels": [(lv.value, lv.label) for lv in cst.ConsultationLevel],
            "sources": [
                (s.value, s.label)
                for s in cst.ConsultationSource
                if s is not cst.ConsultationSource.RESIDENT
            ],
            "errors": errors,
            "form": form,
        },
        status_code=status_code,
    )


@router.post("/participation/consultations", include_in_schema=False)
def propose_submit(
    request: Request, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    source = (
        cst.ConsultationSource(form.get("source") or "staff")
        if access.is_staff(actor)
        else cst.ConsultationSource.RESIDENT
    )
    created: list[int] = []

    def call() -> None:
        try:
            level = cst.ConsultationLevel(form.get("level") or "community")
        except ValueError as exc:
            raise Invalid("请选择协商层级") from exc
        c = cs.propose(
            session,
            data=cs.NewConsultation(
                title=form.get("title", ""),
                topic=form.get("topic", ""),
                region_code=form.get("region_code", ""),
                level=level,
                source=source,
                source_ref=form.get("source_ref", ""),
                options=tuple(form.get("options", "").splitlines()),
            ),
            actor=actor,
            now=now,
        )
        created.append(c.id)

    errors, status_code = _attempt(call)
    if errors:
        return _consultations_page(request, actor, session, now, errors, form, status_code)
    return RedirectResponse(f"/participation/consultations/{created[0]}", status_code=303)


def _consultation_page(
    request: Request,
    actor: Actor,
    session: Session,
    now: datetime,
    consultation_id: int,
    errors: list[str],
    status_code: int = 200,
) -> Response:
    consultation = cq.get_for(session, actor, consultation_id, now.date())
    resident_id = access.linked_resident_id(session, actor.user_id)
    detail = cq.detail(session, consultation, resident_id=resident_id)
    status = detail.status
    can_manage = actor.has_role(*access.MANAGE_ROLES) and actor.scope.covers_path(
        consultation.region_path
    )
    return render(
        request,
        "participation/consultation.html",
        {
            "d": detail,
            "c": consultation,
            "status": status,
            "source": cst.ConsultationSource(consultation.source),
            "level": cst.ConsultationLevel(consultation.level),
            "can_manage": can_manage,
            "actions": [a.value for a in cst.allowed_actions(status)],
            "categories": [(c.value, c.label) for c in cst.ParticipantCategory],
            "category_labels": {c.value: c.label for c in cst.ParticipantCategory},
            "can_vote": resident_id is not None
            and status in cst.VOTING
            and detail.my_option_id is None
            and bool(detail.options),
            "can_evaluate": resident_id is not None
            and status in cst.EVALUATING
            and detail.my_score is None,
            "options_editable": status in cst.EDITABLE_OPTIONS,
            "participants_editable": status in cst.EDITABLE_PARTICIPANTS,
            "tasks_open": status in cst.TASKS_OPEN,
            "errors": errors,
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get("/participation/consultations/{consultation_id}", include_in_schema=False)
def consultation_page(
    consultation_id: int, request: Request, actor: PageActor, session: DbSession, now: Now
) -> Response:
    return _consultation_page(request, actor, session, now, consultation_id, [])


CONSULTATION_ACTIONS = frozenset(
    {
        "participant",
        "option",
        "notice",
        "meeting",
        "vote",
        "resolve",
        "task",
        "task_done",
        "implement",
        "feedback",
        "evaluate",
        "close",
        "cancel",
    }
)


def _consultation_call(
    action: str, cid: int, form: dict[str, str], session: Session, actor: Actor, now: datetime
) -> None:
    if action == "participant":
        try:
            category = cst.ParticipantCategory(form.get("category", ""))
        except ValueError as exc:
            raise Invalid("请选择参与人类别") from exc
        cs.add_participant(
            session,
            consultation_id=cid,
            category=category,
            name=form.get("name", ""),
            organisation=form.get("organisation", ""),
            actor=actor,
            now=now,
        )
    elif action == "option":
        cs.add_option(
            session, consultation_id=cid, label=form.get("label", ""), actor=actor, now=now
        )
    elif action == "notice":
        cs.publish_notice(
            session,
            consultation_id=cid,
            notice_text=form.get("notice_text", ""),
            materials=form.get("materials", ""),
            actor=actor,
            now=now,
        )
    elif action == "meeting":
        cs.record_meeting(
            session,
            consultation_id=cid,
            held_at=_when(form, "held_at", "会议时间"),
            place=form.get("place", ""),
            attendee_count=_int(form, "attendee_count", "参会人数"),
            minutes=form.get("minutes", ""),
            actor=actor,
            now=now,
        )
    elif action == "vote":
        cs.cast_vote(
            session,
            consultation_id=cid,
            option_id=_int(form, "option_id", "方案"),
            resident_id=_opt_int(form, "resident_id"),
            actor=actor,
            now=now,
        )
    elif action == "resolve":
        cs.resolve(
            session,
            consultation_id=cid,
            resolution=form.get("resolution", ""),
            actor=actor,
            now=now,
        )
    elif action == "task":
        cs.add_task(
            session,
            consultation_id=cid,
            title=form.get("title", ""),
            assignee=form.get("assignee", ""),
            due_on=_opt_date(form, "due_on"),
            actor=actor,
            now=now,
        )
    elif action == "task_done":
        cs.complete_task(
            session,
            task_id=_int(form, "task_id", "任务"),
            result=form.get("result", ""),
            actor=actor,
            now=now,
        )
    elif action == "implement":
        cs.start_implementation(session, consultation_id=cid, actor=actor, now=now)
    elif action == "feedback":
        cs.publish_feedback(
            session, consultation_id=cid, feedback=form.get("feedback", ""), actor=actor, now=now
        )
    elif action == "evaluate":
        cs.evaluate(
            session,
            consultation_id=cid,
            score=_int(form, "score", "评分"),
            comment=form.get("comment", ""),
            actor=actor,
            now=now,
        )
    elif action == "close":
        cs.close_evaluation(session, consultation_id=cid, actor=actor, now=now)
    else:
        cs.cancel(session, consultation_id=cid, reason=form.get("reason", ""), actor=actor, now=now)


@router.post("/participation/consultations/{consultation_id}/{action}", include_in_schema=False)
def consultation_action(
    consultation_id: int,
    action: str,
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    form: Form,
) -> Response:
    """One step on a consultation; PRG on success, a 422/409 re-render on refusal."""
    if action not in CONSULTATION_ACTIONS:
        return error_page(request, 404, "没有这个操作")
    errors, status_code = _attempt(
        lambda: _consultation_call(action, consultation_id, form, session, actor, now)
    )
    if errors:
        return _consultation_page(
            request, actor, session, now, consultation_id, errors, status_code
        )
    return RedirectResponse(
        f"/participation/consultations/{consultation_id}?done={action}", status_code=303
    )


# --- orders -------------------------------------------------------------------------------------


def _order_rows(session: Session, orders: Any) -> list[dict[str, Any]]:
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
        "communities": _community_choices(session, actor, now),
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


@router.post("/participation/orders", include_in_schema=False)
def order_submit(
    request: Request, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """点单 from the resident's phone."""
    created: list[int] = []

    def call() -> None:
        wanted = _when(form, "wanted_at", "期望时间") if form.get("wanted_at") else None
        order = vs.place_order(
            session,
            data=vs.NewOrder(
                region_code=form.get("region_code", ""),
                title=form.get("title", ""),
                description=form.get("description", ""),
                skill=form.get("skill", ""),
                wanted_at=wanted,
                resident_id=_opt_int(form, "resident_id"),
            ),
            actor=actor,
            now=now,
        )
        created.append(order.id)

    errors, status_code = _attempt(call)
    if errors:
        return _orders_page(request, actor, session, now, errors, form, status_code)
    return RedirectResponse(f"/participation/orders/{created[0]}?done=place", status_code=303)


@router.post("/participation/join", include_in_schema=False)
def join_submit(
    request: Request, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """A resident registers as a volunteer of the community they live in."""
    errors, status_code = _attempt(
        lambda: vs.register_volunteer(
            session,
            data=vs.NewVolunteer(
                region_code=form.get("region_code", ""),
                name=form.get("name", ""),
                phone=form.get("phone", ""),
                skills=(form.get("skills", ""),),
                availability=form.get("availability", ""),
                is_party_member=form.get("is_party_member") == "true",
            ),
            actor=actor,
            now=now,
        )
    )
    if errors:
        return _orders_page(request, actor, session, now, errors, form, status_code)
    return RedirectResponse("/participation/orders?done=join", status_code=303)


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


def _order_call(
    action: str, oid: int, form: dict[str, str], session: Session, actor: Actor, now: datetime
) -> None:
    if action == "assign":
        vs.assign_order(
            session, order_id=oid, team_id=_int(form, "team_id", "服务队"), actor=actor, now=now
        )
    elif action == "take":
        vs.take_order(
            session,
            order_id=oid,
            volunteer_id=_opt_int(form, "volunteer_id"),
            actor=actor,
            now=now,
        )
    elif action == "record":
        vs.record_service(
            session,
            order_id=oid,
            started_at=_when(form, "started_at", "开始时间"),
            ended_at=_when(form, "ended_at", "结束时间"),
            travel_minutes=_int(form, "travel_minutes", "路途时间")
            if form.get("travel_minutes")
            else 0,
            content=form.get("content", ""),
            place=form.get("place", ""),
            actor=actor,
            now=now,
        )
    elif action == "confirm":
        vs.confirm_service(session, order_id=oid, actor=actor, now=now)
    elif action == "rate":
        vs.rate_order(
            session,
            order_id=oid,
            rating=_int(form, "rating", "评价星级"),
            comment=form.get("comment", ""),
            actor=actor,
            now=now,
        )
    else:
        vs.cancel_order(session, order_id=oid, reason=form.get("reason", ""), actor=actor, now=now)


ORDER_ACTIONS = frozenset({"assign", "take", "record", "confirm", "rate", "cancel"})


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
    if action not in ORDER_ACTIONS:
        return error_page(request, 404, "没有这个操作")
    errors, status_code = _attempt(lambda: _order_call(action, order_id, form, session, actor, now))
    if errors:
        return _order_page(request, actor, session, order_id, errors, status_code)
    return RedirectResponse(f"/participation/orders/{order_id}?done={action}", status_code=303)


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


def _ledger_call(
    action: str, form: dict[str, str], session: Session, actor: Actor, now: datetime
) -> None:
    region_code = form.get("region_code", "")
    if action == "team":
        vs.create_team(
            session,
            region_code=region_code,
            name=form.get("name", ""),
            colour=form.get("colour", ""),
            service_area=form.get("service_area", ""),
            actor=actor,
            now=now,
        )
    elif action == "party_org":
        vs.register_party_org(
            session,
            region_code=region_code,
            name=form.get("name", ""),
            contact=form.get("contact", ""),
            actor=actor,
            now=now,
        )
    elif action == "volunteer":
        vs.register_volunteer(
            session,
            data=vs.NewVolunteer(
                region_code=region_code,
                name=form.get("name", ""),
                phone=form.get("phone", ""),
                skills=(form.get("skills", ""),),
                availability=form.get("availability", ""),
                team_id=_opt_int(form, "team_id"),
                is_party_member=form.get("is_party_member") == "true",
                party_org_id=_opt_int(form, "party_org_id"),
                resident_id=_opt_int(form, "resident_id"),
            ),
            actor=actor,
            now=now,
        )
    elif action == "activity":
        vs.record_activity(
            session,
            volunteer_id=_int(form, "volunteer_id", "志愿者"),
            activity=form.get("activity", ""),
            started_at=_when(form, "started_at", "开始时间"),
            ended_at=_when(form, "ended_at", "结束时间"),
            travel_minutes=_int(form, "travel_minutes", "路途时间")
            if form.get("travel_minutes")
            else 0,
            place=form.get("place", ""),
            actor=actor,
            now=now,
        )
    else:
        user_id = auth_service.find_user_id(session, form.get("username", ""))
        if user_id is None:
            raise Invalid("没有这个账号，请核对用户名")
        cs.link_resident_account(
            session,
            user_id=user_id,
            resident_id=_int(form, "resident_id", "居民编号"),
            actor=actor,
            now=now,
        )


LEDGER_ACTIONS = frozenset({"team", "party_org", "volunteer", "activity", "link"})


@router.post("/participation/volunteers/{action}", include_in_schema=False)
def ledger_action(
    action: str, request: Request, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """Staff forms of the ledger: teams, 双报到, volunteers, activity records, account links."""
    if action not in LEDGER_ACTIONS:
        return error_page(request, 404, "没有这个操作")
    errors, status_code = _attempt(lambda: _ledger_call(action, form, session, actor, now))
    if errors:
        return _volunteers_page(request, actor, session, errors, status_code)
    return RedirectResponse(f"/participation/volunteers?done={action}", status_code=303)


@router.post("/participation/volunteers/{volunteer_id}/certificate", include_in_schema=False)
def certificate_submit(
    volunteer_id: int,
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    form: Form,
) -> Response:
    issued: list[int] = []

    def call() -> None:
        cert = vs.issue_certificate(
            session,
            volunteer_id=volunteer_id,
            signer=form.get("signer", ""),
            handler=form.get("handler", ""),
            contact=form.get("contact", ""),
            actor=actor,
            now=now,
        )
        issued.append(cert.id)

    errors, status_code = _attempt(call)
    if errors:
        return _volunteers_page(request, actor, session, errors, status_code)
    return RedirectResponse(f"/participation/certificates/{issued[0]}", status_code=303)


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


# --- projects -----------------------------------------------------------------------------------


def _projects_page(
    request: Request,
    actor: Actor,
    session: Session,
    errors: list[str],
    form: dict[str, str],
    status_code: int = 200,
) -> Response:
    access.require_roles(actor, access.STAFF_READ_ROLES, "查看服务项目")
    rows = pq.list_for(session, actor, limit=200)
    names = access.region_names(session, [p.region_id for p in rows])
    return render(
        request,
        "participation/projects.html",
        {
            "rows": [
                {
                    "p": p,
                    "status": prr.ProjectStatus(p.status),
                    "region": names.get(p.region_id, ""),
                    "budget": prr.yuan(p.budget_fen),
                    "spent": prr.yuan(p.spent_fen),
                }
                for p in rows
            ],
            "can_manage": actor.has_role(*access.MANAGE_ROLES),
            "party_orgs": vq.list_party_orgs_for(session, actor),
            "errors": errors,
            "form": form,
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get("/participation/projects", include_in_schema=False)
def projects_page(request: Request, actor: PageActor, session: DbSession) -> Response:
    """Service projects of the scope with budget and spending, and the application form."""
    return _projects_page(request, actor, session, [], {})


@router.post("/participation/projects", include_in_schema=False)
def project_submit(
    request: Request, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """Apply for a project (申报); refused input re-renders the page with the message."""
    errors, status_code = _attempt(
        lambda: ps.apply(
            session,
            region_code=form.get("region_code", ""),
            year=_int(form, "year", "年度"),
            title=form.get("title", ""),
            description=form.get("description", ""),
            applicant=form.get("applicant", ""),
            budget_fen=prr.parse_yuan(form.get("budget_yuan", "")),
            actor=actor,
            now=now,
        )
    )
    if errors:
        return _projects_page(request, actor, session, errors, form, status_code)
    return RedirectResponse("/participation/projects?done=apply", status_code=303)


def _project_call(
    action: str, pid: int, form: dict[str, str], session: Session, actor: Actor, now: datetime
) -> None:
    if action in ("approve", "reject"):
        ps.review(
            session,
            project_id=pid,
            approve=action == "approve",
            note=form.get("note", ""),
            actor=actor,
            now=now,
        )
    elif action == "claim":
        ps.claim(
            session,
            project_id=pid,
            claimed_by=form.get("claimed_by", ""),
            party_org_id=_opt_int(form, "party_org_id"),
            actor=actor,
            now=now,
        )
    elif action == "start":
        ps.start(session, project_id=pid, actor=actor, now=now)
    elif action == "expense":
        spent_on = _opt_date(form, "spent_on")
        if spent_on is None:
            raise Invalid("请填写支出日期")
        ps.record_expense(
            session,
            project_id=pid,
            amount_fen=prr.parse_yuan(form.get("amount_yuan", "")),
            spent_on=spent_on,
            note=form.get("note", ""),
            actor=actor,
            now=now,
        )
    elif action == "complete":
        ps.complete(session, project_id=pid, outcome=form.get("outcome", ""), actor=actor, now=now)
    else:
        ps.evaluate(
            session,
            project_id=pid,
            score=_int(form, "score", "评估得分"),
            evaluation=form.get("evaluation", ""),
            actor=actor,
            now=now,
        )


PROJECT_ACTIONS = frozenset(
    {"approve", "reject", "claim", "start", "expense", "complete", "evaluate"}
)


@router.post("/participation/projects/{project_id}/{action}", include_in_schema=False)
def project_action(
    project_id: int,
    action: str,
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    form: Form,
) -> Response:
    """One step on a project from the projects page."""
    if action not in PROJECT_ACTIONS:
        return error_page(request, 404, "没有这个操作")
    errors, status_code = _attempt(
        lambda: _project_call(action, project_id, form, session, actor, now)
    )
    if errors:
        return _projects_page(request, actor, session, errors, {}, status_code)
    return RedirectResponse(f"/participation/projects?done={action}", status_code=303)
