"""The evaluation's figures: per class, confusion, routing by cut, coverage at an accuracy and
what the shipped decision routes; and that a trained model carries calibrated thresholds."""

from __future__ import annotations

import pytest

from civicgrid.dispatch.classifier import TextClassifier
from civicgrid.dispatch.evaluation import (
    ROUTING_CUTS,
    confusion,
    coverage_at_accuracy,
    evaluate,
    per_class,
    routing_table,
)
from civicgrid.dispatch.routing import NEVER, TARGET_GRID

GOLD = ["a", "a", "a", "b", "b", "c"]
PRED: list[str | None] = ["a", "a", "b", "b", None, "a"]


def test_per_class_and_confusion() -> None:
    figures = per_class(GOLD, PRED)
    assert figures["a"] == {"precision": 0.6667, "recall": 0.6667, "f1": 0.6667, "support": 3}
    assert figures["b"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert figures["c"]["recall"] == 0.0
    assert figures["c"]["support"] == 1
    found = confusion(GOLD, PRED)
    assert found["labels"] == ["a", "b", "c"]
    # rows gold, columns predicted; the unpredicted "b" is in no column
    assert found["matrix"] == [[2, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_routing_table_counts_coverage_over_all_texts() -> None:
    correct = [True, True, False, True]
    probability = [0.97, 0.81, 0.8, 0.4]
    table = routing_table(correct, probability)
    assert [row["threshold"] for row in table] == list(ROUTING_CUTS)
    at = {row["threshold"]: row for row in table}
    assert at[0.5] == {"threshold": 0.5, "coverage": 0.75, "accuracy": 0.6667}
    assert at[0.8] == {"threshold": 0.8, "coverage": 0.75, "accuracy": 0.6667}
    assert at[0.85] == {"threshold": 0.85, "coverage": 0.25, "accuracy": 1.0}
    assert at[0.95]["coverage"] == 0.25


@pytest.mark.parametrize(
    ("correct", "probability", "target", "expected"),
    [
        ([True] * 9 + [False], [1 - i / 100 for i in range(10)], 0.9, 1.0),
        ([True] * 9 + [False], [1 - i / 100 for i in range(10)], 0.95, 0.9),
        ([False, True, True], [0.9, 0.8, 0.7], 0.95, 0.0),
        ([True, False, True, True], [0.9, 0.8, 0.8, 0.7], 0.99, 0.25),
        # equal probabilities go together: the wrong one cannot be cut away from its twin
        ([True, False, True], [0.9, 0.9, 0.5], 0.95, 0.0),
        # a text without prediction (probability 0) is never routed
        ([True, False], [0.9, 0.0], 0.99, 0.5),
    ],
)
def test_coverage_at_accuracy(
    correct: list[bool], probability: list[float], target: float, expected: float
) -> None:
    assert coverage_at_accuracy(correct, probability, target) == expected


def test_trained_model_carries_thresholds_for_the_grid(small_model: TextClassifier) -> None:
    routing = small_model.routing
    assert routing is not None
    assert routing.targets == TARGET_GRID
    assert routing.n_calibration == small_model.summary.n_used
    cuts = [c for c in routing.global_cut if c < NEVER]
    assert cuts  # an easy corpus can be routed at some target
    assert cuts == sorted(cuts)  # a stricter target never lowers the cut


def test_evaluate_reports_every_figure(small_model: TextClassifier) -> None:
    pairs = [
        ("小区停水三天了", "water"),
        ("楼下工地夜里施工太吵", "noise"),
        ("垃圾堆在门口没人清运", "garbage"),
        ("hello", "water"),
    ]
    metrics = evaluate(small_model, pairs).as_dict()
    assert {"macro_f1", "accuracy", "n", "per_class", "confusion", "routing"} <= set(metrics)
    assert set(metrics["coverage_at_accuracy"]) == {"0.95", "0.97", "0.99"}
    assert set(metrics["decision"]) == {"0.95", "0.97", "0.99"}
    assert metrics["per_class"]["water"]["support"] == 2
    assert all(v <= 0.75 for v in metrics["coverage_at_accuracy"].values())
    assert all(d["coverage"] <= 0.75 for d in metrics["decision"].values())
    assert len(metrics["routing"]) == len(ROUTING_CUTS)
