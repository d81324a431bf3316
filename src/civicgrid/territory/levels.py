"""Region levels and their code rules. Pure: no I/O."""

from __future__ import annotations

from enum import StrEnum


class RegionLevel(StrEnum):
    """The five levels of the territory (DOMAIN §3)."""

    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]

    @property
    def rank(self) -> int:
        return LEVEL_ORDER.index(self)

    @property
    def child(self) -> RegionLevel | None:
        i = self.rank
        return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None

    @property
    def parent(self) -> RegionLevel | None:
        i = self.rank
        return LEVEL_ORDER[i - 1] if i > 0 else None


LEVEL_ORDER: tuple[RegionLevel, ...] = (
    RegionLevel.CITY,
    RegionLevel.DISTRICT,
    RegionLevel.STREET,
    RegionLevel.COMMUNITY,
    RegionLevel.GRID,
)

LEVEL_LABELS: dict[RegionLevel, str] = {
    RegionLevel.CITY: "市",
    RegionLevel.DISTRICT: "区",
    RegionLevel.STREET: "街道(乡镇)",
    RegionLevel.COMMUNITY: "社区(村)",
    RegionLevel.GRID: "网格",
}
