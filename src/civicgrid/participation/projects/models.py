"""Tables of annual service projects and their expenses. Amounts are integer fen (分)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime


class ServiceProject(Base):
    """A community service project applied for a year, reviewed, claimed by an organisation
    (认领), carried out within its budget and evaluated."""

    __tablename__ = "participation_project"
    __table_args__ = (Index("ix_participation_project_region_path", "region_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    applicant: Mapped[str] = mapped_column(String(200))
    budget_fen: Mapped[int] = mapped_column(Integer)
    spent_fen: Mapped[int] = mapped_column(Integer, default=0)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    review_note: Mapped[str] = mapped_column(String(1000), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str] = mapped_column(String(200), default="")
    party_org_id: Mapped[int | None] = mapped_column(ForeignKey("participation_party_org.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(Text, default="")
    evaluation_score: Mapped[int | None] = mapped_column(Integer)
    evaluation: Mapped[str] = mapped_column(Text, default="")
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's idiom


class ProjectExpense(Base):
    """One expense of a project (append-only)."""

    __tablename__ = "participation_project_expense"
    __table_args__ = (Index("ix_participation_project_expense_project_id", "project_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("participation_project.id"))
    spent_on: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500))
    recorded_by_label: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
