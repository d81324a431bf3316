"""The demo city's dispatch model: trained on the demo year's closed appeals, so that the
dispatcher's 获取分类建议 and the automatic routing have suggestions from the first visit."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.dispatch.artifacts import save_model
from civicgrid.dispatch.classifier import train
from civicgrid.dispatch.service import training_pairs

# A category needs a few closed appeals before the classifier can learn it (and calibrate its
# probabilities); rarer ones are left to the dispatcher.
MIN_EXAMPLES = 3


@dataclass(frozen=True)
class DemoModel:
    version: str
    examples: int
    labels: int


def usable_pairs(
    pairs: list[tuple[str, str]], minimum: int = MIN_EXAMPLES
) -> list[tuple[str, str]]:
    """The pairs whose category has at least ``minimum`` examples."""
    counts = Counter(label for _, label in pairs)
    return [(text, label) for text, label in pairs if counts[label] >= minimum]


def train_demo_model(session: Session, *, models_dir: Path, now: datetime) -> DemoModel | None:
    """Train a classifier on the closed appeals (and dispatchers' corrections) in the database,
    store it as a new version and make it current; None when there are fewer than two
    categories with enough examples (a tiny city early in its year)."""
    pairs = usable_pairs(training_pairs(session, now))
    # End the read transaction before the minutes of training: on PostgreSQL an open
    # transaction keeps VACUUM from removing the dead rows the demo build left behind.
    session.rollback()
    if len({label for _, label in pairs}) < 2:
        return None
    classifier = train(pairs)
    metrics = {"n_train": classifier.summary.n_used, "source": "demo"}
    info = save_model(classifier, metrics, models_dir=models_dir, now=now)
    return DemoModel(info.version, classifier.summary.n_used, len(classifier.labels))
