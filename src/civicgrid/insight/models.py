"""Tables of proactive governance (主动治理, 每月一题): the monthly topic, the governance tasks
adopted under it, their milestones and the appeals linked to them.

Trends and candidates are computed on read from the appeals. Hot problems are computed on
read too, and the ``insight.hotspots`` job keeps a copy of the current and previous month's per
district and for the city (:class:`HotspotSnapshot`), because mining takes seconds.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicgrid.db import Base, UTCDateTime


class MonthlyTopic(Base):
    """每月一题: the theme of one month (DOMAIN §1.7) for the whole city (``region_path`` "")
    or for one district (its materialised path). Each topic has one theme and 2–3 concrete
    problems, each adopted as a :class:`GovernanceTask` with a lead department; the districts'
    topics of a month and the city's do not clash."""

    __tablename__ = "insight_monthly_topic"
    __table_args__ = (UniqueConstraint("year", "month", "region_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    region_path: Mapped[str] = mapped_column(String(255), default="", server_default="")
    theme: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    tasks: Mapped[list[GovernanceTask]] = relationship(
        back_populates="topic", lazy="selectin", order_by="GovernanceTask.id"
    )


class GovernanceTask(Base):
    """One problem a leader adopted for proactive governance: what it is (``problem_key`` —
    the category or hot-problem label it came from, with the figures that made it a candidate
    in ``source_stats``), who leads (a department) and who cooperates, the measures, and where
    it stands (``status``, see :class:`civicgrid.insight.governance.TaskStatus`).

    ``category`` (when set) and ``region_path`` define which appeals count for the before/after
    volume comparison; appeals can also be linked by hand (:class:`TaskAppealLink`).
    """

    __tablename__ = "insight_task"
    __table_args__ = (
        Index("ix_insight_task_topic_id", "topic_id"),
        Index("ix_insight_task_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("insight_monthly_topic.id"))
    title: Mapped[str] = mapped_column(String(200))
    problem_key: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    region_path: Mapped[str] = mapped_column(String(255), default="")
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    co_department_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    measures: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    source_stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    adopted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    adopted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    topic: Mapped[MonthlyTopic] = relationship(back_populates="tasks")
    milestones: Mapped[list[TaskMilestone]] = relationship(
        back_populates="task", lazy="selectin", order_by="TaskMilestone.id"
    )


class TaskMilestone(Base):
    """A dated step of a governance task's plan (e.g. "排查完毕", "整改完成 80%");
    ``done_on`` is set when the step is reported done."""

    __tablename__ = "insight_task_milestone"
    __table_args__ = (Index("ix_insight_task_milestone_task_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("insight_task.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    task: Mapped[GovernanceTask] = relationship(back_populates="milestones")


class TaskAppealLink(Base):
    """An appeal counted as part of a governance task's problem (linked by a user)."""

    __tablename__ = "insight_task_appeal"
    __table_args__ = (Index("ix_insight_task_appeal_appeal_id", "appeal_id"),)

    task_id: Mapped[int] = mapped_column(
        ForeignKey("insight_task.id", ondelete="CASCADE"), primary_key=True
    )
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id"), primary_key=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    linked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class HotspotSnapshot(Base):
    """The hot problems (热点问题) of one month in one district or the whole city, as mined by
    the ``insight.hotspots`` job at ``computed_at``: a cache of
    :func:`civicgrid.insight.analysis.hotspots_for`, served while it is fresh.

    ``region_path`` is the district's materialised path ("" for the city); ``hotspots`` holds
    the explained groups, hottest first, each with its members' appeal ids and region paths so
    that a reader sees only the groups lying wholly inside the reader's data scope.
    """

    __tablename__ = "insight_hotspot_cache"
    __table_args__ = (UniqueConstraint("period_key", "region_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_key: Mapped[str] = mapped_column(String(30))
    region_path: Mapped[str] = mapped_column(String(255), default="")
    appeals: Mapped[int] = mapped_column(Integer, default=0)
    hotspots: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    compute_ms: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
