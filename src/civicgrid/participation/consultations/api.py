"""JSON API of consultations (/api/v1/participation/consultations). Thin: parse, call one use
case, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from civicgrid.auth.deps import CurrentActor
from civicgrid.deps import DbSession, Now
from civicgrid.participation import access
from civicgrid.participation.consultations import queries, service
from civicgrid.participation.consultations import states as st
from civicgrid.participation.consultations.schemas import (
    CancelRequest,
    ConsultationCreate,
    ConsultationDetailRead,
    ConsultationListItem,
    ConsultationRead,
    EvaluationCreate,
    EvaluationRead,
    FeedbackRequest,
    LinkRead,
    LinkRequest,
    MeetingCreate,
    MeetingRead,
    NoticeRequest,
    OptionCreate,
    OptionRead,
    ParticipantCreate,
    ParticipantRead,
    ResolveRequest,
    TaskCreate,
    TaskDoneRequest,
    TaskRead,
    VoteRead,
    VoteRequest,
    meeting_read,
    task_read,
)

router = APIRouter(prefix="/api/v1/participation", tags=["participation: consultations"])
CREATED = status.HTTP_201_CREATED


@router.post(
    "/resident-links",
    response_model=LinkRead,
    status_code=CREATED,
    summary="关联居民账号与实有人口",
)
def link_resident(actor: CurrentActor, session: DbSession, now: Now, body: LinkRequest) -> LinkRead:
    link_id = service.link_resident_account(
        session, user_id=body.user_id, resident_id=body.resident_id, actor=actor, now=now
    )
    return LinkRead(id=link_id, user_id=body.user_id, resident_id=body.resident_id)


@router.post(
    "/consultations", response_model=ConsultationRead, status_code=CREATED, summary="提出议题"
)
def propose(
    actor: CurrentActor, session: DbSession, now: Now, body: ConsultationCreate
) -> ConsultationRead:
    source = body.source or (
        st.ConsultationSource.STAFF if access.is_staff(actor) else st.ConsultationSource.RESIDENT
    )
    consultation = service.propose(
        session,
        data=service.NewConsultation(
            title=body.title,
            topic=body.topic,
            region_code=body.region_code,
            level=body.level,
            source=source,
            source_ref=body.source_ref,
            options=tuple(body.options),
        ),
        actor=actor,
        now=now,
    )
    return ConsultationRead.of(consultation)


@router.get("/consultations", response_model=list[ConsultationListItem], summary="议题列表")
def list_consultations(
    actor: CurrentActor,
    session: DbSession,
    now: Now,
    status_: Annotated[st.ConsultationStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ConsultationListItem]:
    rows, _total = queries.list_for(
        session,
        actor,
        today=now.date(),
        status=status_.value if status_ else None,
        limit=limit,
        offset=offset,
    )
    return [ConsultationListItem.of(c) for c in rows]


@router.get(
    "/consultations/{consultation_id}", response_model=ConsultationDetailRead, summary="议题详情"
)
def get_consultation(
    consultation_id: int, actor: CurrentActor, session: DbSession, now: Now
) -> ConsultationDetailRead:
    consultation = queries.get_for(session, actor, consultation_id, now.date())
    resident_id = access.linked_resident_id(session, actor.user_id)
    return ConsultationDetailRead.of(queries.detail(session, consultation, resident_id=resident_id))


@router.post(
    "/consultations/{consultation_id}/participants",
    response_model=ParticipantRead,
    status_code=CREATED,
    summary="增加参与人（6+X）",
)
def add_participant(
    consultation_id: int,
    actor: CurrentActor,
    session: DbSession,
    now: Now,
    body: ParticipantCreate,
) -> ParticipantRead:
    participant = service.add_participant(
        session,
        consultation_id=consultation_id,
        category=body.category,
        name=body.name,
        organisation=body.organisation,
        resident_id=body.resident_id,
        actor=actor,
        now=now,
    )
    return ParticipantRead.of(participant)


@router.post(
    "/consultations/{consultation_id}/options",
    response_model=OptionRead,
    status_code=CREATED,
    summary="增加表决方案",
)
def add_option(
    consultation_id: int, actor: CurrentActor, session: DbSession, now: Now, body: OptionCreate
) -> OptionRead:
    option = service.add_option(
        session, consultation_id=consultation_id, label=body.label, actor=actor, now=now
    )
    return OptionRead(id=option.id, label=option.label, votes=0, leading=False)


@router.post(
    "/consultations/{consultation_id}/notice",
    response_model=ConsultationRead,
    summary="发布协商公告",
)
def publish_notice(
    consultation_id: int, actor: CurrentActor, session: DbSession, now: Now, body: NoticeRequest
) -> ConsultationRead:
    return ConsultationRead.of(
        service.publish_notice(
            session,
            consultation_id=consultation_id,
            notice_text=body.notice_text,
            materials=body.materials,
            actor=actor,
            now=now,
        )
    )


@router.post(
    "/consultations/{consultation_id}/meetings",
    response_model=MeetingRead,
    status_code=CREATED,
    summary="记录协商会议与纪要",
)
def record_meeting(
    consultation_id: int, actor: CurrentActor, session: DbSession, now: Now, body: MeetingCreate
) -> MeetingRead:
    meeting = service.record_meeting(
        session,
        consultation_id=consultation_id,
        held_at=body.held_at,
        place=body.place,
        attendee_count=body.attendee_count,
        minutes=body.minutes,
        actor=actor,
        now=now,
    )
    return meeting_read(meeting)


@router.post(
    "/consultations/{consultation_id}/votes",
    response_model=VoteRead,
    status_code=CREATED,
    summary="表决（每位居民一票）",
)
def cast_vote(
    consultation_id: int, actor: CurrentActor, session: DbSession, now: Now, body: VoteRequest
) -> VoteRead:
    vote = service.cast_vote(
        session,
        consultation_id=consultation_id,
        option_id=body.option_id,
        resident_id=body.resident_id,
        actor=actor,
        now=now,
    )
    return VoteRead(
        id=vote.id,
        consultation_id=vote.consultation_id,
        option_id=vote.option_id,
        resident_id=vote.resident_id,
        on_behalf=vote.on_behalf,
        cast_at=vote.cast_at,
    )


@router.post(
    "/consultations/{consultation_id}/resolution",
    response_model=ConsultationRead,
    summary="形成协商决议",
)
def resolve(
    consultation_id: int, actor: CurrentActor, session: DbSession, now: Now, body: ResolveRequest
) -> ConsultationRead:
    return ConsultationRead.of(
        service.resolve(
            session,
            consultation_id=consultation_id,
            resolution=body.resolution,
            actor=actor,
            now=now,
        )
    )


@router.post(
    "/consultations/{consultation_id}/tasks",
    response_model=TaskRead,
    status_code=CREATED,
    summary="增加落实任务",
)
def add_task(
    consultation_id: int, actor: CurrentActor, session: DbSession, now: Now, body: TaskCreate
) -> TaskRead:
    task = service.add_task(
        session,
        consultation_id=consultation_id,
        title=body.title,
        assignee=body.assignee,
        due_on=body.due_on,
        actor=actor,
        now=now,
    )
    return task_read(task)


@router.post("/consultation-tasks/{task_id}/done", response_model=TaskRead, summary="落实任务完成")
def complete_task(
    task_id: int, actor: CurrentActor, session: DbSession, now: Now, body: TaskDoneRequest
) -> TaskRead:
    return task_read(
        service.complete_task(session, task_id=task_id, result=body.result, actor=actor, now=now)
    )


@router.post(
    "/consultations/{consultation_id}/implementation",
    response_model=ConsultationRead,
    summary="启动落实",
)
def start_implementation(
    consultation_id: int, actor: CurrentActor, session: DbSession, now: Now
) -> ConsultationRead:
    return ConsultationRead.of(
        service.start_implementation(session, consultation_id=consultation_id, actor=actor, now=now)
    )


@router.post(
    "/consultations/{consultation_id}/feedback",
    response_model=ConsultationRead,
    summary="公示落实反馈",
)
def publish_feedback(
    consultation_id: int,
    actor: CurrentActor,
    session: DbSession,
    now: Now,
    body: FeedbackRequest,
) -> ConsultationRead:
    return ConsultationRead.of(
        service.publish_feedback(
            session,
            consultation_id=consultation_id,
            feedback=body.feedback,
            actor=actor,
            now=now,
        )
    )


@router.post(
    "/consultations/{consultation_id}/evaluations",
    response_model=EvaluationRead,
    status_code=CREATED,
    summary="居民评议",
)
def evaluate(
    consultation_id: int,
    actor: CurrentActor,
    session: DbSession,
    now: Now,
    body: EvaluationCreate,
) -> EvaluationRead:
    evaluation = service.evaluate(
        session,
        consultation_id=consultation_id,
        score=body.score,
        comment=body.comment,
        actor=actor,
        now=now,
    )
    return EvaluationRead(
        id=evaluation.id,
        consultation_id=evaluation.consultation_id,
        score=evaluation.score,
        comment=evaluation.comment,
    )


@router.post(
    "/consultations/{consultation_id}/close", response_model=ConsultationRead, summary="结束评议"
)
def close_evaluation(
    consultation_id: int, actor: CurrentActor, session: DbSession, now: Now
) -> ConsultationRead:
    return ConsultationRead.of(
        service.close_evaluation(session, consultation_id=consultation_id, actor=actor, now=now)
    )


@router.post(
    "/consultations/{consultation_id}/cancel", response_model=ConsultationRead, summary="撤销议题"
)
def cancel(
    consultation_id: int, actor: CurrentActor, session: DbSession, now: Now, body: CancelRequest
) -> ConsultationRead:
    return ConsultationRead.of(
        service.cancel(
            session, consultation_id=consultation_id, reason=body.reason, actor=actor, now=now
        )
    )
