"""The choices several pages share around dispatch: the units an order can be sent to, the
dispatch catalogue (read once per process), and the classifier's category suggestions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.config import Settings
from civicgrid.dispatch.catalogue import Catalogue, load_default_catalogue
from civicgrid.errors import DomainError, Invalid
from civicgrid.territory.units import units_for


@dataclass(frozen=True, slots=True)
class UnitChoice:
    """A unit an order can be sent to; ``value`` is ``kind:id`` as the dispatch form posts."""

    value: str
    name: str
    group: str


def unit_choices(session: Session, actor: Actor) -> list[UnitChoice]:
    """The units the actor may send an order to, grouped (streets and districts, active
    departments, active utilities) and scoped like the unit pickers' search
    (``territory.units``), so the select and the search offer the same units."""
    return [UnitChoice(u.value, u.name, u.group) for u in units_for(session, actor)]


@lru_cache(maxsize=1)
def dispatch_catalogue() -> Catalogue:
    """The dispatch catalogue shipped with civicgrid (read once per process)."""
    return load_default_catalogue()


def catalogue_choices() -> list[tuple[str, str]]:
    """The level-3 items of the dispatch catalogue as (code, "一级 / 二级 / 三级")."""
    catalogue = dispatch_catalogue()
    return [
        (item.code, " / ".join(p.name for p in catalogue.path(item.code)))
        for item in catalogue.leaves()
    ]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A category suggested by the classifier, with its probability."""

    code: str
    name: str
    probability: float
    default_level: str


@lru_cache(maxsize=4)
def _model(models_dir: Path, version: str) -> object:
    from civicgrid.dispatch.artifacts import load_model

    classifier, _info = load_model(models_dir, version)
    return classifier


def classify_text(settings: Settings, text: str) -> list[Suggestion] | None:
    """Up to three categories for ``text`` from the active classifier; ``None`` when no model
    is trained (the appeal then goes to the manual queue), ``[]`` when it has no guess."""
    from civicgrid.dispatch.artifacts import current_version
    from civicgrid.dispatch.classifier import TextClassifier

    try:
        version = current_version(settings.models_dir)
        classifier = _model(settings.models_dir, version)
    except DomainError:
        return None
    if not text.strip() or not isinstance(classifier, TextClassifier):
        return []
    try:
        ranked = classifier.classify(text, k=3)
    except Invalid:
        return []
    catalogue = dispatch_catalogue()
    out = []
    for code, probability in ranked:
        if code not in catalogue:
            continue
        item = catalogue.get(code)
        name = " / ".join(p.name for p in catalogue.path(code))
        out.append(Suggestion(code, name, probability, item.default_level))
    return out


def category_names() -> dict[str, str]:
    """Catalogue code → full name, for showing stored categories."""
    return dict(catalogue_choices())
