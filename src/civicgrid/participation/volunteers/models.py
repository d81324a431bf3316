"""Tables of volunteer service: teams, volunteers, party organisations (双报到), service
orders, service records and certificates. Rows carry the community's ``region_path``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime


class VolunteerTeam(Base):
    """A volunteer team of a community (e.g. the five colour teams)."""

    __tablename__ = "participation_team"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    colour: Mapped[str] = mapped_column(String(20), default="")
    service_area: Mapped[str] = mapped_column(String(200), default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PartyOrganisation(Base):
    """A party organisation registered with a community (单位党组织双报到)."""

    __tablename__ = "participation_party_org"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(100), default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Volunteer(Base):
    """A registered volunteer (志愿者): skills, availability, team; a serving party member
    (在职党员) registers with the community and names the party organisation."""

    __tablename__ = "participation_volunteer"
    __table_args__ = (Index("ix_participation_volunteer_region_path", "region_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_no: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    phone_masked: Mapped[str] = mapped_column(String(20), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), unique=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("register_resident.id"))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    availability: Mapped[str] = mapped_column(String(200), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("participation_team.id"))
    is_party_member: Mapped[bool] = mapped_column(default=False)
    party_org_id: Mapped[int | None] = mapped_column(ForeignKey("participation_party_org.id"))
    party_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ServiceOrder(Base):
    """A resident's service order (点单), assigned to a team (派单), taken by a volunteer
    (接单), served, confirmed and rated."""

    __tablename__ = "participation_order"
    __table_args__ = (Index("ix_participation_order_region_path", "region_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    skill: Mapped[str] = mapped_column(String(40), default="")
    wanted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requester_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requester_label: Mapped[str] = mapped_column(String(100))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("register_resident.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("participation_team.id"))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("participation_volunteer.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's idiom


class ServiceRecord(Base):
    """Time a volunteer served (志愿服务记录): actual minutes, travel excluded; confirmed by
    the resident served (or by staff for activities without a requester)."""

    __tablename__ = "participation_service_record"
    __table_args__ = (Index("ix_participation_service_record_volunteer_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("participation_volunteer.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("participation_order.id"), unique=True)
    activity: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    travel_minutes: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int] = mapped_column(Integer)
    recorded_by_label: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_label: Mapped[str] = mapped_column(String(100), default="")
    region_path: Mapped[str] = mapped_column(String(255))


class ServiceCertificate(Base):
    """A service certificate (志愿服务证明) as issued: number, issuer, hours (DOMAIN §6 [V4])."""

    __tablename__ = "participation_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("participation_volunteer.id"))
    issuer: Mapped[str] = mapped_column(String(200))
    signer: Mapped[str] = mapped_column(String(50))
    handler: Mapped[str] = mapped_column(String(50))
    contact: Mapped[str] = mapped_column(String(50))
    minutes_total: Mapped[int] = mapped_column(Integer)
    record_count: Mapped[int] = mapped_column(Integer)
    content_summary: Mapped[str] = mapped_column(Text, default="")
    region_path: Mapped[str] = mapped_column(String(255))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
