"""The schedule of periodic jobs, shared by every process that runs them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime


class JobRun(Base):
    """When a job last started, across all processes: a worker starts a job only when its
    interval has passed since the last start anywhere, so N workers run it once per interval
    (the advisory lock alone only keeps them from running it at the same moment)."""

    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    runs: Mapped[int] = mapped_column(Integer, default=0)
