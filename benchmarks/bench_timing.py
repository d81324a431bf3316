"""Timing helpers of the search benchmarks (a sibling module of the benchmark scripts, imported
as ``bench_timing``): milliseconds per query and their summary by kind of fragment."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

from civicgrid.clock import monotonic


def time_each(fn: Callable[[str], object], fragments: list[str], *, warmup: int) -> list[float]:
    """Milliseconds per fragment, in the fragments' order, after ``warmup`` untimed calls (caches
    and the connection warm)."""
    for q in fragments[:warmup]:
        fn(q)
    times = []
    for q in fragments:
        t0 = monotonic()
        fn(q)
        times.append((monotonic() - t0) * 1000)
    return times


def summary(times: list[float], kinds: Sequence[str]) -> str:
    """Median and p95 of ``times``, and the median per kind (fragments cycle through ``kinds``)."""
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    per_kind = ", ".join(
        f"{kind} {statistics.median(times[i :: len(kinds)]):.1f}"
        for i, kind in enumerate(kinds)
        if times[i :: len(kinds)]
    )
    return (f"median {statistics.median(ordered):8.2f} ms, p95 {p95:8.2f} ms "
            f"(median by fragment: {per_kind})")  # fmt: skip
