"""Which appeals of the hot-problem miner are compared and which candidate pairs become
links (rules 2–3 of :mod:`civicgrid.insight.hotspots`). Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from civicgrid.insight import places, similarity


def area_blocks(areas: Sequence[frozenset[str]]) -> list[similarity.Block] | None:
    """Which items are compared (blocking by place): items naming a district against the
    items of that district and those naming none; items naming none against all. Items of
    different districts are never linked (:func:`places.compatible`), so comparing them
    would be wasted work. None (compare all) when fewer than two districts are named."""
    by_area: dict[str, list[int]] = {}
    unplaced: list[int] = []
    for k, named in enumerate(areas):
        if not named:
            unplaced.append(k)
        for a in named:
            by_area.setdefault(a, []).append(k)
    if len(by_area) < 2:
        return None
    wild = np.asarray(unplaced, dtype=np.int64)
    blocks: list[similarity.Block] = []
    for a in sorted(by_area):
        own = np.asarray(by_area[a], dtype=np.int64)
        blocks.append((own, np.union1d(own, wild)))
    if wild.size:
        blocks.append((wild, np.arange(len(areas), dtype=np.int64)))
    return blocks


def _codes(sets: Sequence[frozenset[str]]) -> np.ndarray:
    """One code per item: -1 for an empty set, -2 for several members, else the member's
    number — so that most comparisons between items are array comparisons."""
    numbers: dict[str, int] = {}
    out = np.empty(len(sets), dtype=np.int64)
    for k, members in enumerate(sets):
        if not members:
            out[k] = -1
        elif len(members) > 1:
            out[k] = -2
        else:
            (only,) = members
            out[k] = numbers.setdefault(only, len(numbers))
    return out


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The similarity two items need: ``same_place`` when they name a common specific place,
    ``other_places`` when both name specific places but none in common, ``otherwise``."""

    same_place: float
    other_places: float
    otherwise: float


def edges(
    areas: Sequence[frozenset[str]],
    named: Sequence[frozenset[str]],
    li: np.ndarray,
    lj: np.ndarray,
    sims: np.ndarray,
    thresholds: Thresholds,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The candidate links (li, lj, sims) that pass, with their similarities: never between
    items of different areas (districts), and with the similarity ``thresholds`` asks given
    the items' specific places ``named``. Vectorised; pairs where an item names several areas
    or places are decided one by one."""
    area = _codes(areas)
    place = _codes(named)
    ai, aj, pi, pj = area[li], area[lj], place[li], place[lj]
    compatible = (ai == -1) | (aj == -1) | (ai == aj)
    shared = (pi >= 0) & (pi == pj)
    both = (pi != -1) & (pj != -1)
    needed = np.where(
        shared,
        thresholds.same_place,
        np.where(both, thresholds.other_places, thresholds.otherwise),
    )
    keep = compatible & (sims >= needed)
    for k in np.flatnonzero((ai == -2) | (aj == -2) | (pi == -2) | (pj == -2)).tolist():
        i, j = int(li[k]), int(lj[k])
        pa, pb = named[i], named[j]
        if pa & pb:
            need = thresholds.same_place
        elif pa and pb:
            need = thresholds.other_places
        else:
            need = thresholds.otherwise
        keep[k] = places.compatible(areas[i], areas[j]) and bool(sims[k] >= need)
    return li[keep], lj[keep], sims[keep]
