"""Rankings per unit type, the four classes (四类排名) and red/yellow/green unit warnings.
Pure: no I/O, no clock.

Units with no sample in the period (n = 0) are listed after the ranked ones, without a rank,
class or warning: an empty month says nothing about a unit (DOMAIN §1.6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from civicgrid.assessment.rates import DEFAULT_CONFIG, AssessmentConfig, Counts, Rates, rates
from civicgrid.errors import Invalid


class UnitType(StrEnum):
    """The kinds of assessed unit (区 / 街乡 / 市级部门 / 公共服务企业)."""

    DISTRICT = "district"
    STREET = "street"
    DEPARTMENT = "department"
    UTILITY = "utility"

    @property
    def label(self) -> str:
        return UNIT_TYPE_LABELS[self]


UNIT_TYPE_LABELS: dict[UnitType, str] = {
    UnitType.DISTRICT: "区",
    UnitType.STREET: "街道(乡镇)",
    UnitType.DEPARTMENT: "职能部门",
    UnitType.UTILITY: "公共服务企业",
}


def parse_unit_type(text: str) -> UnitType:
    """The unit type named by ``text``; :class:`Invalid` (422) otherwise."""
    try:
        return UnitType(text.strip().lower())
    except ValueError:
        names = "、".join(f"{t.value}（{t.label}）" for t in UnitType)
        raise Invalid(f"单位类型“{text}”无效：应为 {names}") from None


class RankClass(StrEnum):
    """四类排名. The official names beyond 治理类 are not published (DOMAIN §1.6 ❓)."""

    ADVANCED = "advanced"
    PROGRESS = "progress"
    RECTIFY = "rectify"
    GOVERNANCE = "governance"

    @property
    def label(self) -> str:
        return {
            "advanced": "先进类",
            "progress": "进步类",
            "rectify": "整改类",
            "governance": "治理类",
        }[self.value]


class UnitWarning(StrEnum):
    """Unit warning colour (红黄绿预警)."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        return {"green": "绿色", "yellow": "黄色预警", "red": "红色预警"}[self.value]


def classify(
    score: float, previous_score: float | None, cfg: AssessmentConfig = DEFAULT_CONFIG
) -> RankClass:
    """先进类 from the advanced line; else 治理类 below the governance line; else 进步类 when
    the score rose by at least ``progress_min_gain`` since the previous period (which must
    have had data); else 整改类."""
    if score >= cfg.advanced_min_score:
        return RankClass.ADVANCED
    if score < cfg.governance_below_score:
        return RankClass.GOVERNANCE
    if previous_score is not None and score - previous_score >= cfg.progress_min_gain - 1e-12:
        return RankClass.PROGRESS
    return RankClass.RECTIFY


def warning_for(score: float, cfg: AssessmentConfig = DEFAULT_CONFIG) -> UnitWarning:
    if score >= cfg.green_min_score:
        return UnitWarning.GREEN
    if score >= cfg.yellow_min_score:
        return UnitWarning.YELLOW
    return UnitWarning.RED


@dataclass(frozen=True, slots=True)
class UnitResult:
    """One unit's input to a ranking: its counts in the period and the previous period."""

    unit_id: int
    name: str
    counts: Counts
    previous: Counts | None = None


@dataclass(frozen=True, slots=True)
class RankedUnit:
    unit_id: int
    name: str
    counts: Counts
    rates: Rates
    previous_score: float | None
    rank: int | None
    rank_class: RankClass | None
    warning: UnitWarning | None


def rank_units(
    units: Sequence[UnitResult], cfg: AssessmentConfig = DEFAULT_CONFIG
) -> list[RankedUnit]:
    """Rank by composite score, best first; equal scores share a rank (1, 2, 2, 4) and are
    listed by name. Units without data follow, unranked."""
    scored: list[RankedUnit] = []
    empty: list[RankedUnit] = []
    for unit in units:
        r = rates(unit.counts, cfg)
        prev_score: float | None = None
        if unit.previous is not None:
            prev = rates(unit.previous, cfg)
            prev_score = prev.score if prev.has_data else None
        if not r.has_data:
            empty.append(
                RankedUnit(unit.unit_id, unit.name, unit.counts, r, prev_score, None, None, None)
            )
            continue
        scored.append(
            RankedUnit(
                unit.unit_id,
                unit.name,
                unit.counts,
                r,
                prev_score,
                None,
                classify(r.score, prev_score, cfg),
                warning_for(r.score, cfg),
            )
        )
    # Scores are rounded for ranking so that float noise does not split equal units.
    scored.sort(key=lambda u: (-round(u.rates.score, 9), u.name, u.unit_id))
    ranked: list[RankedUnit] = []
    previous_key: float | None = None
    current_rank = 0
    for position, item in enumerate(scored, start=1):
        key = round(item.rates.score, 9)
        if key != previous_key:
            current_rank = position
            previous_key = key
        ranked.append(replace(item, rank=current_rank))
    empty.sort(key=lambda u: (u.name, u.unit_id))
    return ranked + empty
