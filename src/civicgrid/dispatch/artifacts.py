"""Versioned model artifacts under ``var/models/`` (``Settings().models_dir``).

Layout::

    var/models/
      current                      text file: the active version's name
      20261123T101500Z/
        model.joblib               the pickled TextClassifier (format 3: numpy weights and
                                   the routing thresholds of automatic dispatch)
        metrics.json               evaluation figures recorded at training time
        manifest.json              format, version, created_at, sha256 of model.joblib,
                                   labels, training summary, configuration, routing
                                   thresholds, library versions

A version directory is written under a temporary name and renamed when complete, and the
``current`` pointer is replaced atomically, so a crash never leaves a half-written model
active. Loading checks the manifest and the checksum before unpickling and raises
:class:`ModelNotFound` or :class:`ModelCorrupt` with a sentence for the operator.

Security: joblib files are pickles. Only load models from a directory the service itself
writes (``var/models``); the checksum guards against damage, not against a hostile writer.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import joblib
import sklearn

from civicgrid.dispatch.classifier import LinearModel, TextClassifier
from civicgrid.errors import Invalid, NotFound

FORMAT: Final = 3
"""Stored model format. 1: scikit-learn ``CalibratedClassifierCV`` inside the pickle;
2: :class:`~civicgrid.dispatch.classifier.LinearModel` (numpy weights + Platt parameters);
3: as 2, plus the routing thresholds of automatic dispatch (also shown in the manifest)."""
MODEL_FILE: Final = "model.joblib"
METRICS_FILE: Final = "metrics.json"
MANIFEST_FILE: Final = "manifest.json"
CURRENT_FILE: Final = "current"
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")


class ModelNotFound(NotFound):
    """No trained model (or not the requested version) exists; dispatch stays manual."""


class ModelCorrupt(Invalid):
    """A model directory exists but cannot be trusted (damaged, incomplete, incompatible)."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A stored model version as described by its manifest."""

    version: str
    path: Path
    manifest: dict[str, Any]
    metrics: dict[str, Any]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_version_name(version: str) -> None:
    if not _VERSION.match(version):
        raise Invalid(f"模型版本名无效: {version!r}（只允许字母、数字、点、下划线和连字符）")


def _sklearn_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def save_model(
    classifier: TextClassifier,
    metrics: dict[str, Any],
    *,
    models_dir: Path,
    now: datetime,
    version: str | None = None,
    activate: bool = True,
) -> ModelInfo:
    """Store ``classifier`` as a new version and, if ``activate``, make it ``current``.

    ``now`` (from the clock) names the version when ``version`` is not given and is recorded
    as ``created_at``. Raises ``Conflict``-free: an existing name gets a numeric suffix.
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    base = version or now.strftime("%Y%m%dT%H%M%SZ")
    _check_version_name(base)
    name, n = base, 1
    while (models_dir / name).exists():
        n += 1
        name = f"{base}-{n}"
    staging = models_dir / f".{name}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        joblib.dump(classifier, staging / MODEL_FILE, compress=3)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "version": name,
            "created_at": now.isoformat(),
            "model_file": MODEL_FILE,
            "sha256": _sha256(staging / MODEL_FILE),
            "labels": list(classifier.labels),
            "training": classifier.summary.as_dict(),
            "config": classifier.config.as_dict(),
            "routing": classifier.routing.as_dict() if classifier.routing is not None else None,
            "sklearn_version": sklearn.__version__,
            "python_version": ".".join(map(str, sys.version_info[:3])),
        }
        _write_json(staging / METRICS_FILE, metrics)
        _write_json(staging / MANIFEST_FILE, manifest)
        staging.rename(models_dir / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if activate:
        activate_version(models_dir, name)
    return ModelInfo(name, models_dir / name, manifest, metrics)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def activate_version(models_dir: Path, version: str) -> None:
    """Point ``current`` at ``version`` (which must load); atomic replace of the pointer."""
    read_info(models_dir, version)
    tmp = models_dir / f".{CURRENT_FILE}.tmp"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, models_dir / CURRENT_FILE)


def current_version(models_dir: Path) -> str:
    """The active version's name; ``ModelNotFound`` when none was trained or activated."""
    pointer = models_dir / CURRENT_FILE
    try:
        version = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise ModelNotFound(
            f"尚未训练分类模型（{models_dir} 下没有 current 指针），请先运行 civicgrid model train"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelCorrupt(f"模型指针文件 {pointer} 无法读取: {exc}") from exc
    if not version:
        raise ModelCorrupt(f"模型指针文件 {pointer} 为空，请重新训练或激活一个版本")
    return version


def list_versions(models_dir: Path) -> list[str]:
    """Names of the stored versions (complete directories only), oldest first."""
    if not models_dir.is_dir():
        return []
    return sorted(
        p.name
        for p in models_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST_FILE).exists()
    )


def read_info(models_dir: Path, version: str | None = None) -> ModelInfo:
    """Manifest and metrics of ``version`` (default ``current``), validated; no unpickling."""
    name = version or current_version(models_dir)
    _check_version_name(name)
    path = models_dir / name
    if not path.is_dir():
        raise ModelNotFound(f"模型版本 {name} 不存在（{path}）")
    manifest = _read_json(path / MANIFEST_FILE, name)
    metrics = _read_json(path / METRICS_FILE, name) if (path / METRICS_FILE).exists() else {}
    stored_format = manifest.get("format")
    if stored_format != FORMAT:
        raise ModelCorrupt(
            f"模型版本 {name} 的存储格式为 {stored_format!r}，当前程序只能加载格式 {FORMAT}"
            "（旧格式的模型需要重新训练），请运行 civicgrid model train 重新训练"
        )
    if manifest.get("version") != name:
        raise ModelCorrupt(f"模型版本 {name} 的清单版本号不符，请重新训练")
    if not isinstance(manifest.get("sha256"), str) or not isinstance(manifest.get("labels"), list):
        raise ModelCorrupt(f"模型版本 {name} 的清单缺少校验值或类别列表，请重新训练")
    trained_with = str(manifest.get("sklearn_version", ""))
    if _sklearn_minor(trained_with) != _sklearn_minor(sklearn.__version__):
        raise ModelCorrupt(
            f"模型版本 {name} 由 scikit-learn {trained_with or '未知版本'} 训练，"
            f"当前为 {sklearn.__version__}，不兼容，请重新训练"
        )
    return ModelInfo(name, path, manifest, metrics)


def _read_json(path: Path, version: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelCorrupt(f"模型版本 {version} 缺少 {path.name}，目录不完整，请重新训练") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelCorrupt(f"模型版本 {version} 的 {path.name} 已损坏: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelCorrupt(f"模型版本 {version} 的 {path.name} 不是 JSON 对象")
    return data


def load_model(models_dir: Path, version: str | None = None) -> tuple[TextClassifier, ModelInfo]:
    """Load and validate ``version`` (default ``current``).

    Raises ``ModelNotFound`` when nothing is trained or the version is unknown, and
    ``ModelCorrupt`` when the manifest, the checksum or the unpickled object is wrong.
    """
    info = read_info(models_dir, version)
    model_path = info.path / MODEL_FILE
    if not model_path.is_file():
        raise ModelCorrupt(f"模型版本 {info.version} 缺少模型文件 {MODEL_FILE}，请重新训练")
    if _sha256(model_path) != info.manifest["sha256"]:
        raise ModelCorrupt(
            f"模型版本 {info.version} 的模型文件校验值与清单不符（文件已损坏或被改动），请重新训练"
        )
    try:
        classifier = joblib.load(model_path)
    except Exception as exc:
        raise ModelCorrupt(f"模型版本 {info.version} 的模型文件无法加载: {exc}") from exc
    if not isinstance(classifier, TextClassifier) or not isinstance(
        getattr(classifier, "model", None), LinearModel
    ):
        raise ModelCorrupt(f"模型版本 {info.version} 的模型文件不是分类模型")
    if list(classifier.labels) != info.manifest["labels"]:
        raise ModelCorrupt(f"模型版本 {info.version} 的类别列表与清单不符，请重新训练")
    return classifier, info


PROMOTIONS_FILE: Final = "promotions.jsonl"
"""One JSON line per change of the current version (retraining, promote, rollback)."""


def record_promotion(models_dir: Path, entry: dict[str, Any]) -> None:
    """Append ``entry`` (at least ``version``, ``action``, ``at``) to the promotion log."""
    models_dir.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True)
    with (models_dir / PROMOTIONS_FILE).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def promotion_history(models_dir: Path) -> list[dict[str, Any]]:
    """The promotion log, oldest first (unreadable lines are skipped)."""
    path = models_dir / PROMOTIONS_FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("version"), str):
            out.append(entry)
    return out


MAKES_CURRENT: Final = frozenset({"train", "activate", "promote", "promoted"})
"""Log actions that made their version current (``kept``: a candidate that was not)."""


def current_stack(history: list[dict[str, Any]]) -> list[str]:
    """The versions made current, in order, with every rolled-back one removed: a rollback
    pops the version it left, so the top is current and the one below it the version a
    further rollback returns to."""
    stack: list[str] = []
    for entry in history:
        action, version = entry.get("action"), str(entry["version"])
        if action == "rollback":
            if len(stack) > 1:
                stack.pop()
            if not stack or stack[-1] != version:
                stack.append(version)
        elif action in MAKES_CURRENT and (not stack or stack[-1] != version):
            stack.append(version)
    return stack


def rollback_target(models_dir: Path) -> str:
    """The version that was current before the current one (by the promotion log), skipping
    versions no longer stored. ``ModelNotFound`` when there is none."""
    current = current_version(models_dir)
    stored = set(list_versions(models_dir))
    stack = current_stack(promotion_history(models_dir))
    if stack and stack[-1] == current:
        stack.pop()
    for version in reversed(stack):
        if version != current and version in stored:
            return version
    raise ModelNotFound(f"没有可回退的上一个模型版本（当前为 {current}，升级记录中没有更早的版本）")
