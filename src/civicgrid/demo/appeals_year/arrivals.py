"""When appeals arrive and about what: the catalogue item weighted by category volume (DOMAIN
§1.9) and by season, and receipt times over the year by the hour of the day."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

from civicgrid.clock import BEIJING
from civicgrid.dispatch.catalogue import Catalogue, CatalogueItem

# Share of the year's volume by first-level category (DOMAIN §1.9, 2020 top ten, rounded).
CATEGORY_WEIGHTS = {
    "01": 12.0,
    "02": 12.0,
    "03": 6.0,
    "04": 13.0,
    "05": 8.0,
    "06": 9.0,
    "07": 6.0,
    "08": 7.0,
    "09": 5.0,
    "10": 4.0,
    "11": 6.0,
    "12": 4.0,
    "13": 1.0,
    "14": 3.0,
    "15": 11.0,
    "99": 3.0,
}
WINTER = (11, 12, 1, 2, 3)
SUMMER = (6, 7, 8)
HOURS = (
    (0, 0.3), (1, 0.2), (2, 0.1), (3, 0.1), (4, 0.1), (5, 0.2), (6, 0.6), (7, 1.5),
    (8, 3.5), (9, 5.5), (10, 6.0), (11, 5.0), (12, 3.0), (13, 3.5), (14, 5.0), (15, 5.0),
    (16, 4.5), (17, 3.5), (18, 2.5), (19, 3.0), (20, 3.0), (21, 2.0), (22, 1.2), (23, 0.6),
)  # fmt: skip


def season(code: str, month: int) -> float:
    """How much more (or less) often an item comes up in ``month`` than on average."""
    if code == "040403":
        return 3.0 if month in (10, 11) else (1.0 if month in WINTER else 0.3)
    if code.startswith("0404"):
        return {11: 8.0, 12: 7.0, 1: 7.0, 2: 4.0, 3: 2.5}.get(month, 0.15)
    if code == "140403":
        return {12: 5.0, 1: 6.0, 2: 4.0}.get(month, 0.05)
    if code.startswith("0406") or code in ("140401", "140402"):
        return {6: 3.0, 7: 6.0, 8: 5.0, 5: 1.2, 9: 1.2}.get(month, 0.3)
    if code == "010504":
        return {4: 5.0, 5: 4.0}.get(month, 0.5)
    if code == "010501":
        return 3.0 if month in SUMMER else 0.6
    if code.startswith(("0401", "0402")) or code in ("010404", "070102", "070201"):
        return 1.8 if month in SUMMER else 0.9
    if code in ("100101", "100102", "100104"):
        return 3.0 if month in (4, 5, 6, 7, 8) else 0.5
    if code in ("080101", "080103"):
        return 3.0 if month in (12, 1) else 0.8
    return 1.0


def item_tables(catalogue: Catalogue) -> tuple[list[CatalogueItem], dict[int, list[float]]]:
    leaves = sorted(catalogue.leaves(), key=lambda i: i.code)
    per_l1: Counter[str] = Counter(i.code[:2] for i in leaves)
    base: list[float] = []
    for item in leaves:
        weight = CATEGORY_WEIGHTS.get(item.code[:2], 1.0) / per_l1[item.code[:2]]
        if item.default_level == "L1":
            weight *= 0.35
        base.append(weight)
    tables: dict[int, list[float]] = {}
    for month in range(1, 13):
        acc, running = [], 0.0
        for item, weight in zip(leaves, base, strict=True):
            running += weight * season(item.code, month)
            acc.append(running)
        tables[month] = acc
    return leaves, tables


def receipt_times(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    days = max(1, (end - start).days)
    hours, hour_weights = zip(*HOURS, strict=True)
    out: list[datetime] = []
    first_day = start.astimezone(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
    while len(out) < count:
        day = first_day + timedelta(days=rng.randrange(days + 1))
        weekend = day.weekday() >= 5
        if weekend and rng.random() < 0.2:
            continue
        hour = rng.choices(hours, weights=hour_weights)[0]
        at = day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
        if start <= at < end - timedelta(minutes=15):
            out.append(at)
    out.sort()
    return out
