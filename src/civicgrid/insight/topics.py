"""Candidates for the monthly topic (每月一题, DOMAIN §1.7). Pure: no I/O, no clock.

每月一题 takes 2–3 high-frequency, common and hard problems a month from the hotline data and
gives each a lead department. A *problem* here is an appeal category (派单目录 item) or, for
appeals without a category, a hot-problem group found by text. A problem becomes a candidate
when it is

* **frequent** — at least ``min_count`` appeals in the period, and
* **common or hard** — handled by at least ``min_units`` different units (it crosses
  departments or streets, so no single unit solves it alone) or raised in at least
  ``min_regions`` different regions.

Candidates are ranked by

score = ln(1 + n) · (1 + 0.3·min(units − 1, 3)) · (1 + dissatisfied share + 0.5·reopened share)
· (1 + 0.1·min(regions − 1, 5)) · (1 + 0.5·max(growth, 0)),

where growth = (n − previous n) / max(previous n, 1), capped at 1. Every candidate carries the
reasons that made it one, in Chinese, for the leader who adopts it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProblemRecord:
    """One appeal as the candidate rule sees it."""

    problem: str
    label: str
    key: str
    unit: str = ""
    region: str = ""
    dissatisfied: bool = False
    reopened: bool = False


@dataclass(frozen=True, slots=True)
class TopicConfig:
    min_count: int = 5
    min_units: int = 2
    min_regions: int = 3
    limit: int = 10
    samples: int = 5


@dataclass(frozen=True, slots=True)
class TopicCandidate:
    """A problem proposed as a monthly topic, with the figures behind it."""

    rank: int
    problem: str
    label: str
    count: int
    previous_count: int
    growth: float
    units: tuple[str, ...]
    regions: tuple[str, ...]
    dissatisfied_share: float
    reopened_share: float
    score: float
    reasons: tuple[str, ...]
    samples: tuple[str, ...]


def candidates(
    records: Sequence[ProblemRecord],
    *,
    previous_counts: Mapping[str, int] | None = None,
    config: TopicConfig | None = None,
) -> list[TopicCandidate]:
    """Ranked monthly-topic candidates among ``records`` (the appeals of one period);
    ``previous_counts`` are the problems' counts in the period before."""
    config = config or TopicConfig()
    previous_counts = previous_counts or {}
    by_problem: dict[str, list[ProblemRecord]] = defaultdict(list)
    for r in records:
        by_problem[r.problem].append(r)
    found: list[TopicCandidate] = []
    for problem, rows in by_problem.items():
        n = len(rows)
        units = Counter(r.unit for r in rows if r.unit)
        regions = Counter(r.region for r in rows if r.region)
        if n < config.min_count:
            continue
        cross_units = len(units) >= config.min_units
        widespread = len(regions) >= config.min_regions
        if not (cross_units or widespread):
            continue
        prev = previous_counts.get(problem, 0)
        growth = min((n - prev) / max(prev, 1), 1.0)
        dissatisfied = sum(r.dissatisfied for r in rows) / n
        reopened = sum(r.reopened for r in rows) / n
        score = (
            math.log1p(n)
            * (1 + 0.3 * min(len(units) - 1, 3) if units else 1.0)
            * (1 + dissatisfied + 0.5 * reopened)
            * (1 + 0.1 * min(max(len(regions) - 1, 0), 5))
            * (1 + 0.5 * max(growth, 0.0))
        )
        reasons = [f"本期 {n} 件（上期 {prev} 件）"]
        if cross_units:
            reasons.append(f"涉及 {len(units)} 个承办单位，需跨部门协同")
        if widespread:
            reasons.append(f"分布在 {len(regions)} 个区域，属共性问题")
        if dissatisfied > 0:
            reasons.append(f"不满意占 {dissatisfied:.0%}")
        if reopened > 0:
            reasons.append(f"重办占 {reopened:.0%}")
        found.append(
            TopicCandidate(
                rank=0,
                problem=problem,
                label=rows[0].label,
                count=n,
                previous_count=prev,
                growth=round(growth, 4),
                units=tuple(u for u, _ in units.most_common()),
                regions=tuple(g for g, _ in regions.most_common()),
                dissatisfied_share=round(dissatisfied, 4),
                reopened_share=round(reopened, 4),
                score=round(score, 4),
                reasons=tuple(reasons),
                samples=tuple(r.key for r in rows[: config.samples]),
            )
        )
    found.sort(key=lambda c: (-c.score, -c.count, c.problem))
    return [
        TopicCandidate(
            rank=i,
            problem=c.problem,
            label=c.label,
            count=c.count,
            previous_count=c.previous_count,
            growth=c.growth,
            units=c.units,
            regions=c.regions,
            dissatisfied_share=c.dissatisfied_share,
            reopened_share=c.reopened_share,
            score=c.score,
            reasons=c.reasons,
            samples=c.samples,
        )
        for i, c in enumerate(found[: config.limit], start=1)
    ]
