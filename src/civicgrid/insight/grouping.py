"""How the hot-problem miner turns links into groups (rule 4 of
:mod:`civicgrid.insight.hotspots`): connected components, the split by district, and the trim
to each group's core; and each member's similarity with its group's centre. Pure: no I/O, no
clock."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


def components(n: int, edges: tuple[np.ndarray, np.ndarray]) -> list[list[int]]:
    rows, cols = edges
    if rows.size == 0:
        return [[i] for i in range(n)]
    graph = sp.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    groups: list[list[int]] = [[] for _ in range(count)]
    for idx, label in enumerate(labels.tolist()):
        groups[label].append(idx)
    return groups


def split_by_area(
    members: list[int], areas: Sequence[frozenset[str]], x: sp.csr_matrix
) -> list[list[int]]:
    """Split a component whose items name different districts (joined through items that
    name none): items go to their district; items without one join the district whose items
    they are most similar to on average."""
    named = Counter(a for m in members for a in areas[m])
    if len(named) < 2:
        return [members]
    groups: dict[str, list[int]] = {}
    unplaced: list[int] = []
    for m in members:
        own = areas[m]
        if own:
            main = max(own, key=lambda a: (named[a], a))
            groups.setdefault(main, []).append(m)
        else:
            unplaced.append(m)
    keys = sorted(groups)
    for m in unplaced:
        row = x[m].T
        means = {k: float(np.asarray((x[groups[k]] @ row).todense()).mean()) for k in keys}
        groups[max(keys, key=lambda k: (means[k], k))].append(m)
    return [sorted(groups[k]) for k in keys]


SMALL_GROUP = 200


def gram_sums(x: sp.csr_matrix, members: list[int]) -> np.ndarray:
    """For each member, the sum of its similarities with every member (itself included): its
    similarity with the group's centre up to a factor common to the group. For the many small
    groups it is read from the group's Gram matrix, so no dense vector of the whole vocabulary
    is built."""
    sub = x[members]
    if len(members) <= SMALL_GROUP:
        return np.asarray((sub @ sub.T).sum(axis=1)).ravel()
    # A large group: its summed vector (dense over the vocabulary) costs less than n².
    total = np.asarray(sub.sum(axis=0)).ravel()
    return np.asarray(sub @ total).ravel()


def centre_sims(x: sp.csr_matrix, groups: Sequence[list[int]]) -> list[np.ndarray]:
    """:func:`gram_sums` of every group; the small groups (most are pairs) all at once, in a
    few sparse products, rather than one call per group."""
    out: list[np.ndarray | None] = [None] * len(groups)
    small = [k for k, g in enumerate(groups) if len(g) <= SMALL_GROUP]
    if small:
        rows = np.concatenate([np.asarray(groups[k], dtype=np.int64) for k in small])
        owner = np.repeat(np.arange(len(small)), [len(groups[k]) for k in small])
        pick = sp.csr_matrix(
            (np.ones(rows.size, dtype=np.float32), (owner, np.arange(rows.size))),
            shape=(len(small), rows.size),
        )
        xm = x[rows]
        # Each member's row times its group's summed vector.
        back = sp.csr_matrix(pick.T @ (pick @ xm))
        sims = np.asarray(xm.multiply(back).sum(axis=1)).ravel()
        offsets = np.r_[0, np.cumsum([len(groups[k]) for k in small])]
        for pos, k in enumerate(small):
            out[k] = sims[offsets[pos] : offsets[pos + 1]]
    return [found if found is not None else gram_sums(x, groups[k]) for k, found in enumerate(out)]


def trim_to_core(members: list[int], x: sp.csr_matrix, threshold: float) -> list[int]:
    """Drop members far from the group's centre (a chain of loose links), repeatedly. The
    cosine of a member with the centre is its Gram row sum over the norm of the summed
    vectors (the square root of the Gram total)."""
    current = members
    while len(current) > 2:
        sums = gram_sums(x, current)
        total = float(sums.sum())
        if total <= 0.0:
            return current
        sims = sums / math.sqrt(total)
        kept = [m for m, s in zip(current, sims.tolist(), strict=True) if s >= threshold]
        if len(kept) == len(current):
            return current
        current = kept
    return current
