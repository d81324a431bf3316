"""Pydantic shapes of the register's JSON API. Personal data leaves only masked, except in
:class:`RevealRead`, which only the audited reveal returns."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt


class _Orm(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TagCreate(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=50)
    family: str
    level: str
    target: str
    is_sensitive: bool = False


class TagRead(_Orm):
    id: int
    code: str
    name: str
    family: str
    level: str
    target: str
    is_sensitive: bool


class AddressCreate(BaseModel):
    grid_code: str = Field(min_length=15, max_length=15)
    name: str = Field(min_length=1, max_length=100)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)


class AddressRead(_Orm):
    id: int
    code: str
    name: str
    grid_id: int
    grid_code: str
    lon: float | None
    lat: float | None


class BuildingCreate(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    floors: int | None = None


class BuildingRead(_Orm):
    id: int
    address_id: int
    name: str
    floors: int | None
    grid_id: int


class HouseCreate(BaseModel):
    unit: str = Field(default="", max_length=20)
    room: str = Field(min_length=1, max_length=20)
    area_m2: float | None = None
    use: str = "residential"
    is_vacant: bool = False


class HouseRead(_Orm):
    id: int
    building_id: int
    unit: str
    room: str
    area_m2: float | None
    use: str
    is_vacant: bool
    grid_id: int
    tags: list[str] = []


class VacancyRequest(BaseModel):
    is_vacant: bool


class ResidentCreate(BaseModel):
    house_id: StrictInt
    name: str = Field(min_length=1, max_length=50)
    id_no: str = Field(min_length=1, max_length=32)
    phone: str = Field(default="", max_length=20)
    ethnicity: str = Field(default="", max_length=20)
    household_place: str = Field(default="", max_length=100)
    kind: str
    relation_to_owner: str = Field(default="", max_length=20)
    from_on: date | None = None
    tags: list[str] = []


class ResidentListItem(BaseModel):
    """A resident as lists show it: ID number and phone masked."""

    id: int
    name: str
    gender: str
    birth_on: date
    id_no_masked: str
    phone_masked: str
    grid_id: int
    tags: list[str] = []


class ResidenceRead(BaseModel):
    id: int
    house_id: int
    address_text: str
    kind: str
    relation_to_owner: str
    from_on: date | None
    to_on: date | None


class ResidentRead(ResidentListItem):
    ethnicity: str
    household_place: str
    residences: list[ResidenceRead] = []


class ResidentPage(BaseModel):
    items: list[ResidentListItem]
    total: int
    """Number of matches, counted up to 1,000 (``total_capped`` when there are more)."""
    total_capped: bool = False


class RevealRequest(BaseModel):
    reason: str = Field(max_length=500)


class RevealRead(BaseModel):
    resident_id: int
    name: str
    id_no: str
    phone: str


class TagRequest(BaseModel):
    tag: str = Field(min_length=1, max_length=50)


class MoveRequest(BaseModel):
    house_id: StrictInt
    kind: str
    relation_to_owner: str = ""
    on: date


class ResidenceCreated(_Orm):
    id: int
    resident_id: int
    house_id: int
    kind: str
    from_on: date | None


class VisitCreate(BaseModel):
    visited_at: datetime
    kind: str = Field(default="routine", max_length=16, description="走访类型 code or label")
    place: str = Field(min_length=1, max_length=200)
    content: str = Field(min_length=1, max_length=5000)
    resident_ids: list[int] = []
    house_ids: list[int] = []
    grid_code: str | None = None


class VisitRead(BaseModel):
    id: int
    worker_label: str
    visited_at: datetime
    kind: str
    place: str
    content: str
    grid_id: int
    resident_ids: list[int] = []
    house_ids: list[int] = []


class PointIn(BaseModel):
    at: datetime
    lon: float
    lat: float


class PatrolCreate(BaseModel):
    grid_code: str
    points: list[PointIn] = Field(max_length=20000)


class PatrolRead(_Orm):
    id: int
    worker_label: str
    started_at: datetime
    ended_at: datetime
    distance_m: float
    grid_id: int
    points: list[PointIn] = []


class RowErrorRead(BaseModel):
    row: int
    field: str
    message: str


class ImportCounts(BaseModel):
    addresses: int
    buildings: int
    houses: int
    residents: int
    residences: int
    resident_tags: int


class ImportReportRead(BaseModel):
    mode: str
    total_rows: int
    valid_rows: int
    imported: int
    rejected: bool
    error_rows: int
    errors: list[RowErrorRead]
    unknown_headers: list[str]
    counts: ImportCounts


class ExportRequest(BaseModel):
    format: str = "csv"
    reveal: bool = False
    reason: str = ""
    grid_id: StrictInt | None = None  # strict: false / "1" are not grid ids


class ResidentUpdate(BaseModel):
    """Corrections to a resident; ``phone`` omitted keeps the stored one, ``""`` removes it."""

    name: str = Field(min_length=1, max_length=50)
    phone: str | None = Field(default=None, max_length=20)
    ethnicity: str = Field(default="", max_length=20)
    household_place: str = Field(default="", max_length=100)


class HouseRegister(BaseModel):
    """A house at a standard address; the building is created when the address lacks it."""

    address_id: StrictInt
    building: str = Field(min_length=1, max_length=50)
    unit: str = Field(default="", max_length=20)
    room: str = Field(min_length=1, max_length=20)
    area_m2: float | None = None
    use: str = "residential"
    is_vacant: bool = False


class HouseUpdate(BaseModel):
    unit: str = Field(default="", max_length=20)
    room: str = Field(min_length=1, max_length=20)
    area_m2: float | None = None
    use: str = "residential"
    is_vacant: bool = False


class HouseChoiceRead(BaseModel):
    """A house as the house picker offers it."""

    id: int
    label: str
    grid_id: int
    group: str = Field(
        default="",
        description="网格名称：仅当本次结果中有相同地址文字的房屋时给出，用于区分（否则为空）",
    )
