"""The dispatch suggestion for one appeal (category, place, responsible unit, duplicate
candidates, urgency) and the duplicate candidates alone. Read-only."""

from __future__ import annotations

from dataclasses import dataclass, field
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
from civicgrid.dispatch.routing import (
    CategoryEvidence,
    Place,
    RoutingDecision,
    decide_auto_dispatch,
)
from civicgrid.dispatch.service.classify import Classification, classify_text, loaded_thresholds
from civicgrid.dispatch.service.placing import decide_route, resolve_place
from civicgrid.dispatch.service.policy import URGENCY_BY_CODE, DispatchPolicy, more_urgent
from civicgrid.errors import Invalid


@dataclass(slots=True)
class OpenAppeals:
    """The open appeals a batch compares its appeals with (duplicate candidates), read once
    for the batch and read again, wider, only when an appeal's window starts before what was
    read or ends after it while the read ended before the batch's ``now`` (a window reaching
    past ``now`` asks for appeals not received yet when the batch began: the batch works from
    what existed at its read). Each answer is cut to the appeal's own window; an appeal the
    batch merged is forgotten (a read after the merge would no longer list it)."""

    actor: Actor | None = None
    since: datetime | None = None
    until: datetime | None = None
    items: list[AppealText] = field(default_factory=list)
    reads: int = 0

    def within(
        self, session: Session, actor: Actor, *, since: datetime, until: datetime, now: datetime
    ) -> list[AppealText]:
        """The open appeals ``actor`` may see received in ``[since, until)``."""
        span = (since, until)
        if self.actor == actor and self.since is not None and self.until is not None:
            if self.since <= since and (until <= self.until or self.until > now):
                return [a for a in self.items if since <= a.received_at < until]
            span = (min(since, self.since), max(until, self.until))
        self.items = queries.open_appeals_since(session, actor, since=span[0], until=span[1])
        self.actor, self.since, self.until = actor, span[0], span[1]
        self.reads += 1
        return [a for a in self.items if since <= a.received_at < until]

    def forget(self, appeal_id: int) -> None:
        """Leave out an appeal that is no longer open (merged by the batch)."""
        self.items = [a for a in self.items if a.id != appeal_id]


@dataclass(frozen=True, slots=True)
class SharedReads:
    """What suggestions for a batch of appeals share, read once per batch: the territory's
    names, the dispatch catalogue (None when none is loaded) and the open appeals their
    duplicates are looked for among."""

    index: RegionIndex
    catalogue: Catalogue | None
    open_appeals: OpenAppeals = field(default_factory=OpenAppeals)

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
    has them (the background job reads them once per run). Whether it may be dispatched
    without a person is :func:`~civicgrid.dispatch.routing.decide_auto_dispatch`. Read-only."""
    policy = policy or DispatchPolicy()
    if appeal is None and appeal_id is not None:
        appeal = appeal_queries.by_id_for(session, actor, appeal_id)
    if appeal is not None:
        text = queries.appeal_text(appeal)
        address, lon, lat, region_id = appeal.address, appeal.lon, appeal.lat, appeal.region_id
    elif not text.strip():
        raise Invalid("请提供工单编号或诉求文本")
    catalogue = shared.catalogue if shared is not None else queries.catalogue(session)
    classification = _classify(session, text, appeal, models_dir, policy, catalogue)
    item, evidence = _category(classification, catalogue, appeal, code)
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
    verdict = decide_auto_dispatch(
        evidence, decision, policy.auto_route(loaded_thresholds(models_dir))
    )
    new = (
        queries.as_appeal_text(appeal)
        if appeal is not None
        else AppealText(
            0, "", text, now, lon=lon, lat=lat, region_id=place.region_id, address=address
        )
    )
    level = URGENCY_BY_CODE.get(item.default_level) if item is not None else None
    if appeal is not None and level is not None:
        level = more_urgent(level, UrgencyLevel(appeal.level))
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
        duplicates=_duplicates(session, actor, new, policy, shared, now),
        level=level,
        auto_dispatch=verdict.dispatch,
        reasons=verdict.reasons,
    )


def _classify(
    session: Session,
    text: str,
    appeal: Appeal | None,
    models_dir: Path,
    policy: DispatchPolicy,
    catalogue: Catalogue | None,
) -> Classification:
    """The classifier's answer; for a stored appeal whose text cannot be classified (empty,
    too long), a manual answer instead of an error."""
    try:
        return classify_text(
            session, text, models_dir=models_dir, policy=policy, catalogue=catalogue
        )
    except Invalid as exc:
        if appeal is None:
            raise
        return Classification((), None, True, f"{exc.message}，转人工派单")


def _category(
    classification: Classification,
    catalogue: Catalogue | None,
    appeal: Appeal | None,
    code: str | None,
) -> tuple[CatalogueItem | None, CategoryEvidence]:
    """The catalogue item to route by and the evidence for it: the dispatcher's ``code``, else
    the category registered at intake, else the classifier's top suggestion."""
    if code:
        if catalogue is None or code not in catalogue:
            raise Invalid(f"派单目录中没有编码为 {code} 的事项", detail={"field": "code"})
        chosen = catalogue.get(code)
        return chosen, CategoryEvidence("chosen", chosen.code, 1.0, chosen.name)
    if appeal is not None and catalogue is not None and appeal.category in catalogue:
        registered = catalogue.get(appeal.category)
        return registered, CategoryEvidence("registered", registered.code, 1.0, registered.name)
    top = classification.top
    if top is None:
        return None, CategoryEvidence("model", unavailable=classification.reason)
    evidence = CategoryEvidence(
        "model",
        top.label,
        top.probability,
        "／".join(top.path) if top.path else top.label,
        top.item is not None,
    )
    return top.item, evidence


def _duplicates(
    session: Session,
    actor: Actor,
    new: AppealText,
    policy: DispatchPolicy,
    shared: SharedReads | None,
    now: datetime,
) -> tuple[DuplicateCandidate, ...]:
    window = timedelta(days=policy.duplicates.window_days)
    since, until = new.received_at - window, new.received_at + window
    others = (
        shared.open_appeals.within(session, actor, since=since, until=until, now=now)
        if shared is not None
        else queries.open_appeals_since(session, actor, since=since, until=until)
    )
    return tuple(find_duplicates(new, others, policy.duplicates))


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
