"""Classification of an appeal's text into catalogue items, with the manual-queue answers.

Read-only. When no model is trained, the model file is damaged, the text has nothing to
classify or the top category is below the threshold the model calibrated for the target
accuracy (:func:`~civicgrid.dispatch.routing.category_verdict`), the answer is ``manual``: the
dispatcher chooses; nothing here turns those cases into a server error.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.dispatch import queries
from civicgrid.dispatch.artifacts import ModelInfo, current_version, load_model
from civicgrid.dispatch.catalogue import Catalogue, CatalogueItem
from civicgrid.dispatch.classifier import TextClassifier
from civicgrid.dispatch.normalise import MAX_TEXT_CHARS
from civicgrid.dispatch.routing import CategoryEvidence, RoutingThresholds, category_verdict
from civicgrid.dispatch.service.policy import DispatchPolicy
from civicgrid.errors import DomainError, Invalid


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


def loaded_model_version(models_dir: Path) -> str:
    """The version of the model classification uses now (loaded and checked once, then
    cached), or :data:`~civicgrid.dispatch.queries.NO_MODEL` when none can be loaded."""
    try:
        _classifier, info = MODELS.get(models_dir)
    except DomainError:
        return queries.NO_MODEL
    return info.version


def loaded_thresholds(models_dir: Path) -> RoutingThresholds | None:
    """The routing thresholds of the model classification uses now (None without a model)."""
    try:
        classifier, _info = MODELS.get(models_dir)
    except DomainError:
        return None
    return classifier.routing


@dataclass(frozen=True, slots=True)
class CategorySuggestion:
    """One label of the classifier with its probability and, when the label is a catalogue
    code (or a unique item name), the item and its path of names."""

    label: str
    probability: float
    item: CatalogueItem | None
    path: tuple[str, ...] = ()
    words: tuple[tuple[str, float], ...] = ()
    """The character sequences of the text that drove this label, with their share of its
    evidence (:meth:`~civicgrid.dispatch.classifier.TextClassifier.explain`)."""


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
        raise Invalid("诉求文本为空，无法分类", detail={"field": "text"})
    if len(stripped) > MAX_TEXT_CHARS:
        raise Invalid(f"诉求文本超过 {MAX_TEXT_CHARS} 字，无法分类", detail={"field": "text"})
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
    why = classifier.explain(stripped, [label for label, _ in ranked])
    suggestions = tuple(
        CategorySuggestion(label, prob, *_item_for(label, catalogue), words=tuple(why[label]))
        for label, prob in ranked
    )
    top = suggestions[0]
    evidence = CategoryEvidence(
        source="model",
        label=top.label,
        probability=top.probability,
        name="／".join(top.path) if top.path else top.label,
        in_catalogue=top.item is not None,
    )
    verdict = category_verdict(evidence, policy.auto_route(classifier.routing))
    return Classification(suggestions, info.version, not verdict.confident, verdict.reason)
