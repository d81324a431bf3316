"""Tables of the appeals package (接诉即办): the order, its units, its append-only timeline and
the records beside it (attachments, extensions, send-backs, whistles, supervision, callbacks),
plus the knowledge base, the per-day number counter and the working-day overrides.

Statuses, actions and deadline arithmetic are pure rules in ``states``, ``workflow`` and
``deadlines``; this module only stores their results.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    event,
    func,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from civicgrid.db import Base, UTCDateTime


class Appeal(Base):
    """One citizen's appeal (诉求, 工单), from intake to closure (DOMAIN §2.4).

    ``number`` is the human-readable unique number (date + daily sequence). The caller's name
    and phone are Fernet-encrypted; ``caller_phone_hash`` is a keyed hash for finding repeat
    callers without decrypting. ``region_path`` copies the materialised path of the region the
    appeal lies in, so data-scope filters are prefix tests. Deadlines are stored when the event
    that starts them happens (intake, dispatch, approved extension); warning colours are derived
    on read. ``version`` guards against lost updates: a concurrent change raises a conflict.

    ``excluded_from_rates`` is the centre's reviewed finding that the demand is unreasonable
    (不合理诉求), which takes the order out of 三率; ``unreasonable_reason``, ``_at`` and
    ``_by_*`` say why, when and by whom the finding in force was made (all NULL when there is
    none; a revocation clears them, the timeline keeps the history). ``unreasonable_applied_*``
    hold the lead unit's pending application for that finding (reason, time, applicant); the
    centre's approval or rejection clears them (NULL: no application pending).
    """

    __tablename__ = "appeal"
    __table_args__ = (
        Index("ix_appeal_status", "status"),
        Index("ix_appeal_received_at", "received_at"),
        Index("ix_appeal_region_path", "region_path"),
        Index("ix_appeal_resident_user_id", "resident_user_id"),
        Index("ix_appeal_merged_into_id", "merged_into_id"),
        Index("ix_appeal_caller_phone_hash", "caller_phone_hash"),
        Index("ix_appeal_created_by_user_id", "created_by_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    flow: Mapped[str] = mapped_column(String(16))
    appeal_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255), default="")
    caller_name_enc: Mapped[str] = mapped_column(Text, default="")
    caller_phone_enc: Mapped[str] = mapped_column(Text, default="")
    caller_phone_hash: Mapped[str] = mapped_column(String(64), default="")
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    resident_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    dispatch_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finish_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatch_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finish_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disposition: Mapped[str] = mapped_column(String(32), default="")
    disposition_note: Mapped[str] = mapped_column(Text, default="")
    knowledge_article_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_article.id"))
    reply_text: Mapped[str] = mapped_column(Text, default="")
    resolved: Mapped[bool | None]
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("appeal.id"))
    reporter_grid_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    excluded_from_rates: Mapped[bool] = mapped_column(Boolean, default=False)
    unreasonable_reason: Mapped[str | None] = mapped_column(Text)
    unreasonable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unreasonable_by_user_id: Mapped[int | None]
    unreasonable_by_label: Mapped[str | None] = mapped_column(String(200))
    unreasonable_applied_reason: Mapped[str | None] = mapped_column(Text)
    unreasonable_applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unreasonable_applied_by_user_id: Mapped[int | None]
    unreasonable_applied_by_label: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    units: Mapped[list[AppealUnit]] = relationship(
        back_populates="appeal", lazy="selectin", order_by="AppealUnit.id"
    )


# The list's text search (``lower(column) LIKE '%…%'``, ``queries.access.text_condition``)
# through trigram indexes; PostgreSQL only (pg_trgm, migration search_0002), SQLite scans.
for _column in (Appeal.title, Appeal.content, Appeal.address):
    Index(
        f"ix_appeal_{_column.key}_trgm",
        func.lower(_column).label(f"lower_{_column.key}"),
        postgresql_using="gin",
        postgresql_ops={f"lower_{_column.key}": "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")


class AppealUnit(Base):
    """A unit an appeal is dispatched to: the lead unit (主办) or a co-unit (协办). A unit is a
    region (street, 街乡), a department or a utility, referenced by kind and id. A re-dispatch
    releases the earlier assignments (``released_at``); the rows stay as history."""

    __tablename__ = "appeal_unit"
    __table_args__ = (
        Index("ix_appeal_unit_appeal_id", "appeal_id"),
        Index("ix_appeal_unit_unit", "unit_kind", "unit_id"),
        Index("ix_appeal_unit_unit_path", "unit_path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(8))
    unit_kind: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int] = mapped_column(Integer)
    unit_name: Mapped[str] = mapped_column(String(100))
    unit_path: Mapped[str] = mapped_column(String(255), default="")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    appeal: Mapped[Appeal] = relationship(back_populates="units")


# The data scope's path ranges under the "C" collation (``queries.access``) are answered on
# PostgreSQL by indexes on ``path COLLATE "C"`` (migration perf_0001, the source of truth: the
# database reports such an index as one on the plain column, so it is declared that way here);
# SQLite compares bytes and uses the plain path indexes. The handlers' own-unit questions read
# ``ix_appeal_unit_active`` alone.
Index("ix_appeal_region_path_c", Appeal.region_path, postgresql_include=["id"]).ddl_if(
    dialect="postgresql"
)
Index(
    "ix_appeal_unit_region_path_c",
    AppealUnit.unit_path,
    AppealUnit.appeal_id,
    postgresql_where=and_(AppealUnit.unit_kind == "region", AppealUnit.released_at.is_(None)),
).ddl_if(dialect="postgresql")
Index(
    "ix_appeal_unit_active",
    AppealUnit.unit_kind,
    AppealUnit.unit_id,
    AppealUnit.role,
    AppealUnit.appeal_id,
    postgresql_where=AppealUnit.released_at.is_(None),
    sqlite_where=AppealUnit.released_at.is_(None),
)


class TimelineEvent(Base):
    """One entry of an appeal's history: an action, who took it, when, the status before and
    after, and a note. Rows are append-only (never updated or deleted), like the audit log."""

    __tablename__ = "appeal_event"
    __table_args__ = (Index("ix_appeal_event_appeal_id", "appeal_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(32), default="")
    to_status: Mapped[str] = mapped_column(String(32), default="")
    actor_user_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove a timeline event."""


@event.listens_for(TimelineEvent, "before_update")
def _refuse_update(_mapper: Mapper[Any], _conn: Any, target: TimelineEvent) -> None:
    raise AppendOnlyError(f"timeline event {target.id} is append-only")


@event.listens_for(TimelineEvent, "before_delete")
def _refuse_delete(_mapper: Mapper[Any], _conn: Any, target: TimelineEvent) -> None:
    raise AppendOnlyError(f"timeline event {target.id} is append-only")


class Attachment(Base):
    """A photo attached to an appeal (随手拍, patrol report, handling evidence). The bytes live
    in the media store under ``media_key``; the type was checked by content."""

    __tablename__ = "appeal_attachment"
    __table_args__ = (Index("ix_appeal_attachment_appeal_id", "appeal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16), default="report")
    media_key: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_by_user_id: Mapped[int | None]
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Extension(Base):
    """A request for a later finish deadline (延期), made before the old one passes and
    decided by the centre; approval moves the appeal's finish deadline."""

    __tablename__ = "appeal_extension"
    __table_args__ = (Index("ix_appeal_extension_appeal_id", "appeal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    old_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requested_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_by_user_id: Mapped[int | None]
    decision: Mapped[str] = mapped_column(String(16), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_user_id: Mapped[int | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")


class ReturnRequest(Base):
    """A unit's send-back of a mis-sent order (退单) with its reason, reviewed by the centre:
    approved → the order waits for re-dispatch (改派); rejected → the unit keeps it."""

    __tablename__ = "appeal_return"
    __table_args__ = (Index("ix_appeal_return_appeal_id", "appeal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"))
    unit_kind: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_by_user_id: Mapped[int | None]
    decision: Mapped[str] = mapped_column(String(16), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_user_id: Mapped[int | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")


class Whistle(Base):
    """吹哨报到: a street summons departments on site by a deadline (default 30 minutes) for a
    problem it cannot solve alone (DOMAIN §1.8). Arrivals are recorded per summons."""

    __tablename__ = "appeal_whistle"
    __table_args__ = (Index("ix_appeal_whistle_appeal_id", "appeal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    called_at: Mapped[datetime] = mapped_column(UTCDateTime())
    arrive_by: Mapped[datetime] = mapped_column(UTCDateTime())
    called_by_user_id: Mapped[int | None]

    summons: Mapped[list[WhistleSummons]] = relationship(
        back_populates="whistle", lazy="selectin", order_by="WhistleSummons.id"
    )


class WhistleSummons(Base):
    """One department called by a whistle, and when (if) it reported on site."""

    __tablename__ = "appeal_whistle_summons"
    __table_args__ = (UniqueConstraint("whistle_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    whistle_id: Mapped[int] = mapped_column(ForeignKey("appeal_whistle.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    department_name: Mapped[str] = mapped_column(String(100))
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    arrival_note: Mapped[str] = mapped_column(Text, default="")

    whistle: Mapped[Whistle] = relationship(back_populates="summons")


class Supervision(Base):
    """A supervision note (督办) or a reminder (催办) on an appeal, by a supervisor or by the
    deadline sweep. ``sweep_key`` makes the sweep's reminders idempotent (one per deadline)."""

    __tablename__ = "appeal_supervision"
    __table_args__ = (
        Index("ix_appeal_supervision_appeal_id", "appeal_id"),
        UniqueConstraint("appeal_id", "sweep_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_user_id: Mapped[int | None]
    by_label: Mapped[str] = mapped_column(String(200))
    sweep_key: Mapped[str | None] = mapped_column(String(64))


class Callback(Base):
    """The caller's answer (回访): solved or not, and the rating. ``channel`` says how it came
    in: ``phone`` for the centre's call back, ``self_service`` for the caller's own rating on
    the portal or through the API (自助评价). Merged duplicates keep their own callers, so each
    merged appeal gets its own callback row."""

    __tablename__ = "appeal_callback"
    __table_args__ = (Index("ix_appeal_callback_appeal_id", "appeal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[bool] = mapped_column(Boolean)
    satisfaction: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16), default="phone")
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_user_id: Mapped[int | None]


class TrackingFailure(Base):
    """A failed attempt to track an appeal by number and phone tail (查询进度). Counted per
    number over a sliding window to stop guessing the four digits; nothing else is kept (no
    phone digits, no address)."""

    __tablename__ = "appeal_tracking_failure"
    __table_args__ = (Index("ix_appeal_tracking_failure_number_at", "number", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class KnowledgeArticle(Base):
    """An entry of the hotline knowledge base (知识库): the answer operators read out when an
    inquiry can be answered at intake (直接答复)."""

    __tablename__ = "knowledge_article"
    __table_args__ = (Index("ix_knowledge_article_title", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    keywords: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(100), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DailySequence(Base):
    """The last appeal number handed out on one day (Beijing date). Incremented with a single
    ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` so concurrent intakes never share a number."""

    __tablename__ = "appeal_daily_sequence"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class WorkingDayOverride(Base):
    """A local correction to the official working-day calendar: a day declared working or
    not working (an extra holiday, a make-up working day the library does not know)."""

    __tablename__ = "working_day_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_user_id: Mapped[int | None]
