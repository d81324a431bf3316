"""The second pass of hot-problem mining: one problem told in very different words. Pure: no
I/O, no clock.

Text similarity joins appeals that say the same thing in similar words. Some problems — a
fraud case, a named company, a project — are told by many people in their own words, so the
appeals share little but one rare, distinctive word ("车贷", a company's name) and stay
pairs. This pass takes the words that few appeals use (``min_items`` … ``max_items``, never a
place name, which would join different problems at one compound), gathers the appeals whose
*title* uses the word (a word that only turns up in the body, such as "符合" or "条件", says
little about the problem), cut where two are more than ``window_days`` apart and by district,
and makes them one group when they are enough: groups of the first pass join when at least
half of their members are among them, and a first-pass group never loses members to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from civicgrid.insight import similarity


@dataclass(frozen=True, slots=True)
class RareTermConfig:
    """When a rare word makes a group. The word: at least ``min_chars`` characters, used by at
    most ``max_items`` (or ``max_share`` of all) appeals, all but unknown to general Chinese
    (at most ``max_general_frequency`` in jieba's dictionary: a name, a brand, a number — not
    "同意" or "调整"), and in the title of at least ``min_title_share`` of the appeals that use
    it. The group: at least ``min_items`` appeals chained within ``window_days``, whose texts
    are similar beyond the word (mean pairwise similarity ``min_coherence``). ``enabled``
    False skips the pass. Chosen on the 2020 Teddy Cup messages (docs/benchmarks.md)."""

    enabled: bool = True
    min_items: int = 6
    max_items: int = 40
    max_share: float = 0.005
    min_chars: int = 2
    window_days: int = 45
    max_general_frequency: int = 5
    min_title_share: float = 0.9
    min_coherence: float = 0.2


def _runs(rows: np.ndarray, times: np.ndarray, window: float) -> list[np.ndarray]:
    """``rows`` (ascending in time) cut where two consecutive ones are more than ``window``
    seconds apart."""
    gaps = np.flatnonzero(np.diff(times[rows]) > window) + 1
    return [r for r in np.split(rows, gaps) if r.size]


def merge_by_rare_terms(
    groups: Sequence[list[int]],
    *,
    words: sp.csr_matrix,
    combined: sp.csr_matrix,
    vocabulary: Sequence[str],
    times: Sequence[float],
    titles: Sequence[str],
    areas: Sequence[frozenset[str]],
    place_names: frozenset[str],
    config: RareTermConfig,
    terms: Callable[[str], list[str]] = similarity.terms,
) -> list[list[int]]:
    """``groups`` (lists of row numbers) with the rare-word groups added: rows sharing a rare
    word, together with the groups of which they make up at least half. Rows are the rows of
    ``words`` (one per appeal, in time order); ``titles`` are their normalised titles;
    ``terms`` gives a title's terms (:func:`civicgrid.insight.similarity.terms`, or a mining
    run's :class:`~civicgrid.insight.similarity.Segmenter`, which has cut them already)."""
    n = words.shape[0]
    if not config.enabled or n == 0 or not vocabulary:
        return [list(g) for g in groups]
    cap = max(config.max_items, int(config.max_share * n))
    by_column = sp.csc_matrix(words)
    df = np.diff(by_column.indptr)
    t = np.asarray(times, dtype=np.float64)
    window = config.window_days * 86400.0
    owner = np.full(n, -1, dtype=np.int64)
    merged: list[list[int] | None] = [list(g) for g in groups]
    for k, g in enumerate(groups):
        owner[g] = k
    candidates = [
        c
        for c in np.flatnonzero((df >= config.min_items) & (df <= cap)).tolist()
        if len(vocabulary[c]) >= config.min_chars
        and similarity.general_frequency(vocabulary[c]) <= config.max_general_frequency
        and not any(vocabulary[c] in p for p in place_names)
    ]
    # Rarest words first: the more distinctive word decides when two would claim a row.
    candidates.sort(key=lambda c: (int(df[c]), vocabulary[c]))
    title_terms: dict[int, frozenset[str]] = {}

    def in_title(row: int, word: str) -> bool:
        found = title_terms.get(row)
        if found is None:
            found = title_terms[row] = frozenset(terms(titles[row]))
        return word in found

    for c in candidates:
        word = vocabulary[c]
        used = by_column.indices[by_column.indptr[c] : by_column.indptr[c + 1]].tolist()
        rows = np.asarray(sorted(r for r in used if in_title(r, word)), dtype=np.int64)
        if rows.size < config.min_items or rows.size < config.min_title_share * len(used):
            continue
        for run in _runs(rows, t, window):
            for part in _by_area(run, areas):
                if part.size >= config.min_items and (
                    _coherence(combined, part) >= config.min_coherence
                ):
                    _claim(part, owner, merged, config.min_items)
    return [g for g in merged if g]


def _coherence(x: sp.csr_matrix, rows: np.ndarray) -> float:
    """Mean similarity of two different rows among ``rows`` (unit vectors)."""
    n = rows.size
    sub = x[rows]
    total = float((sub @ sub.T).sum())
    return (total - float(sub.multiply(sub).sum())) / (n * (n - 1))


def _by_area(rows: np.ndarray, areas: Sequence[frozenset[str]]) -> list[np.ndarray]:
    """Rows split by district (rows naming none go with the largest district's)."""
    named: dict[str, list[int]] = {}
    unplaced: list[int] = []
    for r in rows.tolist():
        if areas[r]:
            named.setdefault(min(areas[r]), []).append(r)
        else:
            unplaced.append(r)
    if not named:
        return [rows]
    main = max(named, key=lambda a: (len(named[a]), a))
    named[main].extend(unplaced)
    return [np.asarray(sorted(v), dtype=np.int64) for v in named.values()]


def _claim(
    rows: np.ndarray, owner: np.ndarray, merged: list[list[int] | None], min_items: int
) -> None:
    """Make ``rows`` one group with the groups they make up at least half of; rows of other
    groups stay where they are."""
    joined: set[int] = set()
    taken: list[int] = []
    for g in sorted({int(o) for o in owner[rows].tolist() if o >= 0}):
        members = merged[g]
        if members is None:
            continue
        inside = int(np.isin(np.asarray(members), rows).sum())
        if 2 * inside >= len(members):
            joined.add(g)
            taken.extend(members)
    free = [int(r) for r in rows.tolist() if owner[r] < 0]
    new = sorted(set(taken) | set(free))
    if len(new) < min_items or (not free and len(joined) < 2):
        return
    target = min(joined) if joined else len(merged)
    if not joined:
        merged.append(None)
    for g in joined:
        merged[g] = None
    merged[target] = new
    owner[new] = target
