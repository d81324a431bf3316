"""Pure rules that match a work order's names to the territory: its 承办单位 (handling units) to
the units an appeal can be dispatched to (streets and districts, departments, utilities) and its
所属区/街道 to a district or street. A name matches exactly, else after normalising (spaces and
brackets removed, a street's ``办事处`` suffix dropped); a name that matches nothing or more than
one unit is reported, never guessed. No database, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

# A role marker after a unit's name: 建外街道（主办）, 朝阳区城管执法局(协办).
_ROLE_MARK = re.compile(r"[（(\[【]\s*(主办|协办)\s*[）)\]】]")
_NOISE = re.compile(r"[\s()（）\[\]【】〔〕<>《》]+")
_PLACE_SPLIT = re.compile(r"\s*[/／\\、,，;；>＞\-—]+\s*|\s+")
# The levels an imported appeal may be located in by name (a grid needs a point).
PLACE_LEVELS = frozenset({"district", "street"})


def normalise(name: str) -> str:
    """The comparable form of a name: no spaces or brackets, without the ``办事处`` suffix
    (街道办事处 is the formal name of a street's office)."""
    return _NOISE.sub("", name).removesuffix("办事处")


@dataclass(frozen=True)
class Unit:
    """A unit an appeal can be dispatched to (the appeals package's unit reference)."""

    kind: str
    id: int
    name: str
    path: str = ""


@dataclass(frozen=True)
class Place:
    """A district or street of the territory."""

    id: int
    name: str
    level: str
    path: str


T = TypeVar("T")


class _Names(Generic[T]):
    """Name → candidates, exact and normalised."""

    def __init__(self, items: Iterable[tuple[str, T]]) -> None:
        self.exact: dict[str, list[T]] = {}
        self.normal: dict[str, list[T]] = {}
        for name, item in items:
            self.exact.setdefault(name, []).append(item)
            self.normal.setdefault(normalise(name), []).append(item)

    def find(self, name: str) -> list[T]:
        return self.exact.get(name) or self.normal.get(normalise(name), [])


class UnitDirectory:
    """The territory's dispatchable units, looked up by name."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self._names = _Names((u.name, u) for u in units)

    def find(self, name: str) -> list[Unit]:
        return self._names.find(name)


class PlaceDirectory:
    """The territory's districts and streets, looked up by name."""

    def __init__(self, places: Iterable[Place]) -> None:
        kept = [p for p in places if p.level in PLACE_LEVELS]
        self._names = _Names((p.name, p) for p in kept)
        self._districts = sorted(
            (normalise(p.name) for p in kept if p.level == "district"), key=len, reverse=True
        )

    def find(self, name: str) -> list[Place]:
        return self._names.find(name)

    def split(self, text: str) -> list[str]:
        """``朝阳区/建外街道``, ``朝阳区 建外街道`` or ``朝阳区建外街道`` → its parts."""
        parts = [p for p in _PLACE_SPLIT.split(text.strip()) if p]
        if len(parts) == 1 and not self.find(parts[0]):
            whole = normalise(parts[0])
            for district in self._districts:
                if whole.startswith(district) and len(whole) > len(district):
                    return [district, whole[len(district) :]]
        return parts


@dataclass(frozen=True)
class UnitMatch:
    """The lead unit and co-units a work order names, and what could not be matched (Chinese
    messages). ``lead`` is None when the order names no unit or its lead unit is unmatched;
    then no co-unit is kept either (an appeal has no co-units without a lead)."""

    lead: Unit | None = None
    co: tuple[Unit, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def units(self) -> list[tuple[str, Unit]]:
        """(role, unit) in the order the appeal stores them."""
        if self.lead is None:
            return []
        return [("lead", self.lead), *(("co", u) for u in self.co)]


def _one(found: Sequence[Unit] | Sequence[Place], name: str, what: str) -> str | None:
    if not found:
        return f"{what}“{name}”在辖区中找不到"
    if len(found) > 1:
        return f"{what}“{name}”对应多个单位，无法确定"
    return None


def match_units(names: Sequence[str], directory: UnitDirectory) -> UnitMatch:
    """The units of a 承办单位 cell (already split into names). The unit marked 主办 leads,
    else the first one named; the others are co-units (协办)."""
    entries: list[tuple[str, bool]] = []
    for raw in names:
        mark = _ROLE_MARK.search(raw)
        name = _ROLE_MARK.sub("", raw).strip()
        if name:
            entries.append((name, bool(mark and mark.group(1) == "主办")))
    if not entries:
        return UnitMatch()
    lead_at = next((i for i, (_, is_lead) in enumerate(entries) if is_lead), 0)
    problems: list[str] = []
    matched: list[Unit | None] = []
    for name, _ in entries:
        found = directory.find(name)
        problem = _one(found, name, "承办单位")
        if problem:
            problems.append(problem)
        matched.append(found[0] if problem is None else None)
    lead = matched[lead_at]
    if lead is None:
        return UnitMatch(problems=tuple(problems))
    co: list[Unit] = []
    for i, unit in enumerate(matched):
        if i != lead_at and unit is not None and unit != lead and unit not in co:
            co.append(unit)
    return UnitMatch(lead, tuple(co), tuple(problems))


def match_place(
    district: str, street: str, directory: PlaceDirectory
) -> tuple[Place | None, str | None]:
    """The district or street the 所属区/街道 cells name (the most specific one; a street's
    district, when given, must contain it), or None and why not (None, None when empty)."""
    parts = directory.split(district) + directory.split(street)
    if not parts:
        return None, None
    label = "/".join(parts)
    chosen: list[Place] | None = None
    for part in parts:
        found = directory.find(part)
        if chosen is not None:
            inside = [p for p in found if any(p.path.startswith(c.path) for c in chosen)]
            found = inside
        if not found:
            return None, f"所属区/街道“{label}”在辖区中找不到"
        chosen = found
    assert chosen is not None
    if len(chosen) > 1:
        return None, f"所属区/街道“{label}”对应多个区域，无法确定"
    return chosen[0], None
