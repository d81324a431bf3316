"""Tables of the dispatch package: the catalogue as loaded into the database, the
dispatchers' corrections kept as training feedback, and automatic routing's attempts.

The catalogue's rules live in :mod:`.catalogue` (parsing, validation) and :mod:`.routing`
(who handles an item); this module only stores their inputs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime


class CatalogueItemRow(Base):
    """One category of the dispatch catalogue (派单目录) at level 1, 2 or 3 (DOMAIN §7).

    ``owner_rule`` says who handles matters of the category by default: the street of the
    place (属地), a district department of the kind ``owner_unit``, a utility whose service is
    ``owner_unit``, the hotline's knowledge base, or nobody of its own (grouping levels).
    ``version`` is the catalogue version the row was last loaded or edited under. Items are
    never deleted (old appeals and feedback still name them); they are switched off with
    ``is_active``.
    """

    __tablename__ = "catalogue_item"
    __table_args__ = (
        Index("ix_catalogue_item_parent_code", "parent_code"),
        Index("ix_catalogue_item_level", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    parent_code: Mapped[str | None] = mapped_column(String(6))
    level: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    owner_rule: Mapped[str] = mapped_column(String(16))
    owner_unit: Mapped[str] = mapped_column(String(50), default="")
    default_level: Mapped[str] = mapped_column(String(2), default="L3")
    default_finish_days: Mapped[int] = mapped_column(Integer, default=7)
    requires_site_visit: Mapped[bool] = mapped_column(Boolean, default=False)
    whistle_candidate: Mapped[bool] = mapped_column(Boolean, default=False)
    keywords: Mapped[str] = mapped_column(String(500), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DispatchFeedback(Base):
    """A dispatcher's correction of the classifier (派单纠错): for one appeal, what the model
    proposed (label and probability, or nothing when no model answered) and which catalogue
    item the dispatcher chose. The text is kept as the model saw it, so that the row can train
    the next model even after the appeal was edited. Rows are append-only."""

    __tablename__ = "dispatch_feedback"
    __table_args__ = (
        Index("ix_dispatch_feedback_appeal_id", "appeal_id"),
        Index("ix_dispatch_feedback_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    predicted_label: Mapped[str] = mapped_column(String(100), default="")
    predicted_probability: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String(64), default="")
    chosen_code: Mapped[str] = mapped_column(String(6))
    actor_user_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class RoutingAttempt(Base):
    """One attempt of automatic routing on an appeal: the classifier version it used
    (``none`` when no model could be loaded, empty for attempts recorded before versions
    were), the outcome (:class:`~civicgrid.dispatch.queries.AttemptOutcome`), why, and when.
    The background job's queue is the appeals waiting for dispatch without an attempt with
    the current model version. Rows are append-only."""

    __tablename__ = "dispatch_routing_attempt"
    __table_args__ = (
        Index("ix_dispatch_routing_attempt_appeal_model", "appeal_id", "model_version"),
        Index("ix_dispatch_routing_attempt_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())
