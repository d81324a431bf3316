"""Tables of consultations (议事协商). Every consultation carries its region and the region's
materialised path (``region_path``) so that data-scope filters are a prefix test."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime


class Consultation(Base):
    """One topic deliberated by residents and the parties concerned, from proposal to the
    residents' evaluation of the outcome (DOMAIN §5)."""

    __tablename__ = "participation_consultation"
    __table_args__ = (Index("ix_participation_consultation_region_path", "region_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str] = mapped_column(String(100), default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(24))
    proposed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    proposed_by_label: Mapped[str] = mapped_column(String(100), default="")
    notice_text: Mapped[str] = mapped_column(Text, default="")
    materials: Mapped[str] = mapped_column(Text, default="")
    noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    feedback: Mapped[str] = mapped_column(Text, default="")
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's idiom


class ConsultationParticipant(Base):
    """A participant by 6+X category: a person or an organisation, optionally a registered
    resident."""

    __tablename__ = "participation_participant"
    __table_args__ = (Index("ix_participation_participant_consultation_id", "consultation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("participation_consultation.id"))
    category: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(100), default="")
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("register_resident.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsultationMeeting(Base):
    """A consultation meeting with its minutes (会议纪要)."""

    __tablename__ = "participation_meeting"
    __table_args__ = (Index("ix_participation_meeting_consultation_id", "consultation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("participation_consultation.id"))
    held_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(String(200))
    attendee_count: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[str] = mapped_column(Text)
    recorded_by_label: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsultationOption(Base):
    """An option residents vote on (方案)."""

    __tablename__ = "participation_option"
    __table_args__ = (UniqueConstraint("consultation_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("participation_consultation.id"))
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)


class ConsultationVote(Base):
    """One eligible resident's vote; the unique key makes a second vote impossible even
    under concurrent requests."""

    __tablename__ = "participation_vote"
    __table_args__ = (UniqueConstraint("consultation_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("participation_consultation.id"))
    option_id: Mapped[int] = mapped_column(ForeignKey("participation_option.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("register_resident.id"))
    cast_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    on_behalf: Mapped[bool] = mapped_column(default=False)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsultationTask(Base):
    """An implementation task of the resolution (采纳-落实-反馈)."""

    __tablename__ = "participation_task"
    __table_args__ = (Index("ix_participation_task_consultation_id", "consultation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("participation_consultation.id"))
    title: Mapped[str] = mapped_column(String(200))
    assignee: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsultationEvaluation(Base):
    """A resident's evaluation of the published outcome, one per resident."""

    __tablename__ = "participation_evaluation"
    __table_args__ = (UniqueConstraint("consultation_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("participation_consultation.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("register_resident.id"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
