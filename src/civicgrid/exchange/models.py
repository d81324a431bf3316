"""The link between an external 12345 work order and the appeal it became."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime


class ExchangeOrder(Base):
    """One imported work order: its number on the hotline platform (unique, so a re-import
    updates the same appeal and never duplicates it) and the appeal it is."""

    __tablename__ = "exchange_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_no: Mapped[str] = mapped_column(String(64), unique=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"), unique=True)
    source_status: Mapped[str] = mapped_column(String(32), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
