"""The dispatch suggestion for one appeal (category, place, responsible unit, duplicate
candidates, urgency) and the duplicate candidates alone. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.appeals import queries as appeal_queries
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.models import Appeal
from civicgrid.auth.actor import Actor
from civicgrid.dispatch import queries
from civicgrid.dispatch.catalogue import Catalogue, CatalogueItem
from civicgrid.dispatch.duplicates import AppealText, DuplicateCandidate, find_duplicates
from civicgrid.dispatch.places import RegionIndex
from civicgrid.dispatch.routing import Place, RoutingDecision
from civicgrid.dispatch.service.classify import Classification, classify_text
from civicgrid.dispatch.service.placing import decide_route, resolve_place
from civicgrid.dispatch.service.policy import URGENCY_BY_CODE, DispatchPolicy, more_urgent
from civicgrid.errors import Invalid


@dataclass(frozen=True, slots=True)
class SharedReads:
    """What suggestions for a batch of appeals share, read once per batch: the territory's
    names and the dispatch catalogue (None when none is loaded)."""

    index: RegionIndex
    catalogue: Catalogue | None

    @classmethod
    def read(cls, session: Session) -> SharedReads:
        return cls(RegionIndex(queries.region_names(session)), queries.catalogue(session))


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
    appeal: Appeal | None = None,
    shared: SharedReads | None = None,
) -> DispatchSuggestion:
    """Category suggestions, place, routing decision and duplicate candidates for an appeal
    (``appeal_id``, in the actor's scope, or ``appeal`` when the caller has already read it
    that way) or for a text with its place. ``code`` forces the category (the dispatcher's
    choice); ``shared`` holds the territory's names and the catalogue when the caller already
    has them (the background job reads them once per run). Read-only."""
    policy = policy or DispatchPolicy()
    if appeal is None and appeal_id is not None:
        appeal = appeal_queries.by_id_for(session, actor, appeal_id)
    if appeal is not None:
        text = queries.appeal_text(appeal)
        address, lon, lat, region_id = appeal.address, appeal.lon, appeal.lat, appeal.region_id
    elif not text.strip():
        raise Invalid("请提供工单编号或诉求文本 (appeal_id or text is required)")
    catalogue = shared.catalogue if shared is not None else queries.catalogue(session)
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
        session,
        lon=lon,
        lat=lat,
        region_id=region_id,
        address=address,
        fallback_text=text,
        index=shared.index if shared is not None else None,
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
        level = more_urgent(level, UrgencyLevel(appeal.level))
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
