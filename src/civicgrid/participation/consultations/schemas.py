"""Pydantic schemas of the consultation API (/api/v1/participation/consultations)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from civicgrid.participation.consultations import states as st
from civicgrid.participation.consultations.models import (
    Consultation,
    ConsultationMeeting,
    ConsultationOption,
    ConsultationParticipant,
    ConsultationTask,
)
from civicgrid.participation.consultations.queries import ConsultationDetail


class ConsultationCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    topic: str = Field(min_length=1, max_length=5000)
    region_code: str = Field(min_length=1, max_length=15, description="社区/街道/网格编码")
    level: st.ConsultationLevel = st.ConsultationLevel.COMMUNITY
    source: st.ConsultationSource | None = Field(
        default=None, description="来源；不填时居民为 resident，工作人员为 staff"
    )
    source_ref: str = Field(default="", max_length=100)
    options: list[str] = Field(default_factory=list, max_length=10)


class ParticipantCreate(BaseModel):
    category: st.ParticipantCategory
    name: str = Field(min_length=1, max_length=100)
    organisation: str = Field(default="", max_length=100)
    resident_id: int | None = None


class ParticipantUpdate(BaseModel):
    """A participant's corrected entry (before the notice); the linked resident stays."""

    category: st.ParticipantCategory
    name: str = Field(min_length=1, max_length=100)
    organisation: str = Field(default="", max_length=100)


class OptionCreate(BaseModel):
    label: str = Field(min_length=1, max_length=200)


class NoticeRequest(BaseModel):
    notice_text: str = Field(max_length=10000)
    materials: str = Field(default="", max_length=20000)


class MeetingCreate(BaseModel):
    held_at: datetime
    place: str = Field(min_length=1, max_length=200)
    attendee_count: int = Field(ge=1, le=100000)
    minutes: str = Field(min_length=1, max_length=20000)


class VoteRequest(BaseModel):
    option_id: int
    resident_id: int | None = Field(
        default=None, description="工作人员代居民登记表决时填写居民编号"
    )


class ResolveRequest(BaseModel):
    resolution: str = Field(min_length=1, max_length=10000)


class TaskCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    assignee: str = Field(min_length=1, max_length=100)
    due_on: date | None = None


class TaskDoneRequest(BaseModel):
    result: str = Field(min_length=1, max_length=5000)


class FeedbackRequest(BaseModel):
    feedback: str = Field(min_length=1, max_length=10000)


class EvaluationCreate(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)


class CancelRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class LinkRequest(BaseModel):
    user_id: int
    resident_id: int


class LinkRead(BaseModel):
    id: int
    user_id: int
    resident_id: int


class ConsultationListItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    level: str
    source: str
    region_id: int
    status: str
    status_label: str
    created_at: datetime

    @classmethod
    def of(cls, c: Consultation) -> ConsultationListItem:
        return cls(
            id=c.id,
            title=c.title,
            level=c.level,
            source=c.source,
            region_id=c.region_id,
            status=c.status,
            status_label=st.ConsultationStatus(c.status).label,
            created_at=c.created_at,
        )


class ConsultationRead(ConsultationListItem):
    topic: str
    source_ref: str
    proposed_by: str
    notice_text: str
    materials: str
    noticed_at: datetime | None
    resolution: str
    resolved_at: datetime | None
    feedback: str
    feedback_at: datetime | None
    cancel_reason: str
    allowed_actions: list[str]

    @classmethod
    def of(cls, c: Consultation) -> ConsultationRead:
        base = ConsultationListItem.of(c).model_dump()
        return cls(
            **base,
            topic=c.topic,
            source_ref=c.source_ref,
            proposed_by=c.proposed_by_label,
            notice_text=c.notice_text,
            materials=c.materials,
            noticed_at=c.noticed_at,
            resolution=c.resolution,
            resolved_at=c.resolved_at,
            feedback=c.feedback,
            feedback_at=c.feedback_at,
            cancel_reason=c.cancel_reason,
            allowed_actions=[a.value for a in st.allowed_actions(st.ConsultationStatus(c.status))],
        )


class ParticipantRead(BaseModel):
    id: int
    category: str
    category_label: str
    name: str
    organisation: str

    @classmethod
    def of(cls, p: ConsultationParticipant) -> ParticipantRead:
        return cls(
            id=p.id,
            category=p.category,
            category_label=st.ParticipantCategory(p.category).label,
            name=p.name,
            organisation=p.organisation,
        )


class MeetingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    held_at: datetime
    place: str
    attendee_count: int
    minutes: str


class OptionRead(BaseModel):
    id: int
    label: str
    votes: int
    leading: bool

    @classmethod
    def unvoted(cls, option: ConsultationOption) -> OptionRead:
        """An option added or renamed before the notice: voting has not opened, so no votes."""
        return cls(id=option.id, label=option.label, votes=0, leading=False)


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    assignee: str
    due_on: date | None
    done_at: datetime | None
    result: str


class VoteRead(BaseModel):
    id: int
    consultation_id: int
    option_id: int
    resident_id: int
    on_behalf: bool
    cast_at: datetime


class EvaluationRead(BaseModel):
    id: int
    consultation_id: int
    score: int
    comment: str


class ConsultationDetailRead(BaseModel):
    consultation: ConsultationRead
    region_name: str
    participants: list[ParticipantRead]
    missing_categories: list[str]
    meetings: list[MeetingRead]
    options: list[OptionRead]
    vote_count: int
    tasks: list[TaskRead]
    evaluation_count: int
    satisfaction_pct: float | None
    my_option_id: int | None
    my_score: int | None

    @classmethod
    def of(cls, d: ConsultationDetail) -> ConsultationDetailRead:
        return cls(
            consultation=ConsultationRead.of(d.consultation),
            region_name=d.region_name,
            participants=[ParticipantRead.of(p) for p in d.participants],
            missing_categories=d.missing_categories,
            meetings=[MeetingRead.model_validate(m) for m in d.meetings],
            options=[
                OptionRead(id=o.id, label=o.label, votes=o.votes, leading=o.leading)
                for o in d.options
            ],
            vote_count=d.vote_count,
            tasks=[TaskRead.model_validate(t) for t in d.tasks],
            evaluation_count=d.evaluation_count,
            satisfaction_pct=d.satisfaction_pct,
            my_option_id=d.my_option_id,
            my_score=d.my_score,
        )


def meeting_read(m: ConsultationMeeting) -> MeetingRead:
    return MeetingRead.model_validate(m)


def task_read(t: ConsultationTask) -> TaskRead:
    return TaskRead.model_validate(t)
