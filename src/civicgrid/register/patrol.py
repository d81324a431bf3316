"""Patrol track arithmetic. Pure: no I/O."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class GpsPoint:
    """One GPS fix (WGS 84)."""

    at: datetime
    lon: float
    lat: float


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def track_problem(points: Sequence[GpsPoint]) -> str | None:
    """Why a track cannot be stored, or None."""
    if len(points) < 2:
        return "巡查轨迹至少需要 2 个定位点"
    for p in points:
        if not (-180 <= p.lon <= 180 and -90 <= p.lat <= 90):
            return "定位点坐标超出范围"
        if p.at.tzinfo is None:
            return "定位点时间必须带时区"
    if any(b.at < a.at for a, b in itertools.pairwise(points)):
        return "定位点必须按时间先后排列"
    return None


def track_length_m(points: Sequence[GpsPoint]) -> float:
    """Length of the polyline through the points."""
    return sum(haversine_m(a.lon, a.lat, b.lon, b.lat) for a, b in itertools.pairwise(points))
