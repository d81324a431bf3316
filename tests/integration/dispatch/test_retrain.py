"""Learning from corrections: the retraining job trains a candidate on closed appeals and
dispatchers' corrections, scores it and the current model on the most recent labelled
appeals, and makes it current only when it is not worse; the decision and both scores are in
the model registry (metrics and promotion log)."""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.integration.dispatch.helpers import (
    GARBAGE,
    NOISE,
    PLACES,
    TOPICS,
    WATER,
    make_categorised,
)

from civicgrid.config import Settings
from civicgrid.dispatch import jobs as dispatch_jobs
from civicgrid.dispatch import queries, service
from civicgrid.dispatch.artifacts import (
    PROMOTIONS_FILE,
    current_version,
    promotion_history,
    read_info,
)
from civicgrid.jobs.registry import default_jobs

SWAPPED = {GARBAGE: WATER, WATER: NOISE, NOISE: GARBAGE}


def _labelled_history(
    session: Session, world: World, now: datetime, *, old_labels_wrong: bool
) -> list[int]:
    """48 closed appeals over 48 days, one per place and phrase; the older three quarters
    labelled wrongly (a consistent swap) when ``old_labels_wrong``. The newest quarter is
    always labelled right; the job holds back its newest 20 % (10 appeals)."""
    rows = [
        (f"{place}{phrase}", label)
        for place, (label, phrases) in itertools.product(PLACES, TOPICS.items())
        for phrase in phrases
    ]
    ids = []
    for day, (text, label) in enumerate(rows):
        old = day < len(rows) * 3 // 4
        stored = SWAPPED[label] if old and old_labels_wrong else label
        appeal = make_categorised(
            session,
            world,
            now=now - timedelta(days=len(rows) - day),
            title=text[:10],
            content=f"{text}，请尽快处理。",
            category=stored,
        )
        ids.append(appeal.id)
    return ids


def _copy(trained_models: Path, tmp_path: Path) -> Path:
    models = tmp_path / "models"
    shutil.copytree(trained_models, models)
    return models


def test_a_candidate_not_worse_is_promoted_and_both_scores_recorded(
    session: Session, world: World, now: datetime, trained_models: Path, tmp_path: Path
) -> None:
    models = _copy(trained_models, tmp_path)
    before = current_version(models)
    _labelled_history(session, world, now, old_labels_wrong=False)

    result = service.retrain(session, now=now, models_dir=models, min_held_back=6)

    assert result.promoted, result.reason
    assert (result.n_train, result.n_held_back) == (38, 10)
    assert result.current == before
    assert result.candidate is not None
    assert current_version(models) == result.candidate != before
    assert result.candidate_scores is not None
    assert result.current_scores is not None
    assert result.candidate_scores["macro_f1"] >= result.current_scores["macro_f1"]
    stored = read_info(models, result.candidate).metrics["retrain"]
    assert stored["promoted"] is True
    assert stored["current_scores"] == result.current_scores
    (entry,) = promotion_history(models)
    assert (entry["version"], entry["action"], entry["by"]) == (
        result.candidate,
        "promoted",
        "retrain",
    )
    assert entry["candidate_scores"] == result.candidate_scores


def test_a_worse_candidate_is_stored_but_the_current_model_stays(
    session: Session, world: World, now: datetime, trained_models: Path, tmp_path: Path
) -> None:
    models = _copy(trained_models, tmp_path)
    before = current_version(models)
    _labelled_history(session, world, now, old_labels_wrong=True)

    result = service.retrain(session, now=now, models_dir=models, min_held_back=6)

    assert not result.promoted
    assert "保留当前模型" in result.reason
    assert current_version(models) == before
    assert result.candidate is not None
    assert read_info(models, result.candidate).metrics["retrain"]["promoted"] is False
    assert result.candidate_scores is not None
    assert result.current_scores is not None
    assert result.candidate_scores["macro_f1"] < result.current_scores["macro_f1"]
    assert [e["action"] for e in promotion_history(models)] == ["kept"]


def test_the_candidate_reads_the_catalogue_names_of_its_categories_unless_told_not_to(
    session: Session, world: World, now: datetime, trained_models: Path, tmp_path: Path
) -> None:
    _labelled_history(session, world, now, old_labels_wrong=False)
    with_names = service.retrain(
        session, now=now, models_dir=_copy(trained_models, tmp_path / "a"), min_held_back=6
    )
    without = service.retrain(
        session,
        now=now,
        models_dir=_copy(trained_models, tmp_path / "b"),
        min_held_back=6,
        catalogue_features=False,
    )

    def terms(models: Path, version: str | None) -> set[tuple[str, str]]:
        assert version is not None
        features = read_info(models, version).manifest["config"]["features"]
        return {(name, label) for name, label in features["catalogue_terms"]}

    assert terms(tmp_path / "a" / "models", with_names.candidate) == {
        ("环境卫生", GARBAGE),
        ("暴露垃圾", GARBAGE),
        ("施工扰民", NOISE),
        ("夜间施工噪声", NOISE),
        ("供水", WATER),
        ("停水", WATER),
    }
    assert terms(tmp_path / "b" / "models", without.candidate) == set()


def test_corrections_replace_the_stored_category_in_the_training_data(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    ids = _labelled_history(session, world, now, old_labels_wrong=True)
    wrong = ids[0]
    (first,) = [a for a in queries.labelled_appeals(session, now) if a.appeal_id == wrong]
    service.record_feedback(
        session,
        appeal_id=wrong,
        chosen_code=GARBAGE if first.label != GARBAGE else WATER,
        actor=world.actor("dispatcher"),
        models_dir=trained_models,
        now=now,
    )
    labelled = queries.labelled_appeals(session, now)
    assert len(labelled) == len(ids)
    assert [a.received_at for a in labelled] == sorted(a.received_at for a in labelled)
    (corrected,) = [a for a in labelled if a.appeal_id == wrong]
    assert corrected.label != first.label


def test_too_few_labelled_appeals_train_nothing(
    session: Session, world: World, now: datetime, trained_models: Path, tmp_path: Path
) -> None:
    models = _copy(trained_models, tmp_path)
    make_categorised(session, world, now=now, title="停水", content="整栋楼停水", category=WATER)
    result = service.retrain(session, now=now, models_dir=models)
    assert not result.promoted
    assert result.candidate is None
    assert "暂不重新训练" in result.reason
    assert not (models / PROMOTIONS_FILE).exists()


def test_the_job_waits_for_a_first_model_and_a_week(
    session: Session, now: datetime, trained_models: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    assert "尚无当前模型" in str(service.retrain_due(empty, now, dispatch_jobs.RETRAIN_INTERVAL))
    models = _copy(trained_models, tmp_path)
    trained_at = datetime.fromisoformat(read_info(models).manifest["created_at"])
    week = dispatch_jobs.RETRAIN_INTERVAL
    assert "不足 7 天" in str(service.retrain_due(models, trained_at + timedelta(days=1), week))
    assert service.retrain_due(models, trained_at + timedelta(days=8), week) is None
    (models / PROMOTIONS_FILE).write_text(
        json.dumps(
            {"version": "x", "action": "kept", "at": (trained_at + timedelta(days=7)).isoformat()}
        )
        + "\n",
        encoding="utf-8",
    )
    assert service.retrain_due(models, trained_at + timedelta(days=8), week) is not None


def test_the_registered_job_retrains_with_the_settings_once_due(
    session: Session, world: World, now: datetime, trained_models: Path, tmp_path: Path
) -> None:
    job = next(j for j in default_jobs() if j.name == "dispatch.retrain")
    assert job.interval == timedelta(days=7)
    settings = Settings(var_dir=tmp_path / "var")
    shutil.copytree(trained_models, settings.models_dir)
    _labelled_history(session, world, now, old_labels_wrong=False)
    trained_at = datetime.fromisoformat(read_info(settings.models_dir).manifest["created_at"])

    early = dispatch_jobs.retrain(session, trained_at + timedelta(days=1), settings)
    assert early == {"promoted": False, "reason": "距上次训练不足 7 天，暂不重新训练"}
    due = dispatch_jobs.retrain(session, trained_at + timedelta(days=8), settings)
    assert isinstance(due, dict)
    assert due["n_held_back"] == 0  # 48 appeals: 10 recent ones are fewer than the minimum 20
    assert "暂不重新训练" in due["reason"]
