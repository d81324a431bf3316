"""The promotion log of the model registry (which version was made current, and a rollback's
target) and the rule that promotes a retrained candidate only when it is not worse."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from civicgrid.dispatch.artifacts import (
    PROMOTIONS_FILE,
    ModelNotFound,
    activate_version,
    current_stack,
    promotion_history,
    record_promotion,
    rollback_target,
    save_model,
)
from civicgrid.dispatch.classifier import TextClassifier
from civicgrid.dispatch.evaluation import Metrics, promotion_decision

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def e(version: str, action: str) -> dict[str, str]:
    return {"version": version, "action": action, "at": NOW.isoformat()}


@pytest.mark.parametrize(
    ("history", "stack"),
    [
        ([], []),
        ([e("a", "train"), e("b", "promoted"), e("c", "promote")], ["a", "b", "c"]),
        ([e("a", "train"), e("b", "kept")], ["a"]),  # a kept candidate never was current
        ([e("a", "train"), e("b", "promoted"), e("a", "rollback")], ["a"]),
        (
            [e("a", "train"), e("b", "promoted"), e("c", "promoted"), e("b", "rollback")],
            ["a", "b"],
        ),
        ([e("a", "train"), e("a", "activate")], ["a"]),
        ([e("b", "rollback")], ["b"]),  # a log that starts late still knows the current one
    ],
)
def test_current_stack(history: list[dict[str, str]], stack: list[str]) -> None:
    assert current_stack(history) == stack


@pytest.fixture
def three(tmp_path: Path, small_model: TextClassifier) -> Path:
    for name in ("a", "b", "c"):
        save_model(small_model, {}, models_dir=tmp_path, now=NOW, version=name)
        record_promotion(tmp_path, e(name, "promoted"))
    return tmp_path


def test_rollback_goes_back_one_version_at_a_time(three: Path) -> None:
    assert rollback_target(three) == "b"
    activate_version(three, "b")
    record_promotion(three, e("b", "rollback"))
    assert rollback_target(three) == "a"
    activate_version(three, "a")
    record_promotion(three, e("a", "rollback"))
    with pytest.raises(ModelNotFound, match="没有可回退"):
        rollback_target(three)


def test_rollback_skips_versions_no_longer_stored(three: Path) -> None:
    (three / "b" / "manifest.json").unlink()
    assert rollback_target(three) == "a"


def test_the_log_is_json_lines_and_survives_a_damaged_line(three: Path) -> None:
    with (three / PROMOTIONS_FILE).open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    lines = (three / PROMOTIONS_FILE).read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["version"] == "a"
    assert [h["version"] for h in promotion_history(three)] == ["a", "b", "c"]


def m(macro_f1: float, accuracy: float) -> Metrics:
    return Metrics(macro_f1=macro_f1, accuracy=accuracy, n=100, n_no_prediction=0)


@pytest.mark.parametrize(
    ("candidate", "current", "promote"),
    [
        (m(0.90, 0.91), None, True),
        (m(0.90, 0.91), m(0.90, 0.91), True),  # not worse is enough
        (m(0.92, 0.93), m(0.90, 0.91), True),
        (m(0.89, 0.93), m(0.90, 0.91), False),  # worse macro-F1
        (m(0.92, 0.90), m(0.90, 0.91), False),  # worse accuracy
    ],
)
def test_promotion_decision(candidate: Metrics, current: Metrics | None, promote: bool) -> None:
    decision = promotion_decision(candidate, current)
    assert decision.promote is promote
    assert ("启用候选模型" in decision.reason or "直接启用" in decision.reason) is promote
