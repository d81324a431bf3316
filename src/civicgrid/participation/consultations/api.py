"""JSON API of consultations (/api/v1/participation/consultations). Thin: parse, call one use
case, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from civicgrid.participation import access
from civicgrid.participation.consultations import editing, queries, service
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
    ParticipantUpdate,
    ResolveRequest,
    TaskCreate,
    TaskDoneRequest,
    TaskRead,
    VoteRead,
    VoteRequest,
    meeting_read,
    task_read,
)
from civicgrid.participation.endpoint import Call

router = APIRouter(prefix="/api/v1/participation", tags=["participation: consultations"])
CREATED = status.HTTP_201_CREATED
NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.post(
    "/resident-links",
    response_model=LinkRead,
    status_code=CREATED,
    summary="关联居民账号与实有人口",
)
def link_resident(call: Call, body: LinkRequest) -> LinkRead:
    link_id = service.link_resident_account(
        call.session, user_id=body.user_id, resident_id=body.resident_id, **call.by
    )
    return LinkRead(id=link_id, user_id=body.user_id, resident_id=body.resident_id)


@router.post(
    "/consultations", response_model=ConsultationRead, status_code=CREATED, summary="提出议题"
)
def propose(call: Call, body: ConsultationCreate) -> ConsultationRead:
    source = body.source or (
        st.ConsultationSource.STAFF
        if access.is_staff(call.actor)
        else st.ConsultationSource.RESIDENT
    )
    consultation = service.propose(
        call.session,
        data=service.NewConsultation(
            title=body.title,
            topic=body.topic,
            region_code=body.region_code,
            level=body.level,
            source=source,
            source_ref=body.source_ref,
            options=tuple(body.options),
        ),
        **call.by,
    )
    return ConsultationRead.of(consultation)


@router.get("/consultations", response_model=list[ConsultationListItem], summary="议题列表")
def list_consultations(
    call: Call,
    status_: Annotated[st.ConsultationStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ConsultationListItem]:
    rows, _total = queries.list_for(
        call.session,
        call.actor,
        today=call.now.date(),
        status=status_.value if status_ else None,
        limit=limit,
        offset=offset,
    )
    return [ConsultationListItem.of(c) for c in rows]


@router.get(
    "/consultations/{consultation_id}", response_model=ConsultationDetailRead, summary="议题详情"
)
def get_consultation(consultation_id: int, call: Call) -> ConsultationDetailRead:
    consultation = queries.get_for(call.session, call.actor, consultation_id, call.now.date())
    resident_id = access.linked_resident_id(call.session, call.actor.user_id)
    return ConsultationDetailRead.of(
        queries.detail(call.session, consultation, resident_id=resident_id)
    )


@router.post(
    "/consultations/{consultation_id}/participants",
    response_model=ParticipantRead,
    status_code=CREATED,
    summary="增加参与人（6+X）",
)
def add_participant(
    consultation_id: int,
    call: Call,
    body: ParticipantCreate,
) -> ParticipantRead:
    participant = service.add_participant(
        call.session,
        consultation_id=consultation_id,
        category=body.category,
        name=body.name,
        organisation=body.organisation,
        resident_id=body.resident_id,
        **call.by,
    )
    return ParticipantRead.of(participant)


@router.post(
    "/consultations/{consultation_id}/options",
    response_model=OptionRead,
    status_code=CREATED,
    summary="增加表决方案",
)
def add_option(consultation_id: int, call: Call, body: OptionCreate) -> OptionRead:
    option = service.add_option(
        call.session, consultation_id=consultation_id, label=body.label, **call.by
    )
    return OptionRead.unvoted(option)


PARTICIPANT = "/consultations/{consultation_id}/participants/{participant_id}"
OPTION = "/consultations/{consultation_id}/options/{option_id}"


@router.put(PARTICIPANT, response_model=ParticipantRead, summary="修改参与人（公告前）")
def update_participant(
    consultation_id: int, participant_id: int, call: Call, body: ParticipantUpdate
) -> ParticipantRead:
    participant = editing.update_participant(
        call.session,
        consultation_id=consultation_id,
        participant_id=participant_id,
        category=body.category,
        name=body.name,
        organisation=body.organisation,
        **call.by,
    )
    return ParticipantRead.of(participant)


@router.delete(PARTICIPANT, status_code=NO_CONTENT, summary="删除参与人（公告前）")
def remove_participant(consultation_id: int, participant_id: int, call: Call) -> Response:
    editing.remove_participant(
        call.session, consultation_id=consultation_id, participant_id=participant_id, **call.by
    )
    return Response(status_code=NO_CONTENT)


@router.put(OPTION, response_model=OptionRead, summary="修改表决方案（公告前）")
def rename_option(
    consultation_id: int, option_id: int, call: Call, body: OptionCreate
) -> OptionRead:
    option = editing.rename_option(
        call.session,
        consultation_id=consultation_id,
        option_id=option_id,
        label=body.label,
        **call.by,
    )
    return OptionRead.unvoted(option)


@router.delete(OPTION, status_code=NO_CONTENT, summary="删除表决方案（公告前）")
def remove_option(consultation_id: int, option_id: int, call: Call) -> Response:
    editing.remove_option(
        call.session, consultation_id=consultation_id, option_id=option_id, **call.by
    )
    return Response(status_code=NO_CONTENT)


@router.post(
    "/consultations/{consultation_id}/notice",
    response_model=ConsultationRead,
    summary="发布协商公告",
)
def publish_notice(consultation_id: int, call: Call, body: NoticeRequest) -> ConsultationRead:
    return ConsultationRead.of(
        service.publish_notice(
            call.session,
            consultation_id=consultation_id,
            notice_text=body.notice_text,
            materials=body.materials,
            **call.by,
        )
    )


@router.post(
    "/consultations/{consultation_id}/meetings",
    response_model=MeetingRead,
    status_code=CREATED,
    summary="记录协商会议与纪要",
)
def record_meeting(consultation_id: int, call: Call, body: MeetingCreate) -> MeetingRead:
    meeting = service.record_meeting(
        call.session,
        consultation_id=consultation_id,
        held_at=body.held_at,
        place=body.place,
        attendee_count=body.attendee_count,
        minutes=body.minutes,
        **call.by,
    )
    return meeting_read(meeting)


@router.post(
    "/consultations/{consultation_id}/votes",
    response_model=VoteRead,
    status_code=CREATED,
    summary="表决（每位居民一票）",
)
def cast_vote(consultation_id: int, call: Call, body: VoteRequest) -> VoteRead:
    vote = service.cast_vote(
        call.session,
        consultation_id=consultation_id,
        option_id=body.option_id,
        resident_id=body.resident_id,
        **call.by,
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
def resolve(consultation_id: int, call: Call, body: ResolveRequest) -> ConsultationRead:
    return ConsultationRead.of(
        service.resolve(
            call.session, consultation_id=consultation_id, resolution=body.resolution, **call.by
        )
    )


@router.post(
    "/consultations/{consultation_id}/tasks",
    response_model=TaskRead,
    status_code=CREATED,
    summary="增加落实任务",
)
def add_task(consultation_id: int, call: Call, body: TaskCreate) -> TaskRead:
    task = service.add_task(
        call.session,
        consultation_id=consultation_id,
        title=body.title,
        assignee=body.assignee,
        due_on=body.due_on,
        **call.by,
    )
    return task_read(task)


@router.post("/consultation-tasks/{task_id}/done", response_model=TaskRead, summary="落实任务完成")
def complete_task(task_id: int, call: Call, body: TaskDoneRequest) -> TaskRead:
    return task_read(
        service.complete_task(call.session, task_id=task_id, result=body.result, **call.by)
    )


@router.post(
    "/consultations/{consultation_id}/implementation",
    response_model=ConsultationRead,
    summary="启动落实",
)
def start_implementation(consultation_id: int, call: Call) -> ConsultationRead:
    return ConsultationRead.of(
        service.start_implementation(call.session, consultation_id=consultation_id, **call.by)
    )


@router.post(
    "/consultations/{consultation_id}/feedback",
    response_model=ConsultationRead,
    summary="公示落实反馈",
)
def publish_feedback(
    consultation_id: int,
    call: Call,
    body: FeedbackRequest,
) -> ConsultationRead:
    return ConsultationRead.of(
        service.publish_feedback(
            call.session, consultation_id=consultation_id, feedback=body.feedback, **call.by
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
    call: Call,
    body: EvaluationCreate,
) -> EvaluationRead:
    evaluation = service.evaluate(
        call.session,
        consultation_id=consultation_id,
        score=body.score,
        comment=body.comment,
        **call.by,
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
def close_evaluation(consultation_id: int, call: Call) -> ConsultationRead:
    return ConsultationRead.of(
        service.close_evaluation(call.session, consultation_id=consultation_id, **call.by)
    )


@router.post(
    "/consultations/{consultation_id}/cancel", response_model=ConsultationRead, summary="撤销议题"
)
def cancel(consultation_id: int, call: Call, body: CancelRequest) -> ConsultationRead:
    return ConsultationRead.of(
        service.cancel(call.session, consultation_id=consultation_id, reason=body.reason, **call.by)
    )
