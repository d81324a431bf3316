"""Dispatch use cases and read services: the catalogue in the database, classification of an
appeal's text into catalogue items, the place and the responsible unit (routing), duplicate
candidates, dispatchers' corrections as training feedback, and automatic routing.

Transactions: functions marked ``@use_case`` are one transaction each. :func:`suggest_dispatch`,
:func:`classify_text` and :func:`plan_auto_route` only read. :func:`run_auto_route` is edge
orchestration (called by the API, the CLI or a job, never inside a use case): it reads the plan
and then calls exactly one appeals use case (``dispatch`` or ``merge``), whose transaction
writes the change, the timeline event carrying the routing reason and the audit row.

When no model is trained, the model file is damaged, the text has nothing to classify or the
confidence is below the threshold, the appeal goes to the dispatcher's manual queue; nothing
here turns those cases into a server error.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Final

from sqlalchemy.orm import Session

from civicgrid.appeals import queries as appeal_queries
from civicgrid.appeals import service as appeal_service
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.dispatch import queries
from civicgrid.dispatch.artifacts import ModelInfo, current_version, load_model
from civicgrid.dispatch.catalogue import (
    COLUMNS,
    Catalogue,
    CatalogueItem,
    parse_catalogue,
    read_catalogue_csv,
)
from civicgrid.dispatch.classifier import TextClassifier
from civicgrid.dispatch.duplicates import (
    AppealText,
    DuplicateCandidate,
    DuplicatePolicy,
    find_duplicates,
)
from civicgrid.dispatch.models import CatalogueItemRow, DispatchFeedback
from civicgrid.dispatch.normalise import MAX_TEXT_CHARS
from civicgrid.dispatch.places import (
    RegionIndex,
    place_from_region,
    place_from_text,
)
from civicgrid.dispatch.routing import (
    UNKNOWN_PLACE,
    Place,
    RoutingDecision,
    route,
)
from civicgrid.errors import DomainError, Invalid, NotFound
from civicgrid.territory.locate import locate

SUBJECT: Final = "catalogue"
URGENCY_BY_CODE: Final = {
    "L1": UrgencyLevel.EMERGENCY,
    "L2": UrgencyLevel.UTILITY,
    "L3": UrgencyLevel.GENERAL,
    "L4": UrgencyLevel.COMPLEX,
}
_URGENCY_ORDER: Final = [
    UrgencyLevel.EMERGENCY,
    UrgencyLevel.UTILITY,
    UrgencyLevel.GENERAL,
    UrgencyLevel.COMPLEX,
]


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    """Thresholds of smart dispatch (configurable; see :func:`policy_from_settings`)."""

    category_threshold: float = 0.6
    """Top-category probability below which the category goes to the dispatcher."""
    route_threshold: float = 0.8
    """Routing confidence below which the unit goes to the dispatcher."""
    top_k: int = 3
    duplicates: DuplicatePolicy = field(default_factory=DuplicatePolicy)


def policy_from_settings(settings: object) -> DispatchPolicy:
    """The policy from ``CIVICGRID_DISPATCH_*`` settings where they exist, else defaults."""
    base = DispatchPolicy()
    dup = base.duplicates

    def get(name: str, default: float) -> float:
        value = getattr(settings, name, None)
        return float(value) if isinstance(value, int | float) else default

    return DispatchPolicy(
        category_threshold=get("dispatch_category_threshold", base.category_threshold),
        route_threshold=get("dispatch_route_threshold", base.route_threshold),
        top_k=base.top_k,
        duplicates=DuplicatePolicy(
            window_days=int(get("dispatch_duplicate_days", dup.window_days)),
            radius_m=get("dispatch_duplicate_metres", dup.radius_m),
            min_similarity=get("dispatch_duplicate_similarity", dup.min_similarity),
            auto_merge_at=get("dispatch_auto_merge_at", dup.auto_merge_at),
        ),
    )


# --- the model -----------------------------------------------------------------------------


class _ModelCache:
    """Loaded models per (directory, version); the ``current`` pointer is read on every call,
    so activating another version takes effect at once in every process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[tuple[Path, str], tuple[TextClassifier, ModelInfo]] = {}

    def get(self, models_dir: Path) -> tuple[TextClassifier, ModelInfo]:
        version = current_version(models_dir)
        key = (models_dir.resolve(), version)
        with self._lock:
            found = self._models.get(key)
        if found is not None:
            return found
        loaded = load_model(models_dir, version)
        with self._lock:
            self._models = {k: v for k, v in self._models.items() if k[0] != key[0]}
            self._models[key] = loaded
        return loaded


MODELS = _ModelCache()


@dataclass(frozen=True, slots=True)
class CategorySuggestion:
    """One label of the classifier with its probability and, when the label is a catalogue
    code (or a unique item name), the item and its path of names."""

    label: str
    probability: float
    item: CatalogueItem | None
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Classification:
    """The classifier's answer for a text; ``manual`` = the dispatcher must choose."""

    suggestions: tuple[CategorySuggestion, ...]
    model_version: str | None
    manual: bool
    reason: str

    @property
    def top(self) -> CategorySuggestion | None:
        return self.suggestions[0] if self.suggestions else None


def _item_for(
    label: str, catalogue: Catalogue | None
) -> tuple[CatalogueItem | None, tuple[str, ...]]:
    if catalogue is None:
        return None, ()
    item = catalogue.by_code.get(label)
    if item is None:
        named = [i for i in catalogue.items if i.name == label]
        item = named[0] if len(named) == 1 else None
    if item is None:
        return None, ()
    return item, tuple(i.name for i in catalogue.path(item.code))


def classify_text(
    session: Session,
    text: str,
    *,
    models_dir: Path,
    policy: DispatchPolicy | None = None,
    k: int | None = None,
    catalogue: Catalogue | None = None,
) -> Classification:
    """Top-k catalogue items for ``text``. Empty or over-long text raises ``Invalid`` (the
    caller asked for something impossible); every other failure gives a manual answer."""
    policy = policy or DispatchPolicy()
    stripped = text.strip()
    if not stripped:
        raise Invalid("诉求文本为空，无法分类 (text is empty)", detail={"field": "text"})
    if len(stripped) > MAX_TEXT_CHARS:
        raise Invalid(
            f"诉求文本超过 {MAX_TEXT_CHARS} 字，无法分类 (text too long)", detail={"field": "text"}
        )
    try:
        classifier, info = MODELS.get(models_dir)
    except DomainError as exc:
        return Classification((), None, True, f"分类模型不可用，转人工派单：{exc.message}")
    ranked = classifier.classify(stripped, k or policy.top_k)
    if not ranked:
        return Classification(
            (), info.version, True, "文本中没有可识别的中文内容或已知词语，转人工派单"
        )
    if catalogue is None:
        catalogue = queries.catalogue(session)
    suggestions = tuple(
        CategorySuggestion(label, prob, *_item_for(label, catalogue)) for label, prob in ranked
    )
    top = suggestions[0]
    if top.probability < policy.category_threshold:
        reason = (
            f"最可能的类别“{top.path[-1] if top.path else top.label}”置信度 "
            f"{top.probability:.2f} 低于阈值 {policy.category_threshold:.2f}，转人工派单"
        )
        return Classification(suggestions, info.version, True, reason)
    if top.item is None:
        reason = f"模型给出的类别“{top.label}”不在派单目录中，转人工派单"
        return Classification(suggestions, info.version, True, reason)
    return Classification(
        suggestions, info.version, False, f"类别“{'／'.join(top.path)}”置信度 {top.probability:.2f}"
    )


# --- place and routing ----------------------------------------------------------------------


def resolve_place(
    session: Session,
    *,
    lon: float | None = None,
    lat: float | None = None,
    region_id: int | None = None,
    address: str = "",
    fallback_text: str = "",
    index: RegionIndex | None = None,
) -> Place:
    """Where the appeal is: coordinates in a grid, else the region chosen at intake (when it
    is finer than the district), else the address text (then the appeal text) parsed against
    the territory and the register; unknown when none of them works."""
    index = index or RegionIndex(queries.region_names(session))
    coarse: Place | None = None
    if lon is not None and lat is not None:
        located = locate(session, lon, lat)
        if located is not None:
            return place_from_region(
                index,
                located.grid.region_id,
                source="coordinates",
                confidence=1.0,
                detail=f"{located.grid.name}",
            )
    if region_id is not None:
        place = place_from_region(index, region_id, source="region", confidence=1.0)
        if place.street is not None:
            return place
        coarse = place if place.known else None
    for text in (address, fallback_text):
        if not text.strip():
            continue
        parsed = index.parse(text)
        prefix = parsed.region.path if parsed.region is not None else ""
        if coarse is not None and coarse.region_path.startswith(prefix):
            prefix = coarse.region_path
        place, _parsed, _match = place_from_text(
            index, text[:MAX_TEXT_CHARS], queries.address_refs(session, prefix)
        )
        if place.known and (coarse is None or place.region_path.startswith(coarse.region_path)):
            return place
    return coarse or UNKNOWN_PLACE


def decide_route(session: Session, item: CatalogueItem | None, place: Place) -> RoutingDecision:
    """:func:`.routing.route` with the departments and utilities of the place."""
    region_ids = [r.id for r in (place.district, place.city) if r is not None]
    departments = queries.departments_for(session, region_ids) if region_ids else []
    utilities = queries.utilities_for(session, place.region_id) if place.region_id else []
    return route(item, place, departments=departments, utilities=utilities)


# --- the suggestion for a dispatcher --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DispatchSuggestion:
    """Everything a dispatcher (or automatic routing) needs to dispatch one appeal."""

    classification: Classification
    item: CatalogueItem | None
    item_path: tuple[str, ...]
    place: Place
    decision: RoutingDecision
    duplicates: tuple[DuplicateCandidate, ...]
    level: UrgencyLevel | None
    auto_dispatch: bool
    """Category and unit are both confident enough to dispatch without a person."""
    reasons: tuple[str, ...]


def _more_urgent(a: UrgencyLevel, b: UrgencyLevel | None) -> UrgencyLevel:
    if b is None:
        return a
    return min(a, b, key=_URGENCY_ORDER.index)


def suggest_dispatch(
    session: Session,
    *,
    actor: Actor,
    models_dir: Path,
    now: datetime,
    policy: DispatchPolicy | None = None,
    appeal_id: int | None = None,
    text: str = "",
    address: str = "",
    lon: float | None = None,
    lat: float | None = None,
    region_id: int | None = None,
    code: str | None = None,
) -> DispatchSuggestion:
    """Category suggestions, place, routing decision and duplicate candidates for an appeal
    (``appeal_id``, in the actor's scope) or for a text with its place. ``code`` forces the
    category (the dispatcher's choice). Read-only."""
    policy = policy or DispatchPolicy()
    appeal: Appeal | None = None
    if appeal_id is not None:
        appeal = appeal_queries.by_id_for(session, actor, appeal_id)
        text = queries.appeal_text(appeal)
        address, lon, lat, region_id = appeal.address, appeal.lon, appeal.lat, appeal.region_id
    elif not text.strip():
        raise Invalid("请提供工单编号或诉求文本 (appeal_id or text is required)")
    catalogue = queries.catalogue(session)
    reasons: list[str] = []
    try:
        classification = classify_text(
            session, text, models_dir=models_dir, policy=policy, catalogue=catalogue
        )
    except Invalid as exc:
        if appeal is None:
            raise
        classification = Classification((), None, True, f"{exc.message}，转人工派单")
    item: CatalogueItem | None = None
    if code:
        if catalogue is None or code not in catalogue:
            raise Invalid(f"派单目录中没有编码为 {code} 的事项", detail={"field": "code"})
        item = catalogue.get(code)
    elif appeal is not None and catalogue is not None and appeal.category in catalogue:
        item = catalogue.get(appeal.category)
        reasons.append(f"按受理时登记的类别“{item.name}”")
    elif classification.top is not None:
        item = classification.top.item
    category_ok = bool(code) or (item is not None and not classification.manual)
    if appeal is not None and item is not None and appeal.category == item.code:
        category_ok = True
    if not category_ok:
        reasons.append(classification.reason)
    place = resolve_place(
        session, lon=lon, lat=lat, region_id=region_id, address=address, fallback_text=text
    )
    decision = decide_route(session, item, place)
    if not decision.decided:
        reasons.append(decision.reason)
    elif decision.confidence < policy.route_threshold:
        reasons.append(
            f"承办单位判定置信度 {decision.confidence:.2f} 低于阈值 "
            f"{policy.route_threshold:.2f}，请人工确认"
        )
    duplicates: tuple[DuplicateCandidate, ...] = ()
    if appeal is not None or text.strip():
        received = appeal.received_at if appeal is not None else now
        window = timedelta(days=policy.duplicates.window_days)
        new = (
            queries.as_appeal_text(appeal)
            if appeal is not None
            else AppealText(
                id=0,
                number="",
                text=text,
                received_at=now,
                lon=lon,
                lat=lat,
                region_id=place.region_id,
                address=address,
            )
        )
        others = queries.open_appeals_since(
            session, actor, since=received - window, until=received + window
        )
        duplicates = tuple(find_duplicates(new, others, policy.duplicates))
    level = URGENCY_BY_CODE.get(item.default_level) if item is not None else None
    if appeal is not None and level is not None:
        level = _more_urgent(level, UrgencyLevel(appeal.level))
    auto = category_ok and decision.decided and decision.confidence >= policy.route_threshold
    return DispatchSuggestion(
        classification=classification,
        item=item,
        item_path=(
            tuple(i.name for i in catalogue.path(item.code))
            if item is not None and catalogue is not None
            else ()
        ),
        place=place,
        decision=decision,
        duplicates=duplicates,
        level=level,
        auto_dispatch=auto,
        reasons=tuple(r for r in reasons if r),
    )


def duplicates_for(
    session: Session,
    *,
    actor: Actor,
    appeal_id: int,
    policy: DispatchPolicy | None = None,
) -> list[DuplicateCandidate]:
    """Open appeals that may duplicate ``appeal_id`` (window and radius of the policy)."""
    policy = policy or DispatchPolicy()
    appeal = appeal_queries.by_id_for(session, actor, appeal_id)
    window = timedelta(days=policy.duplicates.window_days)
    others = queries.open_appeals_since(
        session, actor, since=appeal.received_at - window, until=appeal.received_at + window
    )
    return find_duplicates(queries.as_appeal_text(appeal), others, policy.duplicates)


# --- automatic routing (edge orchestration) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class AutoRoutePlan:
    """What automatic routing will do: ``dispatch``, ``merge`` or ``manual`` (and why)."""

    action: str
    reason: str
    suggestion: DispatchSuggestion | None = None
    target_number: str = ""


def plan_auto_route(
    session: Session,
    *,
    appeal_id: int,
    actor: Actor,
    models_dir: Path,
    now: datetime,
    policy: DispatchPolicy | None = None,
) -> AutoRoutePlan:
    """Decide, without writing, whether ``appeal_id`` can be merged into a duplicate (score ≥
    the strict auto-merge threshold) or dispatched (appeal pending dispatch, category and unit
    above their thresholds). Anything else stays in the manual queue."""
    policy = policy or DispatchPolicy()
    appeal = appeal_queries.by_id_for(session, actor, appeal_id)
    if appeal.status != AppealStatus.PENDING_DISPATCH.value:
        return AutoRoutePlan(
            "manual", f"工单状态为“{AppealStatus(appeal.status).label}”，只有待派单工单可自动派单"
        )
    suggestion = suggest_dispatch(
        session, actor=actor, models_dir=models_dir, now=now, policy=policy, appeal_id=appeal_id
    )
    older = [d for d in suggestion.duplicates if d.appeal.received_at <= appeal.received_at]
    if older and older[0].score >= policy.duplicates.auto_merge_at:
        best = older[0]
        return AutoRoutePlan(
            "merge",
            f"与工单 {best.appeal.number} 高度重复"
            f"（相似度 {best.score:.2f}，{best.place_reason}），自动并单",
            suggestion,
            best.appeal.number,
        )
    if not suggestion.auto_dispatch:
        return AutoRoutePlan("manual", "；".join(suggestion.reasons) or "需人工派单", suggestion)
    decision = suggestion.decision
    item = suggestion.item
    assert item is not None
    return AutoRoutePlan(
        "dispatch",
        f"智能派单：类别“{item.name}”（{item.code}）；{decision.rule.label}：{decision.reason}",
        suggestion,
    )


@dataclass(frozen=True, slots=True)
class AutoRouteResult:
    """The plan and the appeal after it was carried out (unchanged for ``manual``)."""

    plan: AutoRoutePlan
    appeal: Appeal


def run_auto_route(
    session: Session,
    *,
    appeal_id: int,
    actor: Actor,
    models_dir: Path,
    now: datetime,
    policy: DispatchPolicy | None = None,
) -> AutoRouteResult:
    """Plan, then carry out the plan through the appeals package's own use case (one
    transaction: the appeal's change, its timeline event with the reason, the audit row).
    Must not be called inside a use case."""
    plan = plan_auto_route(
        session, appeal_id=appeal_id, actor=actor, models_dir=models_dir, now=now, policy=policy
    )
    if plan.action == "merge":
        appeal = appeal_service.merge(
            session,
            appeal_id=appeal_id,
            target_number=plan.target_number,
            note=plan.reason,
            actor=actor,
            now=now,
        )
        return AutoRouteResult(plan, appeal)
    if plan.action == "dispatch":
        assert plan.suggestion is not None
        decision = plan.suggestion.decision
        assert decision.unit_kind is not None
        assert decision.unit_id is not None
        appeal = appeal_service.dispatch(
            session,
            appeal_id=appeal_id,
            lead=(decision.unit_kind, decision.unit_id),
            level=plan.suggestion.level,
            note=plan.reason,
            actor=actor,
            now=now,
        )
        return AutoRouteResult(plan, appeal)
    return AutoRouteResult(plan, appeal_queries.by_id_for(session, actor, appeal_id))


# --- feedback ------------------------------------------------------------------------------


@use_case
def record_feedback(
    session: Session,
    *,
    appeal_id: int,
    chosen_code: str,
    actor: Actor,
    models_dir: Path,
    now: datetime,
) -> DispatchFeedback:
    """Store the dispatcher's category for an appeal beside what the model proposed, as
    training feedback (派单纠错). The code must name an active catalogue item."""
    appeal = appeal_queries.by_id_for(session, actor, appeal_id)
    row = queries.find_catalogue_row(session, chosen_code)
    if row is None or not row.is_active:
        raise Invalid(
            f"派单目录中没有启用的编码为 {chosen_code} 的事项", detail={"field": "chosen_code"}
        )
    text = queries.appeal_text(appeal)
    predicted_label, probability, version = "", None, ""
    try:
        classification = classify_text(session, text, models_dir=models_dir, k=1)
    except Invalid:
        classification = None
    if classification is not None and classification.top is not None:
        predicted_label = classification.top.label
        probability = classification.top.probability
        version = classification.model_version or ""
    feedback = DispatchFeedback(
        appeal_id=appeal.id,
        text=text[:MAX_TEXT_CHARS],
        predicted_label=predicted_label,
        predicted_probability=probability,
        model_version=version,
        chosen_code=row.code,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        at=now,
    )
    session.add(feedback)
    session.flush()
    record(
        session,
        actor=actor,
        action="dispatch.feedback",
        subject_type="appeal",
        subject_id=appeal.id,
        now=now,
        detail={
            "number": appeal.number,
            "predicted": predicted_label,
            "probability": probability,
            "chosen": row.code,
            "agrees": predicted_label == row.code,
        },
    )
    return feedback


def training_pairs(session: Session, now: datetime) -> list[tuple[str, str]]:
    """(text, label) pairs from the database: closed appeals with their category, where the
    dispatcher's latest correction of an appeal replaces the stored category, plus corrected
    appeals that are not closed yet."""
    corrected: dict[int, tuple[str, str]] = {}
    for appeal_id, text, code in queries.feedback_pairs(session):
        corrected[appeal_id] = (text, code)
    pairs: list[tuple[str, str]] = []
    for appeal_id, text, category in queries.closed_appeal_pairs(session, now):
        if appeal_id in corrected:
            continue
        pairs.append((text, category))
    pairs.extend(corrected.values())
    return pairs


# --- the catalogue in the database ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What loading a catalogue changed."""

    version: str
    created: int
    updated: int
    unchanged: int
    deactivated: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
        }


def _values(item: CatalogueItem, active: bool) -> dict[str, Any]:
    return {
        "parent_code": item.parent_code,
        "level": item.level,
        "name": item.name,
        "owner_rule": item.owner_rule.value,
        "owner_unit": item.owner_unit,
        "default_level": item.default_level,
        "default_finish_days": item.default_finish_days,
        "requires_site_visit": item.requires_site_visit,
        "whistle_candidate": item.whistle_candidate,
        "keywords": ";".join(item.keywords),
        "is_active": active,
    }


def default_catalogue() -> Catalogue:
    """The catalogue file shipped with civicgrid."""
    path = resources.files("civicgrid.dispatch").joinpath("data/catalogue.csv")
    with path.open(encoding="utf-8") as handle:
        return read_catalogue_csv(handle)


@use_case
def load_catalogue(
    session: Session,
    *,
    catalogue: Catalogue,
    actor: Actor,
    now: datetime,
    source: str = "file",
    inactive: frozenset[str] = frozenset(),
) -> LoadResult:
    """Make the database catalogue equal to ``catalogue`` (idempotent): new codes are added,
    changed ones updated, codes missing from it are switched off (never deleted: old appeals
    and feedback still name them). ``inactive`` lists codes to load switched off."""
    existing = {r.code: r for r in queries.catalogue_rows(session)}
    created = updated = unchanged = deactivated = 0
    for item in catalogue.items:
        values = _values(item, item.code not in inactive)
        row = existing.pop(item.code, None)
        if row is None:
            session.add(
                CatalogueItemRow(
                    code=item.code, version=catalogue.version, updated_at=now, **values
                )
            )
            created += 1
            continue
        if (
            all(getattr(row, k) == v for k, v in values.items())
            and row.version == catalogue.version
        ):
            unchanged += 1
            continue
        for key, value in values.items():
            setattr(row, key, value)
        row.version = catalogue.version
        row.updated_at = now
        updated += 1
    for row in existing.values():
        if row.is_active:
            row.is_active = False
            row.updated_at = now
            deactivated += 1
    session.flush()
    result = LoadResult(catalogue.version, created, updated, unchanged, deactivated)
    record(
        session,
        actor=actor,
        action="catalogue.load",
        subject_type=SUBJECT,
        subject_id=catalogue.version,
        now=now,
        detail={"source": source, **result.as_dict()},
    )
    return result


EDITABLE: Final = frozenset(COLUMNS) - {"code", "level"} | {"is_active"}


def _row_mapping(row: CatalogueItemRow) -> dict[str, str]:
    return {
        "code": row.code,
        "parent_code": row.parent_code or "",
        "level": str(row.level),
        "name": row.name,
        "owner_rule": row.owner_rule,
        "owner_unit": row.owner_unit,
        "default_level": row.default_level,
        "default_finish_days": str(row.default_finish_days),
        "requires_site_visit": "true" if row.requires_site_visit else "false",
        "whistle_candidate": "true" if row.whistle_candidate else "false",
        "keywords": row.keywords,
    }


def _text_of(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return "" if value is None else str(value)


@use_case
def save_item(
    session: Session,
    *,
    code: str,
    changes: Mapping[str, object],
    create: bool,
    actor: Actor,
    now: datetime,
) -> CatalogueItemRow:
    """Create (``create``) or edit one catalogue item. The whole catalogue is re-validated with
    the change (codes, parents, owner rules, no push-down of department items to streets), so
    an edit can never leave the tree inconsistent. Editing marks the item with the current
    catalogue version plus ``+local``."""
    unknown = sorted(set(changes) - EDITABLE - {"code"})
    if unknown:
        raise Invalid(f"不能修改的字段: {', '.join(unknown)}")
    rows = {r.code: r for r in queries.catalogue_rows(session)}
    code = code.strip()
    if create and code in rows:
        raise Invalid(f"编码 {code} 已存在", detail={"field": "code"})
    if not create and code not in rows:
        raise NotFound(f"派单目录中没有编码为 {code} 的事项")
    mappings = {c: _row_mapping(r) for c, r in rows.items()}
    before = dict(mappings.get(code, {}))
    target = mappings.setdefault(code, {"code": code, "level": str(len(code) // 2)})
    for key, value in changes.items():
        if key != "is_active" and key != "code":
            target[key] = _text_of(value)
    version = (queries.catalogue_version(session) or "local").split("+")[0] + "+local"
    catalogue = parse_catalogue(mappings.values(), version=version)
    item = catalogue.get(code)
    active = bool(changes.get("is_active", rows[code].is_active if code in rows else True))
    if not active and any(r.parent_code == code and r.is_active for r in rows.values()):
        raise Invalid(f"事项 {code} 下仍有启用的下级事项，请先停用下级事项")
    row = rows.get(code)
    values = _values(item, active)
    if row is None:
        row = CatalogueItemRow(code=code, version=version, updated_at=now, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.version = version
        row.updated_at = now
    session.flush()
    record(
        session,
        actor=actor,
        action="catalogue.create" if create else "catalogue.update",
        subject_type=SUBJECT,
        subject_id=code,
        now=now,
        detail={"before": before, "after": _row_mapping(row), "is_active": active},
    )
    return row
