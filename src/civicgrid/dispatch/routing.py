"""Who handles an appeal: the responsible unit from a catalogue item's owner rule and the place.

Pure: no database, no HTTP, no clock. The service gathers the place (grid → community →
street → district), the departments answering for the place's district or city and the
utilities serving the place, and :func:`route` decides.

Rules (DOMAIN §1.4, §3.1, §7):

- ``street`` items (事件, 先属地后属主): the 街乡 whose territory holds the place.
- ``department`` items (先属主): the department of the item's kind in the place's district
  (a city-level department of the kind when the district has none); when no department of
  the kind exists, the 区人民政府 (the district) takes it (区政府兜底, §1.4) — never the
  street: functional departments' matters are not pushed down to 基层 (国办函〔2025〕66号).
- ``utility`` items (部件 of an enterprise, 先属主): the utility of the item's service whose
  service area holds the place; none → 区政府兜底 as above.
- ``knowledge_base`` items are answered by the hotline; ``none`` items (grouping levels)
  have no owner of their own. Both, and any place that is unknown or too coarse for the rule,
  go to the dispatcher's manual queue.

Every decision says which rule decided, why (Chinese text shown on the timeline), the unit
and a confidence in [0, 1]: the certainty of the place times that of the rule (1 for a
direct match, less for a fallback or a choice among several candidates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from civicgrid.dispatch.catalogue import CatalogueItem, OwnerRule


class RoutingRule(StrEnum):
    """Which rule produced a :class:`RoutingDecision`."""

    STREET = "street"
    """属地: the street of the place."""
    DEPARTMENT = "department"
    """The district department of the item's kind."""
    UTILITY = "utility"
    """The utility serving the place."""
    DISTRICT_FALLBACK = "district_fallback"
    """区政府兜底: no unit of the item's kind exists for the place."""
    MANUAL = "manual"
    """Nothing could be decided; the dispatcher chooses."""

    @property
    def label(self) -> str:
        return RULE_LABELS[self]


RULE_LABELS: Final = {
    RoutingRule.STREET: "属地派单",
    RoutingRule.DEPARTMENT: "部门职责",
    RoutingRule.UTILITY: "公共服务企业服务区域",
    RoutingRule.DISTRICT_FALLBACK: "区政府兜底",
    RoutingRule.MANUAL: "人工派单",
}

# How certain each rule is of its unit when the place is certain.
DIRECT_CONFIDENCE: Final = 1.0
CITY_DEPARTMENT_CONFIDENCE: Final = 0.9
FALLBACK_CONFIDENCE: Final = 0.5
SEVERAL_CANDIDATES_FACTOR: Final = 0.7


@dataclass(frozen=True, slots=True)
class RegionRef:
    """A region on the place's chain."""

    id: int
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Place:
    """Where an appeal is, as far as it is known, and how it was found.

    ``source`` is ``coordinates`` (point in a grid), ``region`` (given at intake), ``address``
    (parsed from text) or ``none``; ``confidence`` is how sure that source is (1 for a point in
    a grid, the match score for an address).
    """

    source: str
    confidence: float
    street: RegionRef | None = None
    district: RegionRef | None = None
    city: RegionRef | None = None
    region_id: int | None = None
    """The most precise region known (grid, community, street or district)."""
    region_path: str = ""
    detail: str = ""
    """What was matched, in Chinese (e.g. the register address)."""

    @property
    def known(self) -> bool:
        return self.source != "none" and self.region_id is not None


UNKNOWN_PLACE: Final = Place(source="none", confidence=0.0)


@dataclass(frozen=True, slots=True)
class DepartmentOption:
    """A department that could receive the order: answering for ``region_id`` (a district or
    the city)."""

    id: int
    code: str
    name: str
    region_id: int


@dataclass(frozen=True, slots=True)
class UtilityOption:
    """A utility whose service area holds the place."""

    id: int
    code: str
    name: str
    service: str


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """The responsible unit, the rule that decided and why."""

    rule: RoutingRule
    reason: str
    unit_kind: str | None = None
    """``region`` (a street or district), ``department`` or ``utility``; None = manual."""
    unit_id: int | None = None
    unit_name: str = ""
    confidence: float = 0.0

    @property
    def decided(self) -> bool:
        return self.unit_kind is not None and self.unit_id is not None


# Department kinds of the catalogue → short codes (the part after "<district6>-" in a
# department code) and name fragments that identify a department of that kind, most specific
# first. A kind missing from a district falls back to the kinds listed in FALLBACK_KINDS
# (e.g. 城管执法 to 城管委, which holds enforcement where no separate bureau exists).
DEPARTMENT_KINDS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "城市管理委": (("cgw",), ("城市管理委", "城管委")),
    "城管执法局": (("cgzf", "zfj"), ("城管执法", "综合执法")),
    "住房城乡建设委": (("zjw",), ("住房城乡建设", "住房和城乡建设", "住建委")),
    "市场监管局": (("scjg",), ("市场监督管理", "市场监管")),
    "生态环境局": (("sthj",), ("生态环境",)),
    "人力社保局": (("rlsb",), ("人力资源和社会保障", "人力社保")),
    "卫生健康委": (("wjw",), ("卫生健康", "卫健委")),
    "教委": (("jw",), ("教育委员会", "教委", "教育局")),
    "交通委": (("jtw",), ("交通委员会", "交通委", "交通局")),
    "公安分局": (("gaj",), ("公安",)),
    "公安交管": (("jgj", "jj"), ("交通管理", "交管", "交警")),
    "民政局": (("mzj",), ("民政",)),
    "园林绿化局": (("yllh",), ("园林绿化",)),
    "应急管理局": (("yjgl",), ("应急管理",)),
    "水务局": (("swj",), ("水务",)),
    "规划自然资源委": (("gzfj", "gzw"), ("规划和自然资源", "规划自然资源", "规自")),
    "医疗保障局": (("ybj",), ("医疗保障", "医保")),
    "农业农村局": (("nync",), ("农业农村",)),
    "发展改革委": (("fgw",), ("发展和改革", "发展改革", "发改")),
    "司法局": (("sfj",), ("司法",)),
    "残联": (("cl",), ("残疾人联合会", "残联")),
    "政务服务局": (("zwfw",), ("政务服务",)),
    "消防救援支队": (("xf",), ("消防",)),
    "金融监管局": (("jrj",), ("金融",)),
}
FALLBACK_KINDS: Final[dict[str, tuple[str, ...]]] = {
    "城管执法局": ("城市管理委",),
    "公安交管": ("公安分局",),
    "消防救援支队": ("应急管理局",),
    "残联": ("民政局",),
    "医疗保障局": ("人力社保局",),
}


def department_matches(kind: str, option: DepartmentOption) -> bool:
    """Whether ``option`` is a department of ``kind`` (by code suffix, else by name)."""
    codes, names = DEPARTMENT_KINDS.get(kind, ((), ()))
    suffix = option.code.rsplit("-", 1)[-1].lower() if "-" in option.code else ""
    if suffix and suffix in codes:
        return True
    fragments = names or (kind, kind.removesuffix("局").removesuffix("委"))
    return any(f and f in option.name for f in fragments)


def _pick_department(
    kind: str, place: Place, departments: Sequence[DepartmentOption]
) -> tuple[DepartmentOption, float, str] | None:
    """The department of ``kind`` for the place: the district's first, then the city's."""
    scopes: list[tuple[RegionRef | None, float, str]] = [
        (place.district, DIRECT_CONFIDENCE, "本区"),
        (place.city, CITY_DEPARTMENT_CONFIDENCE, "市级"),
    ]
    for region, confidence, where in scopes:
        if region is None:
            continue
        found = sorted(
            (d for d in departments if d.region_id == region.id and department_matches(kind, d)),
            key=lambda d: d.code,
        )
        if found:
            factor = 1.0 if len(found) == 1 else SEVERAL_CANDIDATES_FACTOR
            return found[0], confidence * factor, where
    return None


def _manual(reason: str) -> RoutingDecision:
    return RoutingDecision(rule=RoutingRule.MANUAL, reason=reason)


def _district_fallback(place: Place, why: str) -> RoutingDecision:
    if place.district is None:
        return _manual(f"{why}，且无法确定所在区，请人工派单")
    return RoutingDecision(
        rule=RoutingRule.DISTRICT_FALLBACK,
        reason=f"{why}，按“区政府兜底”派至{place.district.name}人民政府（不下派街乡）",
        unit_kind="region",
        unit_id=place.district.id,
        unit_name=place.district.name,
        confidence=round(place.confidence * FALLBACK_CONFIDENCE, 4),
    )


def _place_text(place: Place) -> str:
    how = {"coordinates": "定位坐标", "region": "受理时选定的区域", "address": "地址文本"}
    text = how.get(place.source, place.source)
    return f"{text}（{place.detail}）" if place.detail else text


def route(
    item: CatalogueItem | None,
    place: Place,
    *,
    departments: Sequence[DepartmentOption] = (),
    utilities: Sequence[UtilityOption] = (),
) -> RoutingDecision:
    """Decide the responsible unit of ``item`` at ``place`` (see the module docstring)."""
    if item is None:
        return _manual("未确定诉求类别，请人工派单")
    label = f"“{item.name}”（{item.code}）"
    rule = item.owner_rule
    if rule is OwnerRule.KNOWLEDGE_BASE:
        return _manual(f"{label}属于政策咨询，由热线依据知识库直接答复，无需派单")
    if rule is OwnerRule.NONE:
        return _manual(f"{label}未设定承办规则（分组类别），请人工选择具体事项或承办单位")
    if not place.known:
        why = place.detail or "无定位、无可识别地址"
        return _manual(f"{label}无法确定诉求发生地（{why}），请人工派单")
    if rule is OwnerRule.STREET:
        if place.street is None:
            return _manual(f"{label}属于属地事项，但地点只识别到区一级，无法确定街乡，请人工派单")
        return RoutingDecision(
            rule=RoutingRule.STREET,
            reason=(
                f"{label}属于属地事项（事件先属地），依据{_place_text(place)}"
                f"位于{place.street.name}，派至{place.street.name}"
            ),
            unit_kind="region",
            unit_id=place.street.id,
            unit_name=place.street.name,
            confidence=round(place.confidence * DIRECT_CONFIDENCE, 4),
        )
    if rule is OwnerRule.DEPARTMENT:
        kind = item.owner_unit
        tried = [kind, *FALLBACK_KINDS.get(kind, ())]
        for n, candidate_kind in enumerate(tried):
            picked = _pick_department(candidate_kind, place, departments)
            if picked is None:
                continue
            dept, confidence, where = picked
            via = "" if n == 0 else f"（本地未设{kind}，由{candidate_kind}承担）"
            if n:
                confidence *= SEVERAL_CANDIDATES_FACTOR
            return RoutingDecision(
                rule=RoutingRule.DEPARTMENT,
                reason=(
                    f"{label}由职能部门“{kind}”承办（职能部门事项不下派基层），"
                    f"依据{_place_text(place)}派至{where}部门{dept.name}{via}"
                ),
                unit_kind="department",
                unit_id=dept.id,
                unit_name=dept.name,
                confidence=round(place.confidence * confidence, 4),
            )
        return _district_fallback(place, f"{label}应由“{kind}”承办，但所在区未设该部门")
    service = item.owner_unit
    serving = sorted((u for u in utilities if u.service == service), key=lambda u: u.code)
    if not serving:
        return _district_fallback(
            place, f"{label}应由公共服务企业（{service}）承办，但该地点不在任何企业的服务区域内"
        )
    chosen = serving[0]
    factor = 1.0 if len(serving) == 1 else SEVERAL_CANDIDATES_FACTOR
    return RoutingDecision(
        rule=RoutingRule.UTILITY,
        reason=(
            f"{label}由公共服务企业承办（部件先属主），依据{_place_text(place)}"
            f"该地点在{chosen.name}的服务区域内"
        ),
        unit_kind="utility",
        unit_id=chosen.id,
        unit_name=chosen.name,
        confidence=round(place.confidence * factor, 4),
    )


# --- automatic dispatch: category evidence + routing decision + policy → dispatch or not -------

TARGET_GRID: Final = tuple(round(0.80 + 0.005 * i, 3) for i in range(40))
"""Target accuracies (0.800 … 0.995) a model's routing thresholds are calibrated for."""
NEVER: Final = 1.01
"""A threshold no probability reaches: the label is never routed at that target."""
MIN_CALIBRATION_ROWS: Final = 10
"""A label needs at least this many held-out predictions to get a threshold of its own; with
fewer, the global threshold applies to it."""


@dataclass(frozen=True, slots=True)
class HeldOutPrediction:
    """One held-out prediction at training time: the top label, its probability, the
    probability of the runner-up and whether the top label was right."""

    label: str
    probability: float
    runner_up: float
    correct: bool


def _cut(rows: Sequence[HeldOutPrediction], target: float, minimum: int) -> float:
    """The lowest top probability at which the rows at or above it reach ``target`` accuracy
    (the largest such prefix of the rows sorted by probability), or :data:`NEVER`."""
    ordered = sorted(rows, key=lambda r: -r.probability)
    best = NEVER
    right = 0
    for n, row in enumerate(ordered, start=1):
        right += row.correct
        if n >= minimum and right / n >= target:
            best = row.probability
    return best


@dataclass(frozen=True, slots=True)
class RoutingThresholds:
    """Per target accuracy of :data:`TARGET_GRID`, the lowest top probability at which a
    predicted label is routed without a person: one global cut and, where a label had enough
    held-out predictions, a cut of its own. Calibrated on held-out predictions at training
    time (:func:`calibrate_thresholds`) and stored with the model."""

    targets: tuple[float, ...]
    global_cut: tuple[float, ...]
    by_label: dict[str, tuple[float, ...]]
    n_calibration: int

    def cut(self, label: str, target: float) -> float:
        """The threshold of ``label`` at the smallest calibrated target ≥ ``target``
        (:data:`NEVER` above the grid)."""
        at = next((i for i, t in enumerate(self.targets) if t >= target - 1e-9), None)
        if at is None:
            return NEVER
        own = self.by_label.get(label)
        return own[at] if own is not None else self.global_cut[at]

    def as_dict(self) -> dict[str, object]:
        return {
            "targets": list(self.targets),
            "global_cut": list(self.global_cut),
            "by_label": {k: list(v) for k, v in sorted(self.by_label.items())},
            "n_calibration": self.n_calibration,
        }


def calibrate_thresholds(
    rows: Sequence[HeldOutPrediction],
    *,
    targets: Sequence[float] = TARGET_GRID,
    per_label: bool = True,
    minimum: int = MIN_CALIBRATION_ROWS,
) -> RoutingThresholds:
    """Thresholds that reach each target accuracy on ``rows``: the global cut over all rows,
    and with ``per_label`` each label's own cut over the rows predicting it (a label routed
    at its own cut is at least as accurate as the target, so their union is too)."""
    global_cut = tuple(_cut(rows, t, minimum) for t in targets)
    by_label: dict[str, tuple[float, ...]] = {}
    if per_label:
        groups: dict[str, list[HeldOutPrediction]] = {}
        for row in rows:
            groups.setdefault(row.label, []).append(row)
        for label, group in groups.items():
            if len(group) >= minimum:
                by_label[label] = tuple(_cut(group, t, minimum) for t in targets)
    return RoutingThresholds(tuple(targets), global_cut, by_label, len(rows))


@dataclass(frozen=True, slots=True)
class CategoryEvidence:
    """What is known about an appeal's category when automatic dispatch is decided.

    ``source`` is ``model`` (the classifier's top label), ``registered`` (the category given
    at intake) or ``chosen`` (a dispatcher's choice); ``unavailable`` says why there is no
    category at all (no model, nothing to classify). ``in_catalogue`` is whether the label is
    an item of the dispatch catalogue; ``name`` is how the reason shows it.
    """

    source: str
    label: str | None = None
    probability: float = 0.0
    name: str = ""
    in_catalogue: bool = True
    unavailable: str = ""


@dataclass(frozen=True, slots=True)
class AutoRoutePolicy:
    """When automatic dispatch may act without a person: the category must be routable at
    ``target_accuracy`` under the model's calibrated ``thresholds`` and the unit's
    confidence must reach ``unit_threshold``."""

    target_accuracy: float = 0.97
    unit_threshold: float = 0.8
    thresholds: RoutingThresholds | None = None


@dataclass(frozen=True, slots=True)
class CategoryVerdict:
    """Whether the category may be used without a person, and why (Chinese)."""

    confident: bool
    reason: str


def category_verdict(evidence: CategoryEvidence, policy: AutoRoutePolicy) -> CategoryVerdict:
    """The category half of the automatic-dispatch decision (the evaluation measures it)."""
    if evidence.source != "model":
        how = "派单员选定" if evidence.source == "chosen" else "受理时登记"
        return CategoryVerdict(True, f"按{how}的类别“{evidence.name or evidence.label}”")
    if evidence.label is None:
        return CategoryVerdict(False, evidence.unavailable or "模型未给出类别，转人工派单")
    shown = evidence.name or evidence.label
    if policy.thresholds is None:
        return CategoryVerdict(False, "当前模型未标定自动派单阈值（请重新训练模型），转人工派单")
    cut = policy.thresholds.cut(evidence.label, policy.target_accuracy)
    target = f"{policy.target_accuracy:.0%}"
    if evidence.probability < cut:
        limit = "该类别在此准确率下不自动派单" if cut >= NEVER else f"阈值 {cut:.2f}"
        return CategoryVerdict(
            False,
            f"最可能的类别“{shown}”置信度 {evidence.probability:.2f}，"
            f"未达到目标准确率 {target} 所需（{limit}），转人工派单",
        )
    if not evidence.in_catalogue:
        return CategoryVerdict(False, f"模型给出的类别“{shown}”不在派单目录中，转人工派单")
    return CategoryVerdict(
        True,
        f"类别“{shown}”置信度 {evidence.probability:.2f}（目标准确率 {target} 的阈值 {cut:.2f}）",
    )


@dataclass(frozen=True, slots=True)
class AutoDispatchDecision:
    """Dispatch without a person or not, with the category verdict and every reason that
    keeps the appeal with the dispatcher."""

    dispatch: bool
    category: CategoryVerdict
    reasons: tuple[str, ...]


def decide_auto_dispatch(
    evidence: CategoryEvidence, decision: RoutingDecision, policy: AutoRoutePolicy
) -> AutoDispatchDecision:
    """Classification + routing decision + policy → dispatch without a person, or why not."""
    verdict = category_verdict(evidence, policy)
    reasons: list[str] = []
    if evidence.source == "registered" or not verdict.confident:
        reasons.append(verdict.reason)
    if not decision.decided:
        reasons.append(decision.reason)
    elif decision.confidence < policy.unit_threshold:
        reasons.append(
            f"承办单位判定置信度 {decision.confidence:.2f} 低于阈值 "
            f"{policy.unit_threshold:.2f}，请人工确认"
        )
    unit_ok = decision.decided and decision.confidence >= policy.unit_threshold
    return AutoDispatchDecision(
        verdict.confident and unit_ok, verdict, tuple(r for r in reasons if r)
    )
