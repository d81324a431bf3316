"""Pydantic schemas of the appeals JSON API: request bodies of intake and of every action, and
the list / detail views. Business rules stay in the use cases; these only shape the data."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Base64Bytes, BaseModel, ConfigDict, Field

from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.deadlines import UrgencyLevel, WarningLevel
from civicgrid.appeals.states import EmergencyLine, Satisfaction

UnitKind = Literal["region", "department", "utility"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AppealCreate(_In):
    """A new appeal. Photos are base64-encoded JPEG/PNG/WebP (随手拍 and patrol reports need one
    and a location)."""

    channel: Channel
    appeal_type: AppealType
    title: str = Field(max_length=200)
    content: str = Field(max_length=10000)
    level: UrgencyLevel = UrgencyLevel.GENERAL
    category: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=255)
    lon: float | None = None
    lat: float | None = None
    region_id: int | None = Field(default=None, ge=1, le=2**31 - 1)  # an INTEGER id
    caller_name: str = Field(default="", max_length=50)
    caller_phone: str = Field(default="", max_length=30)
    confidential: bool = False
    anonymous: bool = False
    photos: list[Base64Bytes] = Field(default_factory=list, max_length=9)


class ActionRequest(_In):
    """Every action may carry the version the client saw; a mismatch is refused with 409. The
    body of one workflow action, through the JSON API and the page forms alike (see
    ``appeals.actions``)."""

    expected_version: int | None = None


class NoteRequest(ActionRequest):
    note: str = Field(default="", max_length=5000)


class TextRequest(ActionRequest):
    """An action whose text (reason, content) the workflow may require."""

    text: str = Field(default="", max_length=5000)


class AnswerRequest(TextRequest):
    knowledge_article_id: int | None = None


class ReplyRequest(TextRequest):
    """办结反馈 with up to nine photos of the result (base64-encoded JPEG/PNG/WebP)."""

    photos: list[Base64Bytes] = Field(default_factory=list, max_length=9)


class TransferRequest(ActionRequest):
    line: EmergencyLine | None = None
    note: str = Field(default="", max_length=2000)


class MergeRequest(ActionRequest):
    target_number: str = Field(max_length=20)
    note: str = Field(default="", max_length=2000)


class UnitIn(_In):
    kind: UnitKind
    id: int


class DispatchRequest(ActionRequest):
    lead: UnitIn
    co_units: list[UnitIn] = Field(default_factory=list, max_length=20)
    level: UrgencyLevel | None = None
    note: str = Field(default="", max_length=2000)


class ExtensionRequest(ActionRequest):
    reason: str = Field(default="", max_length=2000)
    new_due_at: AwareDatetime


class ExtensionApproval(ActionRequest):
    new_due_at: AwareDatetime | None = None
    note: str = Field(default="", max_length=2000)


class CallbackRequest(ActionRequest):
    """回访 result; ``reopen`` sends the order back to the unit (重办, ``reason`` required)."""

    resolved: bool | None = None
    satisfaction: Satisfaction | None = None
    note: str = Field(default="", max_length=2000)
    reopen: bool = False
    reason: str = Field(default="", max_length=2000)


class RateRequest(ActionRequest):
    """自助评价: the caller's own rating after the reply. A resident who filed the appeal sends
    it logged in; anyone else proves being the caller with ``number`` and ``phone_last4``."""

    resolved: bool | None = None
    satisfaction: Satisfaction | None = None
    comment: str = Field(default="", max_length=1000)
    number: str | None = Field(default=None, max_length=20)
    phone_last4: str | None = Field(default=None, pattern=r"^[0-9]{4}$")


class VerifyRequest(ActionRequest):
    fixed: bool
    note: str = Field(default="", max_length=2000)


class WhistleRequest(ActionRequest):
    department_ids: list[int] = Field(max_length=30)
    reason: str = Field(default="", max_length=2000)
    kind: Literal["daily", "tackle", "emergency"] = "daily"
    arrive_within_minutes: int | None = None


class ArrivalRequest(ActionRequest):
    whistle_id: int
    department_id: int
    note: str = Field(default="", max_length=2000)


class KnowledgeIn(_In):
    title: str = Field(max_length=200)
    body: str = Field(max_length=20000)
    keywords: str = Field(default="", max_length=500)
    category: str = Field(default="", max_length=100)
    is_active: bool = True


class WorkingDayIn(_In):
    is_working: bool
    note: str = Field(default="", max_length=200)


# --- views ----------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UnitOut(_Out):
    role: str
    kind: str
    id: int
    name: str


class CallerOut(_Out):
    name: str
    phone: str
    hidden: bool


class DeadlineOut(_Out):
    kind: str
    due_at: datetime
    warning: WarningLevel | None
    warning_label: str


class AppealCreated(_Out):
    """The answer to intake (201): what a hotline system or client needs to go on (the number
    to tell the caller, the located grid, the deadlines), without the timeline and the other
    records; ``GET /api/v1/appeals/{id}`` (the ``Location`` header) gives the full detail."""

    id: int
    number: str
    status: str
    status_label: str
    channel: str
    appeal_type: str
    level: str
    received_at: datetime
    region_id: int | None
    dispatch_due_at: datetime | None
    response_due_at: datetime | None
    finish_due_at: datetime | None
    deadline: DeadlineOut | None
    version: int


class AppealListItem(_Out):
    id: int
    number: str
    status: str
    status_label: str
    status_colour: str
    channel: str
    channel_label: str
    appeal_type: str
    type_label: str
    level: str
    level_label: str
    title: str
    address: str
    received_at: datetime
    lead_unit: UnitOut | None
    deadline: DeadlineOut | None
    overdue: bool
    unreasonable_pending: bool
    version: int


class AppealPageOut(_Out):
    items: list[AppealListItem]
    total: int
    """Number of all matches; with ``total_capped``, at least this many (a search for one or
    two characters counts up to 1,000)."""
    offset: int
    limit: int
    total_capped: bool = False


class EventOut(_Out):
    id: int
    at: datetime
    action: str
    action_label: str
    from_status: str
    to_status: str
    actor_label: str
    actor_role: str
    note: str
    detail: dict[str, Any]
    # The person as users read them: display name and the unit of their post (赵静（和平街道）).
    actor_name: str = ""


class AttachmentOut(_Out):
    id: int
    purpose: str
    content_type: str
    size_bytes: int
    uploaded_at: datetime
    url: str


class CallbackOut(_Out):
    id: int
    round: int
    resolved: bool
    satisfaction: str
    note: str
    channel: str
    at: datetime


class SelfRatingOut(BaseModel):
    """The result of a self-service rating: the stored rating and where the appeal stands."""

    appeal_id: int
    number: str
    status: str
    status_label: str
    closed: bool
    rating: CallbackOut


class ExtensionOut(_Out):
    id: int
    reason: str
    old_due_at: datetime | None
    requested_due_at: datetime
    requested_at: datetime
    decision: str
    decided_at: datetime | None
    decision_note: str


class ReturnOut(_Out):
    id: int
    unit_kind: str
    unit_id: int
    reason: str
    requested_at: datetime
    decision: str
    decided_at: datetime | None
    decision_note: str


class SummonsOut(_Out):
    department_id: int
    department_name: str
    arrived_at: datetime | None
    arrival_note: str


class WhistleOut(_Out):
    id: int
    kind: str
    reason: str
    called_at: datetime
    arrive_by: datetime
    summons: list[SummonsOut]


class SupervisionOut(_Out):
    id: int
    kind: str
    note: str
    at: datetime
    by_label: str


class MergedOut(_Out):
    id: int
    number: str
    status: str


class ActionOut(_Out):
    """An action the viewer may take now, and its endpoint ``POST /api/v1/appeals/{id}/<path>``."""

    action: str
    label: str
    path: str


class UnreasonableApplicationOut(_Out):
    """The lead unit's pending application for the 不合理诉求 finding."""

    reason: str
    applied_at: datetime
    applied_by: str


class UnreasonableFindingOut(_Out):
    """The 不合理诉求 finding in force."""

    reason: str
    at: datetime | None
    by: str


class AppealRead(AppealListItem):
    flow: str
    content: str
    category: str
    lon: float | None
    lat: float | None
    region_id: int | None
    caller: CallerOut
    confidential: bool
    anonymous: bool
    units: list[UnitOut]
    dispatch_due_at: datetime | None
    response_due_at: datetime | None
    finish_due_at: datetime | None
    dispatched_at: datetime | None
    signed_at: datetime | None
    contacted_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    disposition: str
    disposition_note: str
    reply_text: str
    resolved: bool | None
    satisfaction: str | None
    reopen_count: int
    excluded_from_rates: bool
    unreasonable: UnreasonableFindingOut | None
    unreasonable_application: UnreasonableApplicationOut | None
    merged_into_id: int | None
    merged: list[MergedOut]
    timeline: list[EventOut]
    attachments: list[AttachmentOut]
    callbacks: list[CallbackOut]
    extensions: list[ExtensionOut]
    returns: list[ReturnOut]
    whistles: list[WhistleOut]
    supervisions: list[SupervisionOut]
    allowed_actions: list[ActionOut]


class KnowledgeOut(_Out):
    id: int
    title: str
    keywords: str
    body: str
    category: str
    is_active: bool
    updated_at: datetime


class WorkingDayOut(_Out):
    day: date
    is_working: bool
    note: str
    updated_at: datetime
