"""Pydantic shapes of the territory API and the inputs of its use cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from civicgrid.territory.levels import RegionLevel


class UtilityService(StrEnum):
    """What a public-service enterprise supplies; stored as its English code."""

    WATER = "water"
    POWER = "power"
    GAS = "gas"
    HEATING = "heating"
    TELECOM = "telecom"
    DRAINAGE = "drainage"

    @property
    def label(self) -> str:
        return UTILITY_SERVICE_LABELS[self]


UTILITY_SERVICE_LABELS: dict[UtilityService, str] = {
    UtilityService.WATER: "供水",
    UtilityService.POWER: "供电",
    UtilityService.GAS: "燃气",
    UtilityService.HEATING: "供热",
    UtilityService.TELECOM: "通信",
    UtilityService.DRAINAGE: "排水",
}


class DepartmentCreate(BaseModel):
    """A functional department to create, answering for the region ``region_code``."""

    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=100)
    region_code: str = Field(min_length=12, max_length=15)
    duties: str = ""


class UtilityCreate(BaseModel):
    """A utility to create with its service area (region codes; descendants included)."""

    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=100)
    service: UtilityService
    hotline: str = Field(default="", max_length=32)
    service_area_codes: list[str] = Field(default_factory=list)


class ServiceAreaUpdate(BaseModel):
    """The complete new service area of a utility."""

    region_codes: list[str]


@dataclass(frozen=True)
class TerritorySpec:
    """A whole territory to create in one go: regions as a GeoJSON FeatureCollection (see
    ``docs/domain/territory.md`` for the feature properties), departments and utilities."""

    features: dict[str, Any]
    departments: tuple[DepartmentCreate, ...] = ()
    utilities: tuple[UtilityCreate, ...] = ()


@dataclass(frozen=True)
class ImportSummary:
    """What an import created."""

    created: int
    by_level: dict[str, int] = field(default_factory=dict)
    derived_boundaries: int = 0


@dataclass(frozen=True)
class SpecSummary:
    """What :func:`civicgrid.territory.service.create_from_spec` created."""

    regions: ImportSummary
    departments: int
    utilities: int


# --- read models of the API ---------------------------------------------------------------


class RegionRef(BaseModel):
    """A region named on a chain or in a list of children."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: RegionLevel
    level_label: str


class RegionRead(BaseModel):
    """One region with its parent chain, children and boundary (GeoJSON geometry)."""

    code: str
    name: str
    level: RegionLevel
    level_label: str
    parent_code: str | None
    ancestors: list[RegionRef]
    children: list[RegionRef]
    centroid: list[float] | None = Field(description="[经度, 纬度]")
    area_m2: float | None
    boundary: dict[str, Any] | None = Field(description="GeoJSON geometry (WGS 84)")


class LocateRead(BaseModel):
    """The grid holding a point and the chain of its ancestors (city first)."""

    lon: float
    lat: float
    code: str
    name: str
    grid: RegionRef
    ancestors: list[RegionRef]


class DepartmentRead(BaseModel):
    code: str
    name: str
    region_code: str
    duties: str
    is_active: bool


class UtilityRead(BaseModel):
    code: str
    name: str
    service: UtilityService
    service_label: str
    hotline: str
    is_active: bool
    service_area_codes: list[str]


class ImportRead(BaseModel):
    """The answer to a successful import."""

    created: int
    by_level: dict[str, int]
    derived_boundaries: int


class UnitChoiceRead(BaseModel):
    """A unit an order can be sent to, as the unit pickers show it."""

    kind: Literal["region", "department", "utility"]
    id: int
    name: str
    group: str = Field(description="街乡/区, 职能部门 or 公共服务企业")
    value: str = Field(description="kind:id, as the dispatch forms post it")
