"""Tables of the territory package: regions, departments, utilities and their service areas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime


class Region(Base):
    """A piece of the territory at one level: city, district, street (街乡), community (社区/村)
    or grid (网格). Cities to communities carry 12-digit division codes (GB/T 2260 + 乡级 +
    村级); grids carry 15-digit codes (district 6 + street 3 + community 3 + sequence 3, as in
    the Beijing grid standard). ``path`` is the materialised chain of ids (``/1/4/17/``) used
    for data-scope prefix tests; ``boundary`` is a GeoJSON geometry (Polygon/MultiPolygon,
    WGS 84 lon/lat)."""

    __tablename__ = "region"
    __table_args__ = (
        Index("ix_region_path", "path"),
        Index("ix_region_parent_id", "parent_id"),
        Index("ix_region_level", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    path: Mapped[str] = mapped_column(String(255), default="")
    boundary: Mapped[str | None] = mapped_column(Text)
    centroid_lon: Mapped[float | None]
    centroid_lat: Mapped[float | None]
    area_m2: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Department(Base):
    """A functional department (职能部门, 条) such as 城管, 住建 or 市场监管, answering for a
    region (its district or the whole city)."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    duties: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Utility(Base):
    """A public-service enterprise (公共服务企业: water, power, gas, heating, telecom …) that
    receives orders for the regions of its service area."""

    __tablename__ = "utility"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    service: Mapped[str] = mapped_column(String(32))
    hotline: Mapped[str] = mapped_column(String(32), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UtilityServiceArea(Base):
    """One region served by a utility; a utility's service area is the union of its rows
    (and every descendant of those regions)."""

    __tablename__ = "utility_service_area"
    __table_args__ = (UniqueConstraint("utility_id", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    utility_id: Mapped[int] = mapped_column(ForeignKey("utility.id", ondelete="CASCADE"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
