"""Consultation pages: the list with the proposal form, the detail with one form per step
(participants and options, notice, meetings, votes, resolution, tasks, feedback, evaluation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.deps import DbSession, Now
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.participation import access
from civicgrid.participation.consultations import editing as ce
from civicgrid.participation.consultations import queries as cq
from civicgrid.participation.consultations import service as cs
from civicgrid.participation.consultations import states as cst
from civicgrid.web.participation.common import (
    community_choices,
    int_field,
    opt_date_field,
    opt_int_field,
    when_field,
)
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.form_actions import Form, FormCall, Step, perform, perform_step
from civicgrid.web.shared.pickers import region_groups
from civicgrid.web.shared.render import render

REGION_LEVELS = ("street", "community")

router = APIRouter(tags=["pages"])


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
            "communities": community_choices(session, actor, now),
            "region_groups": region_groups(session, actor, REGION_LEVELS),
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


@router.get("/participation/consultations", include_in_schema=False)
def consultations_page(
    request: Request, actor: PageActor, session: DbSession, now: Now
) -> Response:
    """Consultations the actor may see; staff get the proposal form."""
    return _consultations_page(request, actor, session, now, [], {}, 200)


def _propose(call: FormCall) -> int:
    source = cst.ConsultationSource.RESIDENT
    if access.is_staff(call.actor):
        try:
            source = cst.ConsultationSource(call.text("source") or "staff")
        except ValueError as exc:
            raise Invalid("请选择议题来源") from exc
    try:
        level = cst.ConsultationLevel(call.text("level") or "community")
    except ValueError as exc:
        raise Invalid("请选择协商层级") from exc
    consultation = cs.propose(
        call.session,
        data=cs.NewConsultation(
            title=call.text("title"),
            topic=call.text("topic"),
            region_code=call.text("region_code"),
            level=level,
            source=source,
            source_ref=call.text("source_ref"),
            options=tuple(call.text("options").splitlines()),
        ),
        **call.by,
    )
    return consultation.id


@router.post("/participation/consultations", include_in_schema=False)
def propose_submit(
    request: Request, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """A topic raised by staff (for their scope) or by a resident (for their community)."""
    return perform(
        lambda: _propose(FormCall(session, actor, now, form)),
        redirect=lambda cid: f"/participation/consultations/{cid}",
        refused=lambda errors, code: _consultations_page(
            request, actor, session, now, errors, form, code
        ),
        refuse=(Invalid, Conflict, NotFound),
    )


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
            "revisable": status in cst.REVISABLE,
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


def _category(call: FormCall) -> cst.ParticipantCategory:
    try:
        return cst.ParticipantCategory(call.text("category"))
    except ValueError as exc:
        raise Invalid("请选择参与人类别") from exc


def _participant_id(call: FormCall) -> int:
    return int_field(call.form, "participant_id", "参与人")


def _option_id(call: FormCall) -> int:
    return int_field(call.form, "option_id", "方案")


def _participant(c: FormCall) -> object:
    return cs.add_participant(
        c.session,
        consultation_id=c.target,
        category=_category(c),
        name=c.text("name"),
        organisation=c.text("organisation"),
        **c.by,
    )


def _participant_edit(c: FormCall) -> object:
    return ce.update_participant(
        c.session,
        consultation_id=c.target,
        participant_id=_participant_id(c),
        category=_category(c),
        name=c.text("name"),
        organisation=c.text("organisation"),
        **c.by,
    )


def _participant_remove(c: FormCall) -> object:
    ce.remove_participant(
        c.session,
        consultation_id=c.target,
        participant_id=_participant_id(c),
        **c.by,
    )
    return None


def _option(c: FormCall) -> object:
    return cs.add_option(c.session, consultation_id=c.target, label=c.text("label"), **c.by)


def _option_edit(c: FormCall) -> object:
    return ce.rename_option(
        c.session,
        consultation_id=c.target,
        option_id=_option_id(c),
        label=c.text("label"),
        **c.by,
    )


def _option_remove(c: FormCall) -> object:
    ce.remove_option(
        c.session,
        consultation_id=c.target,
        option_id=_option_id(c),
        **c.by,
    )
    return None


def _notice(c: FormCall) -> object:
    return cs.publish_notice(
        c.session,
        consultation_id=c.target,
        notice_text=c.text("notice_text"),
        materials=c.text("materials"),
        **c.by,
    )


def _meeting(c: FormCall) -> object:
    return cs.record_meeting(
        c.session,
        consultation_id=c.target,
        held_at=when_field(c.form, "held_at", "会议时间"),
        place=c.text("place"),
        attendee_count=int_field(c.form, "attendee_count", "参会人数"),
        minutes=c.text("minutes"),
        **c.by,
    )


def _vote(c: FormCall) -> object:
    return cs.cast_vote(
        c.session,
        consultation_id=c.target,
        option_id=_option_id(c),
        resident_id=opt_int_field(c.form, "resident_id"),
        **c.by,
    )


def _resolve(c: FormCall) -> object:
    return cs.resolve(
        c.session,
        consultation_id=c.target,
        resolution=c.text("resolution"),
        **c.by,
    )


def _task(c: FormCall) -> object:
    return cs.add_task(
        c.session,
        consultation_id=c.target,
        title=c.text("title"),
        assignee=c.text("assignee"),
        due_on=opt_date_field(c.form, "due_on"),
        **c.by,
    )


def _task_done(c: FormCall) -> object:
    return cs.complete_task(
        c.session,
        task_id=int_field(c.form, "task_id", "任务"),
        result=c.text("result"),
        **c.by,
    )


def _implement(c: FormCall) -> object:
    return cs.start_implementation(c.session, consultation_id=c.target, **c.by)


def _feedback(c: FormCall) -> object:
    return cs.publish_feedback(
        c.session, consultation_id=c.target, feedback=c.text("feedback"), **c.by
    )


def _evaluate(c: FormCall) -> object:
    return cs.evaluate(
        c.session,
        consultation_id=c.target,
        score=int_field(c.form, "score", "评分"),
        comment=c.text("comment"),
        **c.by,
    )


def _close(c: FormCall) -> object:
    return cs.close_evaluation(c.session, consultation_id=c.target, **c.by)


def _cancel(c: FormCall) -> object:
    return cs.cancel(c.session, consultation_id=c.target, reason=c.text("reason"), **c.by)


CONSULTATION_STEPS: dict[str, Step] = {
    "participant": _participant,
    "participant_edit": _participant_edit,
    "participant_remove": _participant_remove,
    "option": _option,
    "option_edit": _option_edit,
    "option_remove": _option_remove,
    "notice": _notice,
    "meeting": _meeting,
    "vote": _vote,
    "resolve": _resolve,
    "task": _task,
    "task_done": _task_done,
    "implement": _implement,
    "feedback": _feedback,
    "evaluate": _evaluate,
    "close": _close,
    "cancel": _cancel,
}


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
    return perform_step(
        request,
        CONSULTATION_STEPS,
        action,
        FormCall(session, actor, now, form, consultation_id),
        redirect=f"/participation/consultations/{consultation_id}?done={action}",
        refused=lambda errors, code: _consultation_page(
            request, actor, session, now, consultation_id, errors, code
        ),
    )
