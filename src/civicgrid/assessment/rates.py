"""三率 (response, resolution and satisfaction rates) and the composite score. Pure: no I/O, no
clock, no database.

Three steps, each a pure function, shared by the rollup job, the drill-down lists and the
property tests that check the rollup tables against a direct computation:

1. :func:`appeal_fact` turns one appeal (an :class:`AppealSnapshot`) into what it contributes
   to the assessment: whether and on which Beijing date it counts for the response rate, and
   whether and on which date its callback counts (or is excluded).
2. :class:`Counts` adds those contributions up per unit and day (the rollup rows) and per
   period (sums of days).
3. :func:`rates` turns counts into the three rates and the weighted composite score under an
   :class:`AssessmentConfig`.

The formulas are the PROPOSAL of DOMAIN §1.6 (no official formula is published); every weight
and threshold is configurable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from civicgrid.assessment.periods import local_date
from civicgrid.errors import Invalid

# Appeal status and callback codes, as stored by the appeals package (appeals/states.py).
STATUS_MERGED = "merged"
STATUS_TERMINATED = "terminated"
STATUS_ANSWERED_DIRECTLY = "answered_directly"
SATISFIED = "satisfied"
FAIRLY_SATISFIED = "fairly_satisfied"


@dataclass(frozen=True, slots=True)
class AssessmentConfig:
    """Every number the assessment depends on (DOMAIN §1.6: "configurable; no official
    formula found").

    ``fairly_satisfied_weight`` is k in 满意率 = (满意 + k·基本满意) ÷ valid callbacks. The
    three weights give 综合分. Classes: 先进类 from ``advanced_min_score``; 治理类 below
    ``governance_below_score``; 进步类 when the score rose by at least ``progress_min_gain``
    over the previous period; 整改类 otherwise. Warnings: green from ``green_min_score``,
    yellow from ``yellow_min_score``, red below.
    """

    fairly_satisfied_weight: float = 0.8
    weight_response: float = 0.30
    weight_resolution: float = 0.35
    weight_satisfaction: float = 0.35
    advanced_min_score: float = 0.95
    governance_below_score: float = 0.80
    progress_min_gain: float = 0.03
    green_min_score: float = 0.90
    yellow_min_score: float = 0.80

    def __post_init__(self) -> None:
        problems = config_problems(self)
        if problems:
            raise Invalid("考核参数无效：" + "；".join(problems), detail=problems)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> AssessmentConfig:
        """Defaults overridden by ``values`` (for example a JSON file); unknown keys are
        refused so that a typo does not silently keep a default."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise Invalid(f"未知的考核参数：{', '.join(unknown)}")
        try:
            numbers = {k: float(v) for k, v in values.items()}
        except (TypeError, ValueError):
            raise Invalid("考核参数必须是数字") from None
        return replace(cls(), **numbers)

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


def config_problems(cfg: AssessmentConfig) -> list[str]:
    """Why ``cfg`` is unusable, in Chinese; empty when it is fine."""
    problems: list[str] = []
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if not isinstance(value, int | float) or not math.isfinite(value):
            problems.append(f"{f.name} 必须是有限数字")
        elif f.name != "progress_min_gain" and not 0.0 <= value <= 1.0:
            problems.append(f"{f.name} 应在 0 到 1 之间")
    if problems:
        return problems
    total = cfg.weight_response + cfg.weight_resolution + cfg.weight_satisfaction
    if abs(total - 1.0) > 1e-9:
        problems.append(f"三项权重之和应为 1（当前 {total:g}）")
    if cfg.governance_below_score > cfg.advanced_min_score:
        problems.append("治理类分数线不能高于先进类分数线")
    if cfg.yellow_min_score > cfg.green_min_score:
        problems.append("黄色预警分数线不能高于绿色分数线")
    if not 0.0 <= cfg.progress_min_gain <= 1.0:
        problems.append("进步类所需提升应在 0 到 1 之间")
    return problems


DEFAULT_CONFIG = AssessmentConfig()


# --- step 1: one appeal's contribution --------------------------------------------------------


class ResponseState(StrEnum):
    """How an appeal counts for 响应率."""

    NONE = "none"  # never due for response (not dispatched, merged …)
    PENDING = "pending"  # the response window is still open and the unit has not responded
    ON_TIME = "on_time"  # signed and caller contacted by the response deadline
    LATE = "late"  # the window closed without both


class EvalState(StrEnum):
    """How an appeal counts for 解决率 and 满意率."""

    NONE = "none"  # no callback yet (and not excluded at an end of handling)
    VALID = "valid"  # a callback that counts
    EXCLUDED = "excluded"  # removed from the denominators (see Exclusion)


class Exclusion(StrEnum):
    """Why an appeal is left out of 解决率 and 满意率 (DOMAIN §1.6 PROPOSAL)."""

    NONE = ""
    ANSWERED_DIRECTLY = "answered_directly"  # 咨询 answered at intake (直接答复)
    TERMINATED = "terminated"  # 终止办理 after review
    UNREASONABLE = "unreasonable"  # reviewed and flagged 不合理

    @property
    def label(self) -> str:
        return {
            "": "",
            "answered_directly": "直接答复",
            "terminated": "终止办理",
            "unreasonable": "不合理诉求",
        }[self.value]


@dataclass(frozen=True, slots=True)
class UnitKeys:
    """The assessed units an appeal's lead unit answers to: a street (街乡) also counts for its
    district (区); a department or a utility counts for itself."""

    district_id: int | None = None
    street_id: int | None = None
    department_id: int | None = None
    utility_id: int | None = None

    def pairs(self) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        for kind, value in (
            ("district", self.district_id),
            ("street", self.street_id),
            ("department", self.department_id),
            ("utility", self.utility_id),
        ):
            if value is not None:
                out.append((kind, value))
        return out


NO_UNITS = UnitKeys()


def region_unit_keys(path_ids: Sequence[int], level_of: Mapping[int, str]) -> UnitKeys:
    """The district and street above (or equal to) the region at the end of ``path_ids``,
    looked up by level ("district" / "street")."""
    district = street = None
    for rid in path_ids:
        level = level_of.get(rid)
        if level == "district":
            district = rid
        elif level == "street":
            street = rid
    return UnitKeys(district_id=district, street_id=street)


@dataclass(frozen=True, slots=True)
class AppealSnapshot:
    """The facts of one appeal that the assessment reads (DOMAIN §2.4)."""

    appeal_id: int
    status: str
    units: UnitKeys
    response_due_at: datetime | None = None
    signed_at: datetime | None = None
    contacted_at: datetime | None = None
    closed_at: datetime | None = None
    callback_at: datetime | None = None  # the latest callback round
    resolved: bool | None = None
    satisfaction: str | None = None
    answered_directly: bool = False
    unreasonable: bool = False


@dataclass(frozen=True, slots=True)
class AppealFact:
    """One appeal's contribution: stored per appeal (drill-down, incremental rollup) and summed
    per unit and day into the rollup table."""

    appeal_id: int
    units: UnitKeys
    response_state: ResponseState
    response_day: date | None
    response_due_at: datetime | None
    eval_state: EvalState
    eval_day: date | None
    exclusion: Exclusion
    resolved: bool
    satisfaction: str


def exclusion_of(snap: AppealSnapshot) -> Exclusion:
    """Why the appeal is left out of 解决率 / 满意率, if it is. A 不合理诉求 finding names the
    reason of a terminated appeal too: the centre's review is the more specific answer (it may
    be made after the termination, DOMAIN §1.5)."""
    if snap.answered_directly or snap.status == STATUS_ANSWERED_DIRECTLY:
        return Exclusion.ANSWERED_DIRECTLY
    if snap.unreasonable:
        return Exclusion.UNREASONABLE
    if snap.status == STATUS_TERMINATED:
        return Exclusion.TERMINATED
    return Exclusion.NONE


def appeal_fact(snap: AppealSnapshot, now: datetime) -> AppealFact:
    """What one appeal contributes to the assessment at ``now``.

    * 响应率: counted on the Beijing date of its response deadline once that deadline has
      passed or the unit responded; on time when it was both signed and the caller contacted
      by the deadline. Merged duplicates and orders without a unit never count.
    * 解决率 / 满意率: counted on the Beijing date of the latest callback; an excluded appeal
      (直接答复, 终止办理, 不合理) counts as excluded on the date of its callback or, without
      one, of its closing.
    """
    if snap.status == STATUS_MERGED or not snap.units.pairs():
        return AppealFact(
            snap.appeal_id,
            NO_UNITS if snap.status == STATUS_MERGED else snap.units,
            ResponseState.NONE,
            None,
            None,
            EvalState.NONE,
            None,
            Exclusion.NONE,
            resolved=False,
            satisfaction="",
        )
    due = snap.response_due_at
    if due is None:
        response, response_day = ResponseState.NONE, None
    else:
        responded = (
            snap.signed_at is not None
            and snap.contacted_at is not None
            and snap.signed_at <= due
            and snap.contacted_at <= due
        )
        if responded:
            response = ResponseState.ON_TIME
        elif now < due:
            response = ResponseState.PENDING
        else:
            response = ResponseState.LATE
        response_day = None if response is ResponseState.PENDING else local_date(due)

    exclusion = exclusion_of(snap)
    anchor = snap.callback_at
    if anchor is None and exclusion is not Exclusion.NONE:
        anchor = snap.closed_at
    has_callback = snap.callback_at is not None and snap.satisfaction is not None
    if anchor is None:
        state, eval_day = EvalState.NONE, None
    elif exclusion is not Exclusion.NONE:
        state, eval_day = EvalState.EXCLUDED, local_date(anchor)
    elif has_callback:
        state, eval_day = EvalState.VALID, local_date(anchor)
    else:
        state, eval_day = EvalState.NONE, None
    valid = state is EvalState.VALID
    return AppealFact(
        appeal_id=snap.appeal_id,
        units=snap.units,
        response_state=response,
        response_day=response_day,
        response_due_at=due,
        eval_state=state,
        eval_day=eval_day,
        exclusion=exclusion if state is EvalState.EXCLUDED else Exclusion.NONE,
        resolved=bool(snap.resolved) if valid else False,
        satisfaction=(snap.satisfaction or "") if valid else "",
    )


# --- step 2: counts ---------------------------------------------------------------------------


class Metric(StrEnum):
    """A number that can be drilled down to its appeals."""

    RESPONSE_DUE = "response_due"
    RESPONSE_ON_TIME = "response_on_time"
    RESPONSE_LATE = "response_late"
    VALID_CALLBACKS = "valid_callbacks"
    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"
    SATISFIED = "satisfied"
    FAIRLY_SATISFIED = "fairly_satisfied"
    DISSATISFIED = "dissatisfied"
    EXCLUDED = "excluded"

    @property
    def label(self) -> str:
        return METRIC_LABELS[self]


METRIC_LABELS: dict[Metric, str] = {
    Metric.RESPONSE_DUE: "应响应工单",
    Metric.RESPONSE_ON_TIME: "及时响应",
    Metric.RESPONSE_LATE: "未及时响应",
    Metric.VALID_CALLBACKS: "有效回访",
    Metric.RESOLVED: "已解决",
    Metric.UNRESOLVED: "未解决",
    Metric.SATISFIED: "满意",
    Metric.FAIRLY_SATISFIED: "基本满意",
    Metric.DISSATISFIED: "不满意",
    Metric.EXCLUDED: "剔除（直接答复/终止/不合理）",
}


@dataclass(frozen=True, slots=True)
class Counts:
    """The stored counters of a rollup row (one unit, one day) or of a whole period."""

    response_due: int = 0
    response_on_time: int = 0
    valid_callbacks: int = 0
    resolved: int = 0
    satisfied: int = 0
    fairly_satisfied: int = 0
    excluded: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Counts)))

    def __sub__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(Counts)))

    def __neg__(self) -> Counts:
        return ZERO - self

    @property
    def dissatisfied(self) -> int:
        return self.valid_callbacks - self.satisfied - self.fairly_satisfied

    @property
    def n(self) -> int:
        """How many counted appeal contributions stand behind the numbers."""
        return self.response_due + self.valid_callbacks + self.excluded

    def value(self, metric: Metric) -> int:
        derived = {
            Metric.RESPONSE_LATE: self.response_due - self.response_on_time,
            Metric.UNRESOLVED: self.valid_callbacks - self.resolved,
            Metric.DISSATISFIED: self.dissatisfied,
        }
        if metric in derived:
            return derived[metric]
        return int(getattr(self, metric.value))

    def as_dict(self) -> dict[str, int]:
        return {m.value: self.value(m) for m in Metric}


ZERO = Counts()


def fact_counts(fact: AppealFact, day: date) -> Counts:
    """What ``fact`` adds to the counters of ``day`` (for each of its units)."""
    on_response_day = fact.response_day == day and fact.response_state in (
        ResponseState.ON_TIME,
        ResponseState.LATE,
    )
    on_eval_day = fact.eval_day == day
    valid = on_eval_day and fact.eval_state is EvalState.VALID
    return Counts(
        response_due=int(on_response_day),
        response_on_time=int(on_response_day and fact.response_state is ResponseState.ON_TIME),
        valid_callbacks=int(valid),
        resolved=int(valid and fact.resolved),
        satisfied=int(valid and fact.satisfaction == SATISFIED),
        fairly_satisfied=int(valid and fact.satisfaction == FAIRLY_SATISFIED),
        excluded=int(on_eval_day and fact.eval_state is EvalState.EXCLUDED),
    )


def fact_in_metric(fact: AppealFact, metric: Metric) -> bool:
    """Whether the appeal behind ``fact`` is one of those counted in ``metric`` (drill-down);
    the date filter is applied separately."""
    responded = fact.response_state in (ResponseState.ON_TIME, ResponseState.LATE)
    valid = fact.eval_state is EvalState.VALID
    checks = {
        Metric.RESPONSE_DUE: responded,
        Metric.RESPONSE_ON_TIME: fact.response_state is ResponseState.ON_TIME,
        Metric.RESPONSE_LATE: fact.response_state is ResponseState.LATE,
        Metric.VALID_CALLBACKS: valid,
        Metric.RESOLVED: valid and fact.resolved,
        Metric.UNRESOLVED: valid and not fact.resolved,
        Metric.SATISFIED: valid and fact.satisfaction == SATISFIED,
        Metric.FAIRLY_SATISFIED: valid and fact.satisfaction == FAIRLY_SATISFIED,
        Metric.DISSATISFIED: valid and fact.satisfaction not in (SATISFIED, FAIRLY_SATISFIED),
        Metric.EXCLUDED: fact.eval_state is EvalState.EXCLUDED,
    }
    return checks[metric]


# --- step 3: rates and score ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rates:
    """The three rates in [0, 1] and the composite score in [0, 1]. A rate whose denominator is
    zero is 0 and flagged as having no sample; the score then re-weights over the rates that do
    have one (a department without callbacks this month is judged on its responses only)."""

    response: float
    resolution: float
    satisfaction: float
    score: float
    has_response: bool
    has_callbacks: bool

    @property
    def has_data(self) -> bool:
        return self.has_response or self.has_callbacks


def _ratio(num: float, den: int) -> float:
    if den <= 0:
        return 0.0
    return min(1.0, max(0.0, num / den))


def rates(counts: Counts, cfg: AssessmentConfig = DEFAULT_CONFIG) -> Rates:
    """三率 and 综合分 from counts (DOMAIN §1.6 PROPOSAL):

    * 响应率 = on-time responses ÷ orders due for response;
    * 解决率 = resolved ÷ valid callbacks;
    * 满意率 = (满意 + k·基本满意) ÷ valid callbacks;
    * 综合分 = w_r·响应率 + w_s·解决率 + w_m·满意率 over the rates that have a sample.
    """
    response = _ratio(counts.response_on_time, counts.response_due)
    resolution = _ratio(counts.resolved, counts.valid_callbacks)
    satisfaction = _ratio(
        counts.satisfied + cfg.fairly_satisfied_weight * counts.fairly_satisfied,
        counts.valid_callbacks,
    )
    has_response = counts.response_due > 0
    has_callbacks = counts.valid_callbacks > 0
    weighted = 0.0
    total_weight = 0.0
    if has_response:
        weighted += cfg.weight_response * response
        total_weight += cfg.weight_response
    if has_callbacks:
        weighted += cfg.weight_resolution * resolution + cfg.weight_satisfaction * satisfaction
        total_weight += cfg.weight_resolution + cfg.weight_satisfaction
    score = min(1.0, max(0.0, weighted / total_weight)) if total_weight > 0 else 0.0
    return Rates(response, resolution, satisfaction, score, has_response, has_callbacks)
