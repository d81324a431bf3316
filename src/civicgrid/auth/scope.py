"""Data scope: which territory, departments and utilities an actor may see. Pure: no I/O.

A post at region X sees X and all of its descendants. Regions carry a materialised path
(``/1/4/17/``), so "is Y inside X" is a prefix test on paths.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DataScope:
    """What one actor may see, derived from all of the actor's posts."""

    is_global: bool = False
    region_paths: frozenset[str] = field(default_factory=frozenset)
    department_ids: frozenset[int] = field(default_factory=frozenset)
    utility_ids: frozenset[int] = field(default_factory=frozenset)

    def covers_path(self, path: str) -> bool:
        """Whether a region with this materialised path lies inside the scope."""
        return self.is_global or any(path.startswith(p) for p in self.region_paths)

    def covers_department(self, department_id: int) -> bool:
        return self.is_global or department_id in self.department_ids

    def covers_utility(self, utility_id: int) -> bool:
        return self.is_global or utility_id in self.utility_ids

    @property
    def is_empty(self) -> bool:
        return not (self.is_global or self.region_paths or self.department_ids or self.utility_ids)

    def minimal_paths(self) -> tuple[str, ...]:
        """Region paths with nested ones removed (for compact SQL prefix filters)."""
        return minimal_prefixes(self.region_paths)


GLOBAL_SCOPE = DataScope(is_global=True)
EMPTY_SCOPE = DataScope()


def minimal_prefixes(paths: Iterable[str]) -> tuple[str, ...]:
    """Drop every path that lies under another path of the set; sorted."""
    kept: list[str] = []
    for p in sorted(set(paths)):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return tuple(kept)


def merge_scopes(scopes: Iterable[DataScope]) -> DataScope:
    """The union of several posts' scopes."""
    scopes = list(scopes)
    if any(s.is_global for s in scopes):
        return GLOBAL_SCOPE
    return DataScope(
        region_paths=frozenset(minimal_prefixes(p for s in scopes for p in s.region_paths)),
        department_ids=frozenset(d for s in scopes for d in s.department_ids),
        utility_ids=frozenset(u for s in scopes for u in s.utility_ids),
    )
