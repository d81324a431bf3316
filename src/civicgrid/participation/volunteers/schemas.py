"""Pydantic schemas of the volunteer-service API (/api/v1/participation/...)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from civicgrid.participation.volunteers import rules as r
from civicgrid.participation.volunteers.models import (
    ServiceCertificate,
    ServiceOrder,
    ServiceRecord,
    Volunteer,
)


class TeamCreate(BaseModel):
    region_code: str = Field(min_length=1, max_length=15)
    name: str = Field(min_length=1, max_length=100)
    colour: str = Field(default="", max_length=20)
    service_area: str = Field(default="", max_length=200)


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    colour: str
    service_area: str
    region_id: int


class PartyOrgCreate(BaseModel):
    region_code: str = Field(min_length=1, max_length=15)
    name: str = Field(min_length=1, max_length=200)
    contact: str = Field(default="", max_length=100)


class PartyOrgRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    contact: str
    region_id: int
    reported_at: datetime


class PartyOrgSummaryRead(BaseModel):
    org: PartyOrgRead
    member_count: int
    hours: str


class VolunteerCreate(BaseModel):
    region_code: str = Field(min_length=1, max_length=15)
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field(default="", max_length=30)
    skills: list[str] = Field(default_factory=list, max_length=12)
    availability: str = Field(default="", max_length=200)
    team_id: int | None = None
    is_party_member: bool = False
    party_org_id: int | None = None
    resident_id: int | None = None
    user_id: int | None = None


class VolunteerRead(BaseModel):
    id: int
    volunteer_no: str
    name: str
    phone_masked: str
    skills: list[str]
    availability: str
    team_id: int | None
    is_party_member: bool
    party_org_id: int | None
    region_id: int
    confirmed_hours: str

    @classmethod
    def of(cls, v: Volunteer, minutes: int = 0) -> VolunteerRead:
        return cls(
            id=v.id,
            volunteer_no=v.volunteer_no,
            name=v.name,
            phone_masked=v.phone_masked,
            skills=list(v.skills),
            availability=v.availability,
            team_id=v.team_id,
            is_party_member=v.is_party_member,
            party_org_id=v.party_org_id,
            region_id=v.region_id,
            confirmed_hours=r.hours_text(minutes),
        )


class TeamAssignment(BaseModel):
    team_id: int | None


class OrderCreate(BaseModel):
    region_code: str = Field(min_length=1, max_length=15)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    skill: str = Field(default="", max_length=40)
    wanted_at: datetime | None = None
    resident_id: int | None = Field(default=None, description="工作人员代居民点单时填写")


class AssignRequest(BaseModel):
    team_id: int


class TakeRequest(BaseModel):
    volunteer_id: int | None = Field(default=None, description="工作人员代志愿者接单时填写")


class RecordCreate(BaseModel):
    started_at: datetime
    ended_at: datetime
    travel_minutes: int = Field(default=0, description="路途时间（分钟），不计入服务时长")
    content: str = Field(default="", max_length=2000)
    place: str = Field(default="", max_length=200)


class ActivityRecordCreate(RecordCreate):
    activity: str = Field(min_length=1, max_length=200)


class RateRequest(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=500)


class CancelOrderRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class OrderRead(BaseModel):
    id: int
    number: str
    title: str
    description: str
    skill: str
    wanted_at: datetime | None
    requester: str
    region_id: int
    status: str
    status_label: str
    team_id: int | None
    volunteer_id: int | None
    rating: int | None
    created_at: datetime

    @classmethod
    def of(cls, o: ServiceOrder) -> OrderRead:
        return cls(
            id=o.id,
            number=o.number,
            title=o.title,
            description=o.description,
            skill=o.skill,
            wanted_at=o.wanted_at,
            requester=o.requester_label,
            region_id=o.region_id,
            status=o.status,
            status_label=r.OrderStatus(o.status).label,
            team_id=o.team_id,
            volunteer_id=o.volunteer_id,
            rating=o.rating,
            created_at=o.created_at,
        )


class RecordRead(BaseModel):
    id: int
    volunteer_id: int
    order_id: int | None
    activity: str
    started_at: datetime
    ended_at: datetime
    travel_minutes: int
    minutes: int
    hours: str
    confirmed_at: datetime | None

    @classmethod
    def of(cls, x: ServiceRecord) -> RecordRead:
        return cls(
            id=x.id,
            volunteer_id=x.volunteer_id,
            order_id=x.order_id,
            activity=x.activity,
            started_at=x.started_at,
            ended_at=x.ended_at,
            travel_minutes=x.travel_minutes,
            minutes=x.minutes,
            hours=r.hours_text(x.minutes),
            confirmed_at=x.confirmed_at,
        )


class CertificateCreate(BaseModel):
    signer: str = Field(min_length=1, max_length=50)
    handler: str = Field(min_length=1, max_length=50)
    contact: str = Field(min_length=1, max_length=50)


class CertificateRead(BaseModel):
    id: int
    number: str
    volunteer_id: int
    issuer: str
    signer: str
    handler: str
    contact: str
    hours: str
    record_count: int
    issued_at: datetime
    print_url: str

    @classmethod
    def of(cls, c: ServiceCertificate) -> CertificateRead:
        return cls(
            id=c.id,
            number=c.number,
            volunteer_id=c.volunteer_id,
            issuer=c.issuer,
            signer=c.signer,
            handler=c.handler,
            contact=c.contact,
            hours=r.hours_text(c.minutes_total),
            record_count=c.record_count,
            issued_at=c.issued_at,
            print_url=f"/participation/certificates/{c.id}",
        )
