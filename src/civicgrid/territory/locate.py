"""Which grid holds a point: an STRtree over the grid boundaries, one point at a time or many
at once, and a process-wide cache of the index that is rebuilt when the territory changes.

The rest of the code never touches polygons: it calls :func:`locate` (with ancestors, for
appeals and the API) or :meth:`LocateIndex.locate_many` (for bulk work such as geocoding a
year of appeals). A point on the edge shared by two grids belongs to the grid that comes first
by code, so every point inside the territory gets exactly one grid.

Two levels make the vectorised path fast. A raster of small cells over the territory's
bounding box remembers, for every cell that no grid boundary crosses, the one grid holding the
whole cell (or that no grid holds it); points falling in such a "pure" cell are answered by an
array lookup. Only points in cells crossed by a boundary go to the STRtree with an exact
point-in-polygon predicate. Pure cells are found by marking every cell touched by a boundary
segment (segments are cut to cell length first, so marking is conservative), then labelling the
connected areas of unmarked cells: such an area is never crossed by a boundary, so one exact
lookup of one of its cells labels all of them.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from scipy import ndimage
from sqlalchemy import event
from sqlalchemy.orm import Session

from civicgrid import clock
from civicgrid.db import database_of
from civicgrid.territory import queries
from civicgrid.territory.geometry import many_from_geojson_texts
from civicgrid.territory.levels import RegionLevel

NOT_FOUND = -1
_CROSSED = -2  # raster cell crossed by a grid boundary: needs the exact test

# Raster resolution: cells per median grid width/height, and a ceiling on the number of cells
# (int32 labels: 8M cells = 32 MB).
CELLS_PER_GRID = 16
MAX_CELLS = 8_000_000

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]


@dataclass(frozen=True)
class RegionSummary:
    """Code, name and level of one region on a located grid's chain."""

    region_id: int
    code: str
    name: str
    level: RegionLevel


@dataclass(frozen=True)
class LocatedGrid:
    """The grid holding a point and its ancestors (city first)."""

    grid: RegionSummary
    ancestors: tuple[RegionSummary, ...]


class LocateIndex:
    """An immutable STRtree over grid polygons. Positions (0..n-1) follow the grid order given
    to the constructor; :attr:`ids`, :attr:`codes` and (when given) :attr:`paths`, the
    materialised paths, map positions back to regions."""

    def __init__(
        self,
        ids: Sequence[int],
        codes: Sequence[str],
        geoms: Sequence[Any],
        *,
        paths: Sequence[str] | None = None,
    ) -> None:
        if not len(ids) == len(codes) == len(geoms):
            raise ValueError("ids, codes and geometries must have the same length")
        if paths is not None and len(paths) != len(ids):
            raise ValueError("paths must have one entry per grid")
        self.ids: IntArray = np.asarray(ids, dtype=np.int64)
        self.codes: tuple[str, ...] = tuple(codes)
        self.paths: tuple[str, ...] | None = tuple(paths) if paths is not None else None
        self.geoms = np.asarray(geoms, dtype=object)
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        self.raster = _Raster.build(self.geoms, self.tree) if len(self.codes) else None

    @classmethod
    def from_geojson_texts(
        cls,
        ids: Sequence[int],
        codes: Sequence[str],
        texts: Sequence[str],
        *,
        paths: Sequence[str] | None = None,
    ) -> LocateIndex:
        """Build from stored GeoJSON boundaries."""
        return cls(ids, codes, list(many_from_geojson_texts(texts)), paths=paths)

    def __len__(self) -> int:
        return len(self.codes)

    def locate_position(self, lon: float, lat: float) -> int:
        """Position of the grid holding (lon, lat), or :data:`NOT_FOUND`."""
        if self.raster is not None:
            label = self.raster.label_of(lon, lat)
            if label != _CROSSED:
                return label
        return self._exact_position(lon, lat)

    def _exact_position(self, lon: float, lat: float) -> int:
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        if hits.size == 0:
            return NOT_FOUND
        return int(hits.min())

    def locate_id(self, lon: float, lat: float) -> int | None:
        """Region id of the grid holding (lon, lat), or ``None``."""
        pos = self.locate_position(lon, lat)
        return None if pos == NOT_FOUND else int(self.ids[pos])

    def locate_grid(self, lon: float, lat: float) -> tuple[int, str] | None:
        """Region id and materialised path of the grid holding (lon, lat), or ``None``; needs
        an index built with paths."""
        if self.paths is None:
            raise ValueError("this index was built without paths")
        pos = self.locate_position(lon, lat)
        return None if pos == NOT_FOUND else (int(self.ids[pos]), self.paths[pos])

    def locate_many(self, lons: Any, lats: Any) -> IntArray:
        """Positions of the grids holding each point (vectorised); :data:`NOT_FOUND` for points
        outside every grid. ``lons`` and ``lats`` are equal-length array-likes."""
        x = np.asarray(lons, dtype=np.float64)
        y = np.asarray(lats, dtype=np.float64)
        if x.shape != y.shape or x.ndim != 1:
            raise ValueError("lons and lats must be one-dimensional and of equal length")
        if x.size == 0 or self.raster is None:
            return np.full(x.shape[0], NOT_FOUND, dtype=np.int64)
        result = self.raster.labels_of(x, y)
        todo = np.flatnonzero(result == _CROSSED)
        if todo.size:
            result[todo] = self._exact_many(x[todo], y[todo])
        return result

    def _exact_many(self, x: FloatArray, y: FloatArray) -> IntArray:
        """The STRtree path: exact point-in-polygon for every point."""
        result: IntArray = np.full(x.shape[0], NOT_FOUND, dtype=np.int64)
        points = shapely.points(x, y)
        point_idx, grid_pos = self.tree.query(points, predicate="intersects")
        if point_idx.size == 0:
            return result
        result[point_idx] = grid_pos
        counts = np.bincount(point_idx, minlength=x.shape[0])
        shared = counts[point_idx] > 1
        if shared.any():
            # Points on an edge shared by two grids: the first grid by position wins.
            fix = np.full(x.shape[0], np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(fix, point_idx[shared], grid_pos[shared])
            touched = counts > 1
            result[touched] = fix[touched]
        return result

    def locate_many_ids(self, lons: Any, lats: Any) -> IntArray:
        """Region ids of the grids holding each point (vectorised); -1 outside."""
        pos = self.locate_many(lons, lats)
        ids: IntArray = np.where(pos >= 0, self.ids[np.maximum(pos, 0)], NOT_FOUND)
        return ids


class _Raster:
    """Cells over the bounding box of the grids with the grid position holding each whole
    cell, :data:`NOT_FOUND` for cells outside every grid, or :data:`_CROSSED`."""

    def __init__(
        self, x0: float, y0: float, dx: float, dy: float, labels: np.ndarray[Any, Any]
    ) -> None:
        self.x0, self.y0, self.dx, self.dy = x0, y0, dx, dy
        self.labels = labels  # shape (ny, nx), int32
        self.ny, self.nx = labels.shape

    @classmethod
    def build(cls, geoms: np.ndarray[Any, Any], tree: shapely.STRtree) -> _Raster:
        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(geoms))
        b = shapely.bounds(geoms)
        width = max(float(np.median(b[:, 2] - b[:, 0])), 1e-9)
        height = max(float(np.median(b[:, 3] - b[:, 1])), 1e-9)
        dx, dy = width / CELLS_PER_GRID, height / CELLS_PER_GRID
        nx = int((maxx - minx) / dx) + 1
        ny = int((maxy - miny) / dy) + 1
        while nx * ny > MAX_CELLS:
            # A sparse territory (grids far apart): coarser cells, more points take the STRtree.
            grow = max(float(np.sqrt(nx * ny / MAX_CELLS)), 1.05)
            dx, dy = dx * grow, dy * grow
            nx = int((maxx - minx) / dx) + 1
            ny = int((maxy - miny) / dy) + 1
        crossed = np.zeros((ny, nx), dtype=bool)
        _mark_boundaries(crossed, geoms, minx, miny, dx, dy)

        components, count = ndimage.label(~crossed)
        labels = np.full((ny, nx), _CROSSED, dtype=np.int32)
        if count:
            # One exact lookup per connected area of uncrossed cells, at one of its centres.
            flat = components.ravel()
            order = np.argsort(flat, kind="stable")
            starts = np.searchsorted(flat[order], np.arange(1, count + 1))
            first_cell = order[starts]
            cy, cx = np.divmod(first_cell, nx)
            px = minx + (cx + 0.5) * dx
            py = miny + (cy + 0.5) * dy
            found: IntArray = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
            point_idx, grid_pos = tree.query(shapely.points(px, py), predicate="intersects")
            np.minimum.at(found, point_idx, grid_pos)
            found[found == np.iinfo(np.int64).max] = NOT_FOUND
            area_label = np.concatenate(([_CROSSED], found)).astype(np.int32)
            labels = area_label[components]
        return cls(minx, miny, dx, dy, labels)

    def labels_of(self, x: FloatArray, y: FloatArray) -> IntArray:
        ix = np.floor((x - self.x0) / self.dx)
        iy = np.floor((y - self.y0) / self.dy)
        inside = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        result: IntArray = np.full(x.shape[0], NOT_FOUND, dtype=np.int64)
        result[inside] = self.labels[iy[inside].astype(np.intp), ix[inside].astype(np.intp)]
        return result

    def label_of(self, lon: float, lat: float) -> int:
        ix = int((lon - self.x0) // self.dx)
        iy = int((lat - self.y0) // self.dy)
        if 0 <= ix < self.nx and 0 <= iy < self.ny:
            return int(self.labels[iy, ix])
        return NOT_FOUND


def _mark_boundaries(
    crossed: np.ndarray[Any, Any],
    geoms: np.ndarray[Any, Any],
    x0: float,
    y0: float,
    dx: float,
    dy: float,
) -> None:
    """Mark every cell that a boundary segment touches (conservatively, with a small margin)."""
    parts = shapely.get_parts(geoms)
    rings = shapely.get_rings(parts)
    coords, ring_idx = shapely.get_coordinates(rings, return_index=True)
    same = ring_idx[:-1] == ring_idx[1:]
    ax = (coords[:-1, 0][same] - x0) / dx
    ay = (coords[:-1, 1][same] - y0) / dy
    bx = (coords[1:, 0][same] - x0) / dx
    by = (coords[1:, 1][same] - y0) / dy
    # Cut segments into pieces at most one cell long, so each piece's box spans ≤ 2×2 cells.
    pieces = np.maximum(np.ceil(np.maximum(np.abs(bx - ax), np.abs(by - ay))), 1).astype(np.intp)
    seg = np.repeat(np.arange(ax.size), pieces)
    starts = np.cumsum(pieces) - pieces
    k = np.arange(seg.size) - np.repeat(starts, pieces)
    t0 = k / pieces[seg]
    t1 = (k + 1) / pieces[seg]
    px0 = ax[seg] + (bx[seg] - ax[seg]) * t0
    py0 = ay[seg] + (by[seg] - ay[seg]) * t0
    px1 = ax[seg] + (bx[seg] - ax[seg]) * t1
    py1 = ay[seg] + (by[seg] - ay[seg]) * t1
    eps = 1e-6
    ny, nx = crossed.shape
    lo_x = np.clip(np.floor(np.minimum(px0, px1) - eps), 0, nx - 1).astype(np.intp)
    hi_x = np.clip(np.floor(np.maximum(px0, px1) + eps), 0, nx - 1).astype(np.intp)
    lo_y = np.clip(np.floor(np.minimum(py0, py1) - eps), 0, ny - 1).astype(np.intp)
    hi_y = np.clip(np.floor(np.maximum(py0, py1) + eps), 0, ny - 1).astype(np.intp)
    for cy in (lo_y, hi_y):
        for cx in (lo_x, hi_x):
            crossed[cy, cx] = True


@dataclass
class _Entry:
    index: LocateIndex
    fingerprint: tuple[object, ...]
    checked_at: float


class LocateCache:
    """Holds the index of the current territory, one per database (engine or connection);
    thread-safe.

    The grids' fingerprint in the database is read at most once every ``check_seconds`` per
    database (not on every lookup), and the index is rebuilt when it changed: every app process
    notices an import made by another process within that interval. Territory writes in this
    process call :meth:`invalidate` after their commit, so the next lookup checks at once.
    ``monotonic`` (seconds) is injectable so that tests move time without sleeping.
    """

    def __init__(
        self, *, check_seconds: float = 1.0, monotonic: Callable[[], float] = clock.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._entries: weakref.WeakKeyDictionary[object, _Entry] = weakref.WeakKeyDictionary()
        self._check_seconds = check_seconds
        self._monotonic = monotonic
        self._generation = 0
        self.builds = 0
        self.checks = 0

    def index(self, session: Session) -> LocateIndex:
        """The index for the territory as ``session`` sees it (at most ``check_seconds`` old
        for changes made by other processes)."""
        key = database_of(session)
        now = self._monotonic()
        with self._lock:
            entry = self._entries.get(key)
            generation = self._generation
            if entry is not None and now - entry.checked_at < self._check_seconds:
                return entry.index
        fingerprint = queries.grid_fingerprint(session)
        self.checks += 1
        if entry is not None and entry.fingerprint == fingerprint:
            with self._lock:
                if self._generation == generation:
                    entry.checked_at = now
            return entry.index
        rows = queries.grid_rows(session)
        index = LocateIndex.from_geojson_texts(
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[4] for r in rows],
            paths=[r[3] for r in rows],
        )
        with self._lock:
            # An invalidation during the build leaves the entry due for another check.
            checked_at = now if self._generation == generation else float("-inf")
            self._entries[key] = _Entry(index, fingerprint, checked_at)
            self.builds += 1
        return index

    def invalidate(self) -> None:
        """Make the next lookup of every database read the fingerprint again (called after a
        territory write commits)."""
        with self._lock:
            self._generation += 1
            for entry in self._entries.values():
                entry.checked_at = float("-inf")

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()


CACHE = LocateCache()


_TERRITORY_CHANGED = "civicgrid.territory_changed"


def invalidate_after_commit(session: Session) -> None:
    """Have the process-wide cache check the territory again once ``session`` commits.
    Joins the caller's transaction (it only marks the session)."""
    session.info[_TERRITORY_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _invalidate_on_commit(session: Session) -> None:
    if session.info.pop(_TERRITORY_CHANGED, False):
        CACHE.invalidate()


def locate(
    session: Session, lon: float, lat: float, *, cache: LocateCache | None = None
) -> LocatedGrid | None:
    """The grid holding (lon, lat) with its ancestors, or ``None`` outside the territory."""
    index = (cache or CACHE).index(session)
    grid_id = index.locate_id(lon, lat)
    if grid_id is None:
        return None
    found = queries.regions_by_ids(session, [grid_id])
    grid = found.get(grid_id)
    if grid is None:
        return None
    chain = queries.ancestors(session, grid)
    return LocatedGrid(
        grid=_summary(grid),
        ancestors=tuple(_summary(r) for r in chain),
    )


def _summary(region: Any) -> RegionSummary:
    return RegionSummary(
        region_id=region.id, code=region.code, name=region.name, level=RegionLevel(region.level)
    )
