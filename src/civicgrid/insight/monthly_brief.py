"""每月一题 proposals: the rules that turn a district-month's hot-problem groups into the top
candidate problems with their evidence. Pure: no database, no web.

A candidate is one group of the miner (:mod:`civicgrid.insight.hotspots`) with its members'
facts: how many appeals, how many callers called more than once about it (repeat callers, by
the keyed phone hash or the resident's user id — never the number itself), which lead units
handled it, and its trend: how many appeals of each of the three previous months concern the
same place and the same terms (:func:`same_problem`). Candidates are ranked by appeal count,
then repeat callers, then the earliest first appeal, then the label (:func:`rank`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final

TOP: Final = 5
"""Candidates a brief shows: the meeting picks 2–3 problems a month from these."""
TREND_MONTHS: Final = 3
"""Previous months counted for a candidate's trend."""
MIN_SHARED_TERMS: Final = 2
"""Terms an earlier appeal must share with a candidate to count in its trend (fewer when the
candidate has fewer terms)."""


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What a brief needs of one member appeal (``caller`` is an opaque key, "" if unknown;
    ``unit`` the lead unit's name, "" when not dispatched)."""

    caller: str
    unit: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """One proposed problem with its evidence. ``trend`` holds the counts of the previous
    months, oldest first (filled by :func:`with_trend`)."""

    label: str
    terms: tuple[str, ...]
    places: tuple[str, ...]
    appeals: int
    repeat_callers: int
    units: tuple[tuple[str, int], ...]
    first_at: datetime
    member_ids: tuple[int, ...] = ()
    member_numbers: tuple[str, ...] = ()  # the tracking numbers of member_ids, same order
    trend: tuple[int, ...] = ()
    rank: int = 0


@dataclass(frozen=True, slots=True)
class EarlierAppeal:
    """An appeal of a previous month as the trend matcher sees it: its month index (0 = the
    oldest of the previous months), its place keys and its text."""

    month: int
    places: frozenset[str]
    text: str


def repeat_callers(callers: Iterable[str]) -> int:
    """How many distinct known callers appear more than once among ``callers``."""
    counts = Counter(c for c in callers if c)
    return sum(1 for n in counts.values() if n > 1)


def units_involved(units: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """The lead units with their appeal counts, most appeals first (then by name)."""
    counts = Counter(u for u in units if u)
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def candidate(
    *,
    label: str,
    terms: Sequence[str],
    places: Sequence[str],
    first_at: datetime,
    members: Sequence[MemberFacts],
    member_ids: Sequence[int] = (),
    member_numbers: Sequence[str] = (),
) -> Candidate:
    """A candidate from a group and its members' facts."""
    return Candidate(
        label=label,
        terms=tuple(terms),
        places=tuple(places),
        appeals=len(members),
        repeat_callers=repeat_callers(m.caller for m in members),
        units=units_involved(m.unit for m in members),
        first_at=first_at,
        member_ids=tuple(member_ids),
        member_numbers=tuple(member_numbers),
    )


def rank(candidates: Iterable[Candidate], limit: int = TOP) -> list[Candidate]:
    """The top ``limit`` candidates: most appeals, then most repeat callers, then the earliest
    first appeal, then the label; ranks from 1."""
    ordered = sorted(candidates, key=lambda c: (-c.appeals, -c.repeat_callers, c.first_at, c.label))
    return [replace(c, rank=i) for i, c in enumerate(ordered[: max(limit, 0)], 1)]


def same_problem(terms: Sequence[str], places: Iterable[str], earlier: EarlierAppeal) -> bool:
    """Whether an earlier appeal concerns the same problem: it shares a place key with the
    candidate (any place when the candidate names none) and its text contains at least
    :data:`MIN_SHARED_TERMS` of the candidate's terms (all of them when it has fewer)."""
    wanted = frozenset(places)
    if wanted and not wanted & earlier.places:
        return False
    return may_match(terms, earlier.text)


def may_match(terms: Sequence[str], text: str) -> bool:
    """Whether ``text`` contains at least :data:`MIN_SHARED_TERMS` of ``terms`` (all of them
    when there are fewer; never for no terms): the text half of :func:`same_problem`."""
    if not terms:
        return False
    need = min(MIN_SHARED_TERMS, len(terms))
    return sum(1 for t in terms if t in text) >= need


@dataclass(frozen=True, slots=True)
class TrendInput:
    """A candidate's matching keys: its terms and its place keys (as the miner stores them,
    before they are shown by name)."""

    terms: tuple[str, ...]
    place_keys: frozenset[str] = field(default_factory=frozenset)


def trend_counts(
    keys: TrendInput, earlier: Iterable[EarlierAppeal], months: int = TREND_MONTHS
) -> tuple[int, ...]:
    """Per previous month (oldest first), how many earlier appeals concern the same problem."""
    counts = [0] * months
    for e in earlier:
        if 0 <= e.month < months and same_problem(keys.terms, keys.place_keys, e):
            counts[e.month] += 1
    return tuple(counts)


def with_trend(c: Candidate, trend: Sequence[int]) -> Candidate:
    """``c`` with its trend counts."""
    return replace(c, trend=tuple(trend))


def with_units(c: Candidate, units: Iterable[str]) -> Candidate:
    """``c`` with the lead units of its members (their names, "" when not dispatched)."""
    return replace(c, units=units_involved(units))
