"""Grids as the register sees them: id, 15-digit code and materialised path, read through
``civicgrid.territory.queries`` (never through the territory's models)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from civicgrid.territory.levels import RegionLevel
from civicgrid.territory.queries import regions_by_codes


@dataclass(frozen=True)
class GridRef:
    """A grid: region id, code and path."""

    id: int
    code: str
    path: str


def grids_by_code(session: Session, codes: Iterable[str]) -> dict[str, GridRef]:
    """The grids among ``codes`` that exist; unknown codes and regions of other levels are
    left out (register rows always hang on a grid, DOMAIN §3.2)."""
    found = regions_by_codes(session, codes)
    return {
        code: GridRef(region.id, region.code, region.path)
        for code, region in found.items()
        if region.level == RegionLevel.GRID.value
    }
