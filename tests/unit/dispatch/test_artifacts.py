"""Versioned model artifacts: save/load round trip, the current pointer, damage detection."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from civicgrid.dispatch import artifacts
from civicgrid.dispatch.artifacts import (
    ModelCorrupt,
    ModelNotFound,
    activate_version,
    current_version,
    list_versions,
    load_model,
    save_model,
)
from civicgrid.dispatch.classifier import TextClassifier
from civicgrid.errors import Invalid

NOW = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)


@pytest.fixture
def saved(tmp_path: Path, small_model: TextClassifier) -> Path:
    save_model(small_model, {"macro_f1": 1.0}, models_dir=tmp_path, now=NOW)
    return tmp_path


def test_round_trip(saved: Path, small_model: TextClassifier) -> None:
    assert current_version(saved) == "20261123T101500Z"
    loaded, info = load_model(saved)
    assert info.metrics == {"macro_f1": 1.0}
    assert info.manifest["labels"] == list(small_model.labels)
    assert info.manifest["created_at"] == NOW.isoformat()
    text = "小区停水两天了"
    assert loaded.classify(text, k=4) == small_model.classify(text, k=4)


def test_versions_and_activation(saved: Path, small_model: TextClassifier) -> None:
    second = save_model(small_model, {}, models_dir=saved, now=NOW, activate=False)
    assert second.version == "20261123T101500Z-2"
    assert current_version(saved) == "20261123T101500Z"
    activate_version(saved, second.version)
    assert current_version(saved) == second.version
    named = save_model(small_model, {}, models_dir=saved, now=NOW, version="v1.0")
    assert list_versions(saved) == ["20261123T101500Z", "20261123T101500Z-2", "v1.0"]
    assert load_model(saved)[1].version == named.version
    with pytest.raises(Invalid, match="版本名无效"):
        save_model(small_model, {}, models_dir=saved, now=NOW, version="../evil")


def test_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="尚未训练"):
        load_model(tmp_path / "nothing-here")
    with pytest.raises(ModelNotFound, match="不存在"):
        load_model(tmp_path, "v9")


def _version_dir(saved: Path) -> Path:
    return saved / current_version(saved)


def test_damaged_model_file(saved: Path) -> None:
    path = _version_dir(saved) / artifacts.MODEL_FILE
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelCorrupt, match="校验值"):
        load_model(saved)


def test_model_file_removed(saved: Path) -> None:
    (_version_dir(saved) / artifacts.MODEL_FILE).unlink()
    with pytest.raises(ModelCorrupt, match="缺少模型文件"):
        load_model(saved)


def test_unloadable_model_file_with_matching_checksum(saved: Path) -> None:
    directory = _version_dir(saved)
    (directory / artifacts.MODEL_FILE).write_bytes(b"not a pickle at all")
    manifest = json.loads((directory / artifacts.MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["sha256"] = artifacts._sha256(directory / artifacts.MODEL_FILE)
    (directory / artifacts.MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelCorrupt, match="无法加载"):
        load_model(saved)


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "已损坏"), ("[]", "不是 JSON 对象"), ('{"format": 99}', "格式")],
)
def test_damaged_manifest(saved: Path, content: str, message: str) -> None:
    (_version_dir(saved) / artifacts.MANIFEST_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(ModelCorrupt, match=message):
        load_model(saved)


def test_incompatible_library_version(saved: Path) -> None:
    path = _version_dir(saved) / artifacts.MANIFEST_FILE
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["sklearn_version"] = "0.1.0"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelCorrupt, match="不兼容"):
        load_model(saved)


def test_empty_pointer(saved: Path) -> None:
    (saved / artifacts.CURRENT_FILE).write_text("\n", encoding="utf-8")
    with pytest.raises(ModelCorrupt, match="为空"):
        load_model(saved)


def test_old_format_is_refused_with_a_clear_message(saved: Path) -> None:
    path = _version_dir(saved) / artifacts.MANIFEST_FILE
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["format"] = 1
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelCorrupt, match=r"格式为 1.*重新训练"):
        load_model(saved)
