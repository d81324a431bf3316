"""What the dispatcher sees of a classification, and why: the top categories with their
probabilities and the words that drove them, the level-2/3 catalogue items under the chosen
first level, and the unit the owner rules pick at the place found (given, or parsed from the
text). Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.appeals import queries as appeal_queries
from civicgrid.auth.actor import Actor
from civicgrid.dispatch import queries
from civicgrid.dispatch.catalogue import Catalogue, CatalogueItem
from civicgrid.dispatch.routing import Place, RoutingDecision
from civicgrid.dispatch.service.classify import Classification, classify_text
from civicgrid.dispatch.service.placing import decide_route, resolve_place
from civicgrid.dispatch.service.policy import DispatchPolicy
from civicgrid.errors import Invalid


@dataclass(frozen=True, slots=True)
class ExplainedClassification:
    """A classification with what explains it to the dispatcher."""

    classification: Classification
    first_level: CatalogueItem | None
    """The level-1 item of the top suggestion (None without one in the catalogue)."""
    items_below: tuple[CatalogueItem, ...]
    """Its level-2 and level-3 items, in catalogue order."""
    place: Place
    decision: RoutingDecision
    """The unit the owner rule of the top suggestion picks at ``place``."""


def items_below(catalogue: Catalogue, code: str) -> tuple[CatalogueItem, ...]:
    """The level-2 items under ``code``, each followed by its level-3 items."""
    out: list[CatalogueItem] = []
    for child in catalogue.children(code):
        out.append(child)
        out.extend(catalogue.children(child.code))
    return tuple(out)


def explain_appeal(
    session: Session,
    *,
    actor: Actor,
    appeal_id: int,
    models_dir: Path,
    policy: DispatchPolicy | None = None,
) -> ExplainedClassification:
    """:func:`explain_text` for a stored appeal in the actor's scope (404 otherwise), with
    its place; a text that cannot be classified (empty, too long) gives a manual answer."""
    appeal = appeal_queries.by_id_for(session, actor, appeal_id)
    return explain_text(
        session,
        queries.appeal_text(appeal),
        models_dir=models_dir,
        policy=policy,
        address=appeal.address,
        lon=appeal.lon,
        lat=appeal.lat,
        region_id=appeal.region_id,
        refuse_bad_text=False,
    )


def explain_text(
    session: Session,
    text: str,
    *,
    models_dir: Path,
    policy: DispatchPolicy | None = None,
    k: int | None = None,
    address: str = "",
    lon: float | None = None,
    lat: float | None = None,
    region_id: int | None = None,
    refuse_bad_text: bool = True,
) -> ExplainedClassification:
    """:func:`~.classify.classify_text` plus the first level's items and the unit decision.
    Empty or over-long text raises ``Invalid``, or with ``refuse_bad_text=False`` gives a
    manual answer with the reason."""
    catalogue = queries.catalogue(session)
    try:
        classification = classify_text(
            session, text, models_dir=models_dir, policy=policy, k=k, catalogue=catalogue
        )
    except Invalid as exc:
        if refuse_bad_text:
            raise
        classification = Classification((), None, True, f"{exc.message}，转人工派单")
    top = classification.top
    item = top.item if top is not None else None
    first = catalogue.path(item.code)[0] if item is not None and catalogue is not None else None
    below = items_below(catalogue, first.code) if first is not None and catalogue else ()
    place = resolve_place(
        session, lon=lon, lat=lat, region_id=region_id, address=address, fallback_text=text
    )
    return ExplainedClassification(
        classification, first, below, place, decide_route(session, item, place)
    )
