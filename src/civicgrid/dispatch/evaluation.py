"""Measuring a classifier: macro-F1 and accuracy on labelled text, per-class figures and the
confusion matrix, what automatic dispatch would route, and k-fold cross-validation.

Routing figures (what a dispatch centre cares about):

- ``routing``: for top-probability cuts 0.50 … 0.95, the share of texts whose top probability
  reaches the cut (``coverage``) and the accuracy among them;
- ``coverage_at_accuracy``: for 0.95, 0.97 and 0.99, the largest share of texts that can be
  routed at that accuracy or better by a cut on the top probability, chosen on these very
  texts (an upper bound for a cut fixed beforehand; 0 when no cut reaches it);
- ``decision``: what the shipped decision (:func:`~civicgrid.dispatch.routing.category_verdict`
  with the thresholds the model calibrated at training time) routes at those targets: its
  coverage and accuracy here. This is the figure automatic dispatch will see.

Texts without a prediction count in ``n`` and are never routed. Pure computation on in-memory
data; no files, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from civicgrid.dispatch.classifier import TextClassifier, TrainConfig, train
from civicgrid.dispatch.routing import AutoRoutePolicy, CategoryEvidence, category_verdict
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
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per gold or predicted label: precision, recall, f1, support."""
    confusion: dict[str, Any] = field(default_factory=dict)
    """``labels`` and ``matrix`` (rows = gold, columns = predicted, in the order of labels)."""
    routing: list[dict[str, float]] = field(default_factory=list)
    coverage_at_accuracy: dict[str, float] = field(default_factory=dict)
    decision: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


ROUTING_CUTS = tuple(round(0.50 + 0.05 * i, 2) for i in range(10))
"""Top-probability cuts of the ``routing`` table (0.50 … 0.95)."""
ACCURACY_TARGETS = (0.95, 0.97, 0.99)
"""Accuracies of ``coverage_at_accuracy`` and ``decision``."""


def _ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b else 0.0


def per_class(gold: Sequence[str], predicted: Sequence[str | None]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per label (gold or predicted)."""
    labels = sorted(set(gold) | {p for p in predicted if p is not None})
    pred = [p if p is not None else _NO_PREDICTION for p in predicted]
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, pred, labels=labels, zero_division=0
    )
    return {
        label: {
            "precision": round(float(precision[i]), 4),
            "recall": round(float(recall[i]), 4),
            "f1": round(float(f1[i]), 4),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }


def confusion(gold: Sequence[str], predicted: Sequence[str | None]) -> dict[str, Any]:
    """Counts of (gold, predicted) pairs; a text without prediction is in no column."""
    labels = sorted(set(gold) | {p for p in predicted if p is not None})
    at = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=True):
        if p is not None:
            matrix[at[g]][at[p]] += 1
    return {"labels": labels, "matrix": matrix}


def routing_table(correct: Sequence[bool], probability: Sequence[float]) -> list[dict[str, float]]:
    """Coverage and accuracy among the routed for each cut of :data:`ROUTING_CUTS`."""
    out = []
    for cut in ROUTING_CUTS:
        routed = [ok for ok, p in zip(correct, probability, strict=True) if p >= cut]
        out.append(
            {
                "threshold": cut,
                "coverage": _ratio(len(routed), len(correct)),
                "accuracy": _ratio(sum(routed), len(routed)),
            }
        )
    return out


def coverage_at_accuracy(
    correct: Sequence[bool], probability: Sequence[float], target: float
) -> float:
    """The largest share of texts a cut on ``probability`` routes at ``target`` accuracy or
    better (texts of equal probability are routed together); 0 when no cut does."""
    order = sorted(range(len(correct)), key=lambda i: -probability[i])
    best = right = 0
    for n, i in enumerate(order, start=1):
        right += correct[i]
        boundary = n == len(order) or probability[order[n]] < probability[i]
        if boundary and probability[i] > 0 and right >= target * n:
            best = n
    return _ratio(best, len(correct))


def decision_figures(
    gold: Sequence[str], ranked: Sequence[Sequence[tuple[str, float]]], classifier: TextClassifier
) -> dict[str, dict[str, float]]:
    """Coverage and accuracy of the shipped category decision at each target accuracy."""
    out: dict[str, dict[str, float]] = {}
    for target in ACCURACY_TARGETS:
        policy = AutoRoutePolicy(target_accuracy=target, thresholds=classifier.routing)
        routed = [
            top[0][0] == g
            for g, top in zip(gold, ranked, strict=True)
            if top
            and category_verdict(CategoryEvidence("model", top[0][0], top[0][1]), policy).confident
        ]
        out[f"{target:.2f}"] = {
            "coverage": _ratio(len(routed), len(gold)),
            "accuracy": _ratio(sum(routed), len(routed)),
        }
    return out


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
    """Score ``classifier`` on ``(text, label)`` pairs (rows with a blank label skipped):
    the figures of :func:`score` and every figure of the module docstring."""
    rows = [(t, lab.strip()) for t, lab in pairs if lab and lab.strip()]
    gold = [lab for _, lab in rows]
    ranked = classifier.rank_many([t for t, _ in rows], 1)
    predicted = [r[0][0] if r else None for r in ranked]
    probability = [r[0][1] if r else 0.0 for r in ranked]
    correct = [p == g for p, g in zip(predicted, gold, strict=True)]
    base = score(gold, predicted)
    return replace(
        base,
        per_class=per_class(gold, predicted),
        confusion=confusion(gold, predicted),
        routing=routing_table(correct, probability),
        coverage_at_accuracy={
            f"{t:.2f}": coverage_at_accuracy(correct, probability, t) for t in ACCURACY_TARGETS
        },
        decision=decision_figures(gold, ranked, classifier),
    )


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


@dataclass(frozen=True, slots=True)
class PromotionDecision:
    """Whether a retrained candidate replaces the current model, and why (Chinese)."""

    promote: bool
    reason: str


def promotion_decision(candidate: Metrics, current: Metrics | None) -> PromotionDecision:
    """A candidate scored on the same held-back appeals as the current model is promoted when
    it is not worse: macro-F1 and accuracy at least the current model's. Without a current
    model it is promoted."""
    if current is None:
        return PromotionDecision(True, "尚无可用的当前模型，候选模型直接启用")
    figures = (
        f"宏平均F1 {candidate.macro_f1:.4f}（当前 {current.macro_f1:.4f}），"
        f"准确率 {candidate.accuracy:.4f}（当前 {current.accuracy:.4f}）"
    )
    if candidate.macro_f1 >= current.macro_f1 and candidate.accuracy >= current.accuracy:
        return PromotionDecision(True, f"候选模型不差于当前模型：{figures}，启用候选模型")
    return PromotionDecision(False, f"候选模型不如当前模型：{figures}，保留当前模型")
