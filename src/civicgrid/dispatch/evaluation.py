"""Measuring a classifier: macro-F1 and accuracy on labelled text, and k-fold cross-validation.

Pure computation on in-memory data; no files, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from civicgrid.dispatch.classifier import TextClassifier, TrainConfig, train
from civicgrid.errors import Invalid

_NO_PREDICTION = "\x00none"


@dataclass(frozen=True, slots=True)
class Metrics:
    """Quality of predictions against gold labels.

    ``macro_f1`` averages the per-label F1 over every label that occurs in the gold labels or
    among the predictions; a text without prediction counts as wrong for its gold label.
    """

    macro_f1: float
    accuracy: float
    n: int
    n_no_prediction: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def score(gold: Sequence[str], predicted: Sequence[str | None]) -> Metrics:
    """Compare ``predicted`` (``None`` = no prediction) with ``gold``."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    if not gold:
        raise Invalid("没有可评估的样本")
    labels = sorted(set(gold) | {p for p in predicted if p is not None})
    pred = [p if p is not None else _NO_PREDICTION for p in predicted]
    return Metrics(
        macro_f1=round(
            float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)), 4
        ),
        accuracy=round(float(accuracy_score(gold, pred)), 4),
        n=len(gold),
        n_no_prediction=sum(p is None for p in predicted),
    )


def evaluate(classifier: TextClassifier, pairs: Sequence[tuple[str, str]]) -> Metrics:
    """Score ``classifier`` on ``(text, label)`` pairs (rows with a blank label skipped)."""
    rows = [(t, lab.strip()) for t, lab in pairs if lab and lab.strip()]
    return score([lab for _, lab in rows], classifier.predict([t for t, _ in rows]))


def cross_validate(
    pairs: Sequence[tuple[str, str]],
    config: TrainConfig | None = None,
    *,
    folds: int = 5,
    seed: int = 0,
) -> list[Metrics]:
    """Stratified ``folds``-fold cross-validation: train on k-1 folds, score the held-out one."""
    labels = np.asarray([lab for _, lab in pairs])
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    results: list[Metrics] = []
    for train_idx, test_idx in splitter.split(np.zeros(len(pairs)), labels):
        model = train([pairs[i] for i in train_idx], config)
        results.append(evaluate(model, [pairs[i] for i in test_idx]))
    return results


def split_holdout(
    pairs: Sequence[tuple[str, str]], share: float, *, seed: int = 0
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Split ``pairs`` into (fit, test), stratified by label, ``share`` of each label to test.

    Labels with fewer than 4 examples stay entirely in the fit part, and every label keeps at
    least 2 fit examples, so the fit part can always be trained on.
    """
    if not 0 < share < 1:
        raise Invalid(f"留出比例必须在 0 和 1 之间，收到 {share}")
    by_label: dict[str, list[int]] = {}
    for i, (_, label) in enumerate(pairs):
        by_label.setdefault(label, []).append(i)
    rng = np.random.default_rng(seed)
    test: set[int] = set()
    for indices in by_label.values():
        if len(indices) < 4:
            continue
        n_test = min(int(len(indices) * share), len(indices) - 2)
        test.update(int(i) for i in rng.permutation(indices)[:n_test])
    fit = [p for i, p in enumerate(pairs) if i not in test]
    held = [p for i, p in enumerate(pairs) if i in test]
    return fit, held
