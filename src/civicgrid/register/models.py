"""Tables of the register (一标三实): standard addresses, buildings, houses, residents, their
residences, tags, grid workers' visits and patrol tracks.

Every row that carries personal data has ``grid_id`` and a denormalised ``region_path`` (the
materialised path of its grid, ``/1/4/17/42/``) so that data-scope filters are a prefix test on
one indexed column. ID numbers and phones are stored only encrypted (``*_enc``), with a keyed
hash for exact lookup (``*_hash``) and the display mask (``*_masked``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime

# Region-path indexes serve the data-scope prefix (``LIKE '/1/4/%'``) on PostgreSQL under any
# collation only with the pattern operator class (migration perf_0005).
_PATTERN = {"region_path": "varchar_pattern_ops"}


class Address(Base):
    """A standard address (标准地址): a road and door plate or a compound (小区/院) inside one
    grid, e.g. 幸福路12号院. ``code`` is the grid code followed by a 5-digit sequence; the grid
    code is kept beside the grid id for exports."""

    __tablename__ = "register_address"
    __table_args__ = (
        UniqueConstraint("grid_id", "name"),
        Index("ix_register_address_region_path", "region_path", postgresql_ops=_PATTERN),
        # Substring search (``name LIKE '%…%'``) through a trigram index; PostgreSQL only
        # (pg_trgm, migration search_0001); SQLite scans, which is fine at its sizes.
        Index(
            "ix_register_address_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    grid_code: Mapped[str] = mapped_column(String(15))
    region_path: Mapped[str] = mapped_column(String(255))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Building(Base):
    """A building (楼栋) at a standard address, e.g. 3号楼."""

    __tablename__ = "register_building"
    __table_args__ = (
        UniqueConstraint("address_id", "name"),
        Index("ix_register_building_region_path", "region_path", postgresql_ops=_PATTERN),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("register_address.id"))
    name: Mapped[str] = mapped_column(String(50))
    floors: Mapped[int | None]
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class House(Base):
    """A house or room (房屋) in a building: unit (单元, may be empty) and room number, floor
    area, use, and whether it stands empty (空房). ``label`` is its full address text
    (address + building + unit + room, :func:`civicgrid.register.rules.house_label`), stored
    so that the house picker and the residents search by address can match it through an
    index; the use cases that create or change houses keep it (migration perf_0002)."""

    __tablename__ = "register_house"
    __table_args__ = (
        UniqueConstraint("building_id", "unit", "room"),
        Index("ix_register_house_region_path", "region_path", postgresql_ops=_PATTERN),
        # Substring search over the label (PostgreSQL, pg_trgm); SQLite scans.
        Index(
            "ix_register_house_label_trgm",
            "label",
            postgresql_using="gin",
            postgresql_ops={"label": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("register_building.id"))
    unit: Mapped[str] = mapped_column(String(20), default="")
    room: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200), default="", server_default="")
    area_m2: Mapped[float | None] = mapped_column(Float)
    use: Mapped[str] = mapped_column(String(16), default="residential")
    is_vacant: Mapped[bool] = mapped_column(default=False)
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Resident(Base):
    """A person actually living in the territory (实有人口). The ID number and phone are
    encrypted at rest; birth date and gender come from the ID number. ``grid_id`` is the grid
    of the person's current residence."""

    __tablename__ = "register_resident"
    __table_args__ = (
        Index(
            "ix_register_resident_region_path",
            "region_path",
            postgresql_ops={"region_path": "varchar_pattern_ops"},
        ),
        Index("ix_register_resident_phone_hash", "phone_hash"),
        # varchar_pattern_ops: name-prefix LIKE can use the index under any collation.
        Index("ix_register_resident_name", "name", postgresql_ops={"name": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(1))
    birth_on: Mapped[date] = mapped_column(Date)
    id_no_enc: Mapped[str] = mapped_column(Text)
    id_no_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_no_masked: Mapped[str] = mapped_column(String(18))
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    phone_masked: Mapped[str] = mapped_column(String(20), default="")
    ethnicity: Mapped[str] = mapped_column(String(20), default="")
    household_place: Mapped[str] = mapped_column(String(100), default="")
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Residence(Base):
    """人房关系: a resident living in a house — 自住 (owner), 租住 (tenant) or 寄住 (lodger) —
    with the relation to the owner and the dates; ``to_on`` is empty while it lasts."""

    __tablename__ = "register_residence"
    __table_args__ = (
        Index("ix_register_residence_resident_id", "resident_id"),
        Index("ix_register_residence_house_id", "house_id"),
        Index("ix_register_residence_region_path", "region_path", postgresql_ops=_PATTERN),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("register_resident.id"))
    house_id: Mapped[int] = mapped_column(ForeignKey("register_house.id"))
    kind: Mapped[str] = mapped_column(String(16))
    relation_to_owner: Mapped[str] = mapped_column(String(20), default="")
    from_on: Mapped[date | None] = mapped_column(Date)
    to_on: Mapped[date | None] = mapped_column(Date)
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))


class Tag(Base):
    """A label put on residents or houses (党员, 低保, 独居老人, 残疾人, 重点人员, 空房 …),
    owned by a business family and managed at one level of government."""

    __tablename__ = "register_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    family: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(16))
    is_sensitive: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResidentTag(Base):
    """A tag on a resident."""

    __tablename__ = "register_resident_tag"
    __table_args__ = (
        UniqueConstraint("resident_id", "tag_id"),
        Index("ix_register_resident_tag_tag_id", "tag_id"),
        Index("ix_register_resident_tag_region_path", "region_path", postgresql_ops=_PATTERN),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("register_resident.id"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("register_tag.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HouseTag(Base):
    """A tag on a house (空房, 出租房 …)."""

    __tablename__ = "register_house_tag"
    __table_args__ = (
        UniqueConstraint("house_id", "tag_id"),
        Index("ix_register_house_tag_tag_id", "tag_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("register_house.id"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("register_tag.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Visit(Base):
    """A grid worker's visit (走访): when, what kind (``rules.VisitKind``), where, what was
    found, and whom it concerned."""

    __tablename__ = "register_visit"
    __table_args__ = (
        Index("ix_register_visit_region_path", "region_path", postgresql_ops=_PATTERN),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    worker_label: Mapped[str] = mapped_column(String(200))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16), default="routine", server_default="routine")
    place: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VisitSubject(Base):
    """A resident or a house a visit concerned (exactly one of the two)."""

    __tablename__ = "register_visit_subject"
    __table_args__ = (Index("ix_register_visit_subject_visit_id", "visit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("register_visit.id", ondelete="CASCADE"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("register_resident.id"))
    house_id: Mapped[int | None] = mapped_column(ForeignKey("register_house.id"))


class PatrolTrack(Base):
    """A grid worker's patrol (巡查) as a GPS track; whereabouts are sensitive (PIPL Art. 28),
    so tracks are scoped like residents."""

    __tablename__ = "register_patrol_track"
    __table_args__ = (
        Index("ix_register_patrol_track_region_path", "region_path", postgresql_ops=_PATTERN),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    worker_label: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    grid_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    region_path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PatrolPoint(Base):
    """One GPS fix of a patrol track (WGS 84)."""

    __tablename__ = "register_patrol_point"
    __table_args__ = (Index("ix_register_patrol_point_track_id", "track_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(
        ForeignKey("register_patrol_track.id", ondelete="CASCADE")
    )
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
