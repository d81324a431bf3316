"""The choices several pages share around dispatch: the units an order can be sent to, the
dispatch catalogue (read once per process), and the classifier's category suggestions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.config import Settings
from civicgrid.dispatch.catalogue import Catalogue, load_default_catalogue
from civicgrid.errors import DomainError, Invalid
from civicgrid.territory import queries as territory_queries

UNIT_LEVELS = frozenset({"street", "district"})
UNIT_KIND_LABELS = {"region": "街乡/区", "department": "职能部门", "utility": "公共服务企业"}


@dataclass(frozen=True, slots=True)
class UnitChoice:
    """A unit an order can be sent to; ``value`` is ``kind:id`` as the dispatch form posts."""

    value: str
    name: str
    group: str


def unit_choices(session: Session) -> list[UnitChoice]:
    """Streets and districts, active departments and active utilities (grouped)."""
    regions = [r for r in territory_queries.all_regions(session) if r.level in UNIT_LEVELS]
    choices = [
        UnitChoice(f"region:{r.id}", r.name, UNIT_KIND_LABELS["region"])
        for r in sorted(regions, key=lambda r: (r.level != "street", r.code))
    ]
    choices += [
        UnitChoice(f"department:{d.id}", d.name, UNIT_KIND_LABELS["department"])
        for d in territory_queries.list_departments(session)
        if d.is_active
    ]
    choices += [
        UnitChoice(f"utility:{u.id}", u.name, UNIT_KIND_LABELS["utility"])
        for u in territory_queries.list_utilities(session)
        if u.is_active
    ]
    return choices


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
