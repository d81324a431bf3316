"""Tables of the assessment package: per-appeal facts, the daily rollup and the watermark of the
incremental job. All three are derived data: ``civicgrid assessment rebuild`` recreates them
from the appeals at any time.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime


class AssessmentFact(Base):
    """What one appeal contributes to one assessed unit (rates.appeal_fact): whether and on
    which Beijing date it counts for 响应率, and whether and on which date its callback counts
    for 解决率 / 满意率 or is excluded. An appeal led by a street has a row for the street and
    one for its district. Every drill-down list is read from these rows, and the rollup rows of
    a unit and day are recomputed from them when one of their appeals changes."""

    __tablename__ = "assessment_fact"
    __table_args__ = (
        Index("ix_assessment_fact_unit_response", "unit_type", "unit_id", "response_day"),
        Index("ix_assessment_fact_unit_eval", "unit_type", "unit_id", "eval_day"),
        Index("ix_assessment_fact_pending", "response_state", "response_due_at"),
    )

    appeal_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    unit_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer)
    response_state: Mapped[str] = mapped_column(String(8))
    response_day: Mapped[date | None] = mapped_column(Date)
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    eval_state: Mapped[str] = mapped_column(String(8))
    eval_day: Mapped[date | None] = mapped_column(Date)
    exclusion: Mapped[str] = mapped_column(String(20), default="")
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    satisfaction: Mapped[str] = mapped_column(String(20), default="")


class AssessmentDaily(Base):
    """The 三率 counters of one unit on one Beijing date (the rollup). A period's figures are
    the sums of its days; rows with all counters zero are not stored."""

    __tablename__ = "assessment_daily"
    # Rankings sum one unit type over a range of days for every unit at once.
    __table_args__ = (Index("ix_assessment_daily_type_day", "unit_type", "day"),)

    unit_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    response_due: Mapped[int] = mapped_column(Integer, default=0)
    response_on_time: Mapped[int] = mapped_column(Integer, default=0)
    valid_callbacks: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    fairly_satisfied: Mapped[int] = mapped_column(Integer, default=0)
    excluded: Mapped[int] = mapped_column(Integer, default=0)


class AssessmentWatermark(Base):
    """How far the incremental job has read the appeals' timeline (``appeal_event.id``).
    Events newer than the watermark name the appeals whose facts must be recomputed."""

    __tablename__ = "assessment_watermark"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# The columns of a fact row, in the order the rebuild's SELECT produces them.
FACT_COLUMNS = (
    "appeal_id",
    "unit_type",
    "unit_id",
    "response_state",
    "response_day",
    "response_due_at",
    "eval_state",
    "eval_day",
    "exclusion",
    "resolved",
    "satisfaction",
)

# The counter columns of a rollup row (everything of AssessmentDaily but its key).
COUNTERS = (
    "response_due",
    "response_on_time",
    "valid_callbacks",
    "resolved",
    "satisfied",
    "fairly_satisfied",
    "excluded",
)
