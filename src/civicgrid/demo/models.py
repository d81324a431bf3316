"""The demo city's marker row: which seed and scale built it, and how far the build of the
year's history is (``make run`` serves the city while the history is still being built, and the
pages show that progress from this row)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime


class DemoCity(Base):
    """One row when the database holds a demo city (none in a real deployment).

    The appeals of the year are built in two parts: the recent weeks (``recent_from`` up to
    ``year_end``) with the rest of the city, and the history before ``recent_from``, either in
    the same transaction or later by ``civicgrid demo-history`` (``history_state``)."""

    __tablename__ = "demo_city"

    id: Mapped[int] = mapped_column(primary_key=True)
    seed: Mapped[int] = mapped_column(Integer)
    scale: Mapped[str] = mapped_column(String(20))
    year_end: Mapped[datetime] = mapped_column(UTCDateTime())
    recent_from: Mapped[datetime] = mapped_column(UTCDateTime())
    residents_per_grid: Mapped[int] = mapped_column(Integer)
    appeals_total: Mapped[int] = mapped_column(Integer)
    """Appeals of the whole year (both parts)."""
    history_total: Mapped[int] = mapped_column(Integer)
    history_done: Mapped[int] = mapped_column(Integer, default=0)
    history_state: Mapped[str] = mapped_column(String(20))
    """``pending`` (left for later), ``building``, ``complete`` or ``failed``."""
    history_pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    history_message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    history_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    history_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    history_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
