"""Tables of participation: the link between resident accounts and register residents, and
(imported here so that ``civicgrid.models_index`` needs one line) the sub-packages' tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime
from civicgrid.participation.consultations import models as consultation_models
from civicgrid.participation.projects import models as project_models
from civicgrid.participation.volunteers import models as volunteer_models


class ResidentLink(Base):
    """A resident account (user) linked to the register resident it belongs to, by staff who
    checked the person; votes, evaluations and orders of the account count for that
    resident."""

    __tablename__ = "participation_resident_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("register_resident.id"), unique=True)
    region_path: Mapped[str] = mapped_column(String(255))
    linked_by_label: Mapped[str] = mapped_column(String(100))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())


__all__ = ["ResidentLink", "consultation_models", "project_models", "volunteer_models"]
