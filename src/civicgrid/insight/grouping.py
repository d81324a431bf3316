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


def chain_free_components(
    n: int,
    links: tuple[np.ndarray, np.ndarray, np.ndarray],
    times: np.ndarray,
    *,
    max_span: float,
    start: float,
    step: float,
) -> list[list[int]]:
    """Connected components of the ``links`` (i, j, similarity) among ``n`` items; a component
    whose items spread over more than ``max_span`` (seconds, like ``times``) has chained
    problems together link by link, so it is split at its weakest links: its components
    are recomputed over its links of similarity at least ``start + step`` (``start`` is the
    lowest bar of any link), then ``start + 2·step``, …, until every piece lies within
    ``max_span`` or no link is left. Items without a link are
    singletons. Components come with their items ascending."""
    rows, cols, sims = links
    out: list[list[int]] = []
    linked = np.zeros(n, dtype=bool)
    linked[rows] = True
    linked[cols] = True
    out.extend([int(k)] for k in np.flatnonzero(~linked).tolist())
    # Every component still to split has the same bar (one more ``step`` per round), so one
    # round finds the components of all of them at once: the pieces of disjoint components
    # are the components of their union.
    nodes, a, b, s, bar = np.flatnonzero(linked), rows, cols, sims, start
    while nodes.size:
        la, lb = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
        graph = sp.coo_matrix((np.ones(a.size), (la, lb)), shape=(nodes.size, nodes.size))
        count, labels = connected_components(graph, directed=False)
        by_label = np.argsort(labels, kind="stable")
        bounds = np.r_[0, np.cumsum(np.bincount(labels, minlength=count))]
        sizes = np.diff(bounds)
        grouped_times = times[nodes[by_label]]
        first = np.minimum.reduceat(grouped_times, bounds[:-1])
        last = np.maximum.reduceat(grouped_times, bounds[:-1])
        settled = (sizes <= 2) | (last - first <= max_span)
        for c in np.flatnonzero(settled).tolist():
            out.append(nodes[by_label[bounds[c] : bounds[c + 1]]].tolist())
        # The links of the chained components at the next bar; their other members are
        # left alone.
        bar += step
        strong = ~settled[labels[la]] & (s >= bar - 1e-9)
        kept = np.zeros(nodes.size, dtype=bool)
        kept[la[strong]] = True
        kept[lb[strong]] = True
        alone = ~settled[labels] & ~kept
        out.extend([int(m)] for m in nodes[alone].tolist())
        nodes, a, b, s = nodes[kept], a[strong], b[strong], s[strong]
    return out


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


def group_counts(
    x: sp.csr_matrix, groups: Sequence[list[int]]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each group, the columns its rows use (ascending) and in how many of its rows each
    is non-zero, for all groups in one sparse product."""
    if not groups:
        return []
    rows = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups])
    owner = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    pick = sp.csr_matrix(
        (np.ones(rows.size, dtype=np.float32), (owner, rows)), shape=(len(groups), x.shape[0])
    )
    used = sp.csr_matrix(x, copy=True)
    used.data = np.ones_like(used.data)
    counts = sp.csr_matrix(pick @ used)
    counts.sort_indices()
    return [
        (
            counts.indices[counts.indptr[k] : counts.indptr[k + 1]],
            counts.data[counts.indptr[k] : counts.indptr[k + 1]].astype(np.int64),
        )
        for k in range(len(groups))
    ]


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


def trim_all_to_core(
    groups: Sequence[list[int]], x: sp.csr_matrix, threshold: float
) -> list[list[int]]:
    """:func:`trim_to_core` of every group, in order; the first round for all groups at once
    (:func:`centre_sims`), as most groups keep every member and need no second."""
    out = [list(g) for g in groups]
    pending = [k for k, g in enumerate(groups) if len(g) > 2]
    for k, sums in zip(pending, centre_sims(x, [groups[k] for k in pending]), strict=True):
        total = float(sums.sum())
        if total <= 0.0:
            continue
        sims = sums / math.sqrt(total)
        if bool((sims >= threshold).all()):
            continue
        kept = [m for m, s in zip(groups[k], sims.tolist(), strict=True) if s >= threshold]
        out[k] = trim_to_core(kept, x, threshold)
    return out
