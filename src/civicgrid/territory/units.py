"""Units an order can be sent to (承办单位), as pickers search them by name: streets and
districts (kind ``region``), departments and utilities. Scoped: a region unit must lie inside
the actor's data scope; a department must belong to a region on the actor's line (above it,
like a city bureau, or inside it); utilities serve areas across the city and are always
offered. Inactive departments and utilities are never offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.territory import queries

UNIT_LEVELS = ("street", "district")
KIND_LABELS = {"region": "街乡/区", "department": "职能部门", "utility": "公共服务企业"}
KIND_ORDER = ("region", "department", "utility")


@dataclass(frozen=True, slots=True)
class UnitRef:
    """A unit by kind and id; ``value`` is ``kind:id`` as the dispatch forms post it."""

    kind: Literal["region", "department", "utility"]
    id: int
    name: str

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def group(self) -> str:
        return KIND_LABELS[self.kind]


def _on_line(actor: Actor, path: str) -> bool:
    """A region above or inside the actor's scope."""
    scope = actor.scope
    return scope.is_global or any(
        path.startswith(p) or p.startswith(path) for p in scope.region_paths
    )


def units_for(
    session: Session, actor: Actor, *, kinds: tuple[str, ...] = KIND_ORDER
) -> list[UnitRef]:
    """Every unit of ``kinds`` the actor may choose, regions (streets before districts, by
    code) first, then departments, then utilities."""
    # Units are streets and districts; departments answer for a district or the city. Grids
    # and communities (tens of thousands in a city) are not read.
    regions = queries.region_heads_at(session, ("city", *UNIT_LEVELS))
    paths = {r.id: r.path for r in regions}
    found: list[UnitRef] = []
    if "region" in kinds:
        units = [r for r in regions if r.level in UNIT_LEVELS and actor.scope.covers_path(r.path)]
        units.sort(key=lambda r: (r.level != "street", r.code))
        found += [UnitRef("region", r.id, r.name) for r in units]
    if "department" in kinds:
        departments = [d for d in queries.list_departments(session) if d.is_active]
        paths.update(
            queries.region_paths(session, {d.region_id for d in departments} - paths.keys())
        )
        found += [
            UnitRef("department", d.id, d.name)
            for d in departments
            if _on_line(actor, paths.get(d.region_id, ""))
        ]
    if "utility" in kinds:
        found += [
            UnitRef("utility", u.id, u.name) for u in queries.list_utilities(session) if u.is_active
        ]
    return found


def search_units(
    session: Session,
    actor: Actor,
    q: str,
    *,
    kinds: tuple[str, ...] = KIND_ORDER,
    limit: int = 20,
) -> list[UnitRef]:
    """Units whose name contains every space-separated part of ``q`` (case-insensitive); names
    starting with the query come first. An empty ``q`` lists the first ``limit`` units."""
    parts = [p.casefold() for p in q.split() if p]
    units = units_for(session, actor, kinds=kinds)
    hits = [u for u in units if all(p in u.name.casefold() for p in parts)]
    if parts:
        hits.sort(key=lambda u: not u.name.casefold().startswith(parts[0]))
    return hits[: max(1, limit)]
