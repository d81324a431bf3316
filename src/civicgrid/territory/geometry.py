"""Boundaries of regions: parsing and validating GeoJSON polygons with Shapely, areas,
centroids, "inside the parent" and "no overlap between siblings". Pure of the database.

Coordinates are WGS 84 longitude/latitude (GeoJSON order). Areas in square metres use a local
equirectangular projection around the geometry's centroid, which is accurate to well under 1 %
for regions the size of a city.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

# Relative tolerance for "inside" and "overlap" tests: a sliver smaller than this share of the
# smaller polygon is rounding noise of shared edges, not a real overlap (1e-6 of a 10,000 m²
# grid is 0.01 m²).
RELATIVE_TOLERANCE = 1e-6

EARTH_RADIUS_M = 6_371_008.8
POLYGON_TYPES = ("Polygon", "MultiPolygon")

_VALIDITY_REASONS = {
    "Ring Self-intersection": "边界环自相交",
    "Self-intersection": "多边形自相交",
    "Too few points": "边界点数不足",
    "Hole lies outside shell": "内环位于外环之外",
    "Interior is disconnected": "内环把多边形分割成不连通的部分",
    "Nested holes": "内环相互嵌套",
    "Nested shells": "多个外环相互嵌套",
    "Duplicate Rings": "边界环重复",
    "Invalid Coordinate": "坐标无效",
}


class GeometryProblem(ValueError):
    """A boundary that cannot be used; the message is a Chinese sentence naming the reason."""


def parse_boundary(obj: object) -> BaseGeometry:
    """Turn a GeoJSON geometry object into a valid Polygon or MultiPolygon.

    Raises :class:`GeometryProblem` for anything else: not an object, another geometry type,
    broken coordinates, coordinates outside lon/lat range, empty, or invalid (self-intersection
    and the other OGC validity rules).
    """
    if not isinstance(obj, dict):
        raise GeometryProblem("geometry 不是 GeoJSON 几何对象")
    gtype = obj.get("type")
    if gtype not in POLYGON_TYPES:
        raise GeometryProblem(f"geometry 类型应为 Polygon 或 MultiPolygon，实为 {gtype!r}")
    try:
        geom = shape(obj)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise GeometryProblem(f"GeoJSON 坐标格式错误（{exc}）") from exc
    except shapely.errors.GEOSException as exc:
        raise GeometryProblem(f"GeoJSON 坐标格式错误（{exc}）") from exc
    if geom.is_empty:
        raise GeometryProblem("边界为空")
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise GeometryProblem("边界含有非有限数值的坐标")
    lons, lats = coords[:, 0], coords[:, 1]
    if (np.abs(lons) > 180).any() or (np.abs(lats) > 90).any():
        raise GeometryProblem("坐标超出经纬度范围（应为 [经度, 纬度]，WGS 84）")
    if not geom.is_valid:
        raise GeometryProblem(validity_reason(geom))
    return geom


def validity_reason(geom: BaseGeometry) -> str:
    """A Chinese sentence for why ``geom`` is invalid, keeping GEOS's location."""
    explanation = str(explain_validity(geom))
    for key, label in _VALIDITY_REASONS.items():
        if explanation.startswith(key):
            location = explanation[len(key) :].strip()
            return f"{label}{'，位置 ' + location if location else ''}"
    return f"边界几何无效（{explanation}）"


def to_geojson_text(geom: BaseGeometry) -> str:
    """The GeoJSON text stored in ``region.boundary`` (full double precision)."""
    return json.dumps(mapping(geom), separators=(",", ":"))


def to_geojson_object(geom: BaseGeometry) -> dict[str, Any]:
    """The GeoJSON geometry as a JSON-ready dict (lists, not tuples)."""
    result: dict[str, Any] = json.loads(to_geojson_text(geom))
    return result


def from_geojson_text(text: str) -> BaseGeometry:
    """Read a stored boundary back."""
    geom: BaseGeometry = shapely.from_geojson(text)
    return geom


def many_from_geojson_texts(texts: Sequence[str]) -> np.ndarray[Any, Any]:
    """Read many stored boundaries at once (vectorised), as an array of geometries."""
    result: np.ndarray[Any, Any] = shapely.from_geojson(np.asarray(texts, dtype=object))
    return result


def _metres_per_degree(lat: float) -> tuple[float, float]:
    per_degree = math.pi * EARTH_RADIUS_M / 180.0
    return per_degree * math.cos(math.radians(lat)), per_degree


def area_m2(geom: BaseGeometry) -> float:
    """Area in square metres (local equirectangular projection at the centroid)."""
    if geom.is_empty:
        return 0.0
    kx, ky = _metres_per_degree(geom.centroid.y)
    return float(geom.area) * kx * ky


def centroid(geom: BaseGeometry) -> tuple[float, float]:
    """(lon, lat) of the centroid; for odd shapes a point inside is more useful on a map."""
    point = geom.centroid
    if not geom.contains(point):
        point = geom.representative_point()
    return float(point.x), float(point.y)


def outside_share(child: BaseGeometry, parent: BaseGeometry) -> float:
    """The share (0–1) of the child's area that lies outside the parent."""
    area = float(child.area)
    if area == 0.0:
        return 0.0
    return float(child.difference(parent).area) / area


def is_inside(child: BaseGeometry, parent: BaseGeometry) -> bool:
    """Whether the child lies inside the parent, up to rounding slivers on shared edges."""
    if parent.covers(child):
        return True
    return outside_share(child, parent) <= RELATIVE_TOLERANCE


def overlapping_pairs(geoms: Sequence[BaseGeometry]) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, share)`` with ``i < j`` whose interiors overlap by more than rounding
    noise; ``share`` is the overlap as a share of the smaller polygon. Touching along an edge
    or at a point is not an overlap."""
    if len(geoms) < 2:
        return []
    arr = np.asarray(geoms, dtype=object)
    tree = shapely.STRtree(arr)
    left, right = tree.query(arr, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if left.size == 0:
        return []
    inter = shapely.area(shapely.intersection(arr[left], arr[right]))
    smaller = np.minimum(shapely.area(arr[left]), shapely.area(arr[right]))
    share = np.where(smaller > 0, inter / np.where(smaller > 0, smaller, 1.0), 0.0)
    hits = share > RELATIVE_TOLERANCE
    return [
        (int(i), int(j), float(s))
        for i, j, s in zip(left[hits], right[hits], share[hits], strict=True)
    ]


def union(geoms: Sequence[BaseGeometry]) -> BaseGeometry:
    """The union of non-overlapping polygons (a parent's boundary derived from its children)."""
    arr = np.asarray(geoms, dtype=object)
    merged: BaseGeometry = shapely.coverage_union_all(arr)
    if merged.is_empty or not merged.is_valid:
        merged = shapely.union_all(arr)
    if not merged.is_valid:
        merged = shapely.make_valid(merged)
    return merged


def bounds(geom: BaseGeometry) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat)."""
    minx, miny, maxx, maxy = geom.bounds
    return float(minx), float(miny), float(maxx), float(maxy)
