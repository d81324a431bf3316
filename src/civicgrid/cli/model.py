"""``civicgrid model``: train, evaluate, list, activate, promote, roll back and retrain
dispatch-classifier versions.

Training data comes from a CSV file (``--csv``) or, without ``--csv``, from the database:
closed appeals' title + content with their category, and dispatchers' corrections
(``dispatch_feedback``), which win over the stored category of the same appeal.
Results are printed as one JSON line on stdout so that scripts can read them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from civicgrid.cli.common import fail
from civicgrid.clock import SystemClock, monotonic
from civicgrid.config import get_settings
from civicgrid.errors import DomainError
from civicgrid.kit.progress import duration_text, progress_bar

if TYPE_CHECKING:
    from civicgrid.dispatch.classifier import TrainConfig

app = typer.Typer(no_args_is_help=True)

TEXT_COL_HELP = "text column(s); repeat the option or join with '+', e.g. title+detail"


def _emit(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, sort_keys=True))


def _models_dir(models_dir: Path | None) -> Path:
    return models_dir or get_settings().models_dir


def _csv_pairs(csv_file: Path, text_cols: list[str], label_col: str) -> list[tuple[str, str]]:
    from civicgrid.dispatch.corpus import parse_text_columns, read_csv_pairs

    return read_csv_pairs(csv_file, parse_text_columns(text_cols), label_col)


def _db_pairs() -> list[tuple[str, str]]:
    """Closed appeals' (title + content, category) plus dispatchers' corrections."""
    from sqlalchemy.exc import SQLAlchemyError

    from civicgrid.cli.common import cli_session
    from civicgrid.dispatch.service import training_pairs

    try:
        with cli_session() as session:
            pairs = training_pairs(session, SystemClock().now())
    except SQLAlchemyError as exc:
        raise fail(
            "错误: 无法从数据库读取训练数据（数据库未初始化？请先运行 civicgrid migrate，"
            f"或用 --csv 指定训练文件）: {type(exc).__name__}"
        ) from exc
    if not pairs:
        raise fail("错误: 数据库中没有带类别的已办结诉求或派单纠错记录；可用 --csv 指定训练文件")
    return pairs


def _train_pairs(
    csv_file: Path | None, text_cols: list[str], label_col: str
) -> list[tuple[str, str]]:
    if csv_file is None:
        return _db_pairs()
    return _csv_pairs(csv_file, text_cols or ["text"], label_col)


@app.command()
def train(
    csv_file: Path | None = typer.Option(
        None, "--csv", help="UTF-8 CSV with labelled texts (default: the database)"
    ),
    text_col: list[str] = typer.Option([], "--text-col", help=TEXT_COL_HELP),
    label_col: str = typer.Option("label", "--label-col", help="label column"),
    holdout: float = typer.Option(
        0.2, min=0.0, max=0.5, help="share held out to measure the model (0 = none)"
    ),
    version: str | None = typer.Option(None, help="version name (default: UTC timestamp)"),
    activate: bool = typer.Option(True, help="make the new version current"),
    models_dir: Path | None = typer.Option(None, help="default: CIVICGRID_VAR_DIR/models"),
    catalogue_terms: Path | None = typer.Option(
        None,
        "--catalogue-terms",
        help="CSV of catalogue names as extra features: a header, then label,name,name,...",
    ),
    catalogue_weight: float = typer.Option(0.15, min=0.0, help="scale of those features"),
) -> None:
    """Train a classifier, store it as a new version and print its metrics as JSON."""
    from civicgrid.dispatch.classifier import TrainConfig
    from civicgrid.dispatch.corpus import read_catalogue_terms
    from civicgrid.dispatch.features import FeatureConfig

    try:
        config = TrainConfig()
        if catalogue_terms is not None:
            terms = read_catalogue_terms(catalogue_terms)
            config = TrainConfig(
                features=FeatureConfig(catalogue_terms=terms, catalogue_weight=catalogue_weight)
            )
        pairs = _train_pairs(csv_file, text_col, label_col)
        started = monotonic()
        result = _train_and_save(pairs, holdout, version, activate, _models_dir(models_dir), config)
    except DomainError as exc:
        raise fail(f"错误: {exc.message}") from exc
    _emit(result)
    typer.echo(
        f"已训练模型 {result['version']}：{result['labels']} 个类别，{result['n_train']} 条样本，"
        f"用时 {duration_text(monotonic() - started)}",
        err=True,
    )


def _train_and_save(
    pairs: list[tuple[str, str]],
    holdout: float,
    version: str | None,
    activate: bool,
    models_dir: Path,
    config: TrainConfig | None = None,
) -> dict[str, Any]:
    from civicgrid.dispatch.artifacts import save_model
    from civicgrid.dispatch.classifier import train as fit
    from civicgrid.dispatch.evaluation import evaluate, split_holdout

    metrics: dict[str, Any] = {}
    # The bar goes to stderr: stdout carries the JSON metrics a script may read.
    with progress_bar("训练", stream=sys.stderr) as bar:
        phases = bar.phases()
        if holdout > 0:
            started = monotonic()
            fit_part, test_part = split_holdout(pairs, holdout, seed=0)
            if test_part:
                trained = fit(
                    fit_part, config, progress=lambda p, d, t: phases(f"留出评估·{p}", d, t)
                )
                held = evaluate(trained, test_part)
                metrics["holdout"] = {
                    **held.as_dict(),
                    "share": holdout,
                    "seconds": round(monotonic() - started, 2),
                }
        started = monotonic()
        classifier = fit(pairs, config, progress=phases)
    metrics["train_seconds"] = round(monotonic() - started, 2)
    metrics["n_train"] = classifier.summary.n_used
    now = SystemClock().now()
    info = save_model(
        classifier, metrics, models_dir=models_dir, now=now, version=version, activate=activate
    )
    if activate:
        _log(models_dir, info.version, "train")
    return {
        "version": info.version,
        "path": str(info.path),
        "active": activate,
        "labels": len(classifier.labels),
        **metrics,
    }


@app.command()
def evaluate(
    csv_file: Path = typer.Option(..., "--csv", help="UTF-8 CSV with labelled texts"),
    text_col: list[str] = typer.Option(..., "--text-col", help=TEXT_COL_HELP),
    label_col: str = typer.Option(..., "--label-col", help="label column"),
    version: str | None = typer.Option(None, help="version to evaluate (default: current)"),
    models_dir: Path | None = typer.Option(None, help="default: CIVICGRID_VAR_DIR/models"),
) -> None:
    """Score a stored model on a labelled CSV; prints one JSON line: macro_f1, accuracy, n,
    per_class, confusion, routing (coverage and accuracy per probability cut),
    coverage_at_accuracy and decision (what automatic dispatch routes at 95/97/99 %)."""
    from civicgrid.dispatch.artifacts import load_model
    from civicgrid.dispatch.evaluation import evaluate as score_model

    try:
        pairs = _csv_pairs(csv_file, text_col, label_col)
        classifier, info = load_model(_models_dir(models_dir), version)
        metrics = score_model(classifier, pairs)
    except DomainError as exc:
        raise fail(f"错误: {exc.message}") from exc
    _emit({"version": info.version, **metrics.as_dict()})


@app.command("list")
def list_models(
    models_dir: Path | None = typer.Option(None, help="default: CIVICGRID_VAR_DIR/models"),
) -> None:
    """List stored versions (one JSON line each), marking the current one."""
    from civicgrid.dispatch.artifacts import (
        ModelNotFound,
        current_version,
        list_versions,
        read_info,
    )

    directory = _models_dir(models_dir)
    try:
        current: str | None = current_version(directory)
    except ModelNotFound:
        current = None
    except DomainError as exc:
        raise fail(f"错误: {exc.message}") from exc
    for name in list_versions(directory):
        try:
            info = read_info(directory, name)
            _emit({"version": name, "current": name == current, "metrics": info.metrics})
        except DomainError as exc:
            _emit({"version": name, "current": name == current, "error": exc.message})


@app.command()
def activate(
    version: str = typer.Argument(..., help="version to make current"),
    models_dir: Path | None = typer.Option(None, help="default: CIVICGRID_VAR_DIR/models"),
) -> None:
    """Make a stored version the current model (after checking that it loads)."""
    from civicgrid.dispatch.artifacts import activate_version, load_model

    directory = _models_dir(models_dir)
    try:
        load_model(directory, version)
        activate_version(directory, version)
    except DomainError as exc:
        raise fail(f"错误: {exc.message}") from exc
    _log(directory, version, "activate")
    _emit({"version": version, "current": True})


def _log(models_dir: Path, version: str, action: str, **extra: Any) -> None:
    from civicgrid.dispatch.artifacts import record_promotion

    at = SystemClock().now().isoformat()
    record_promotion(models_dir, {"version": version, "action": action, "at": at, **extra})


@app.command()
def promote(
    version: str = typer.Argument(..., help="version to make current"),
    models_dir: Path | None = typer.Option(None, help="default: CIVICGRID_VAR_DIR/models"),
) -> None:
    """Promote a stored version by hand (e.g. a retrained candidate that was kept): make it
    current after checking that it loads, and record it in the promotion log."""
    from civicgrid.dispatch.artifacts import activate_version, load_model

    directory = _models_dir(models_dir)
    try:
        load_model(directory, version)
        previous = _current_or_none(directory)
        activate_version(directory, version)
    except DomainError as exc:
        raise fail(f"错误: {exc.message}") from exc
    _log(directory, version, "promote", by="hand", previous=previous)
    _emit({"version": version, "current": True, "previous": previous})


@app.command()
def rollback(
    models_dir: Path | None = typer.Option(None, help="default: CIVICGRID_VAR_DIR/models"),
) -> None:
    """Make the version that was current before the current one current again (by the
    promotion log), after checking that it loads; record the rollback."""
    from civicgrid.dispatch.artifacts import (
        activate_version,
        current_version,
        load_model,
        rollback_target,
    )

    directory = _models_dir(models_dir)
    try:
        previous = current_version(directory)
        target = rollback_target(directory)
        load_model(directory, target)
        activate_version(directory, target)
    except DomainError as exc:
        raise fail(f"错误: {exc.message}") from exc
    _log(directory, target, "rollback", by="hand", previous=previous)
    _emit({"version": target, "current": True, "previous": previous})


def _current_or_none(directory: Path) -> str | None:
    from civicgrid.dispatch.artifacts import ModelNotFound, current_version

    try:
        return current_version(directory)
    except ModelNotFound:
        return None


@app.command()
def retrain(
    models_dir: Path | None = typer.Option(None, help="default: CIVICGRID_VAR_DIR/models"),
    catalogue_terms: bool = typer.Option(
        True, help="use the names of the database catalogue as features of the candidate"
    ),
) -> None:
    """Run the retraining job now, whatever its schedule: train a candidate on closed
    appeals and corrections, compare it with the current model on the most recent labelled
    appeals, promote it only when it is not worse; prints the decision and both scores."""
    from sqlalchemy.exc import SQLAlchemyError

    from civicgrid.cli.common import cli_session
    from civicgrid.dispatch.service import retrain as run_retrain

    try:
        with cli_session() as session:
            result = run_retrain(
                session,
                now=SystemClock().now(),
                models_dir=_models_dir(models_dir),
                catalogue_features=catalogue_terms,
            )
    except SQLAlchemyError as exc:
        raise fail(
            "错误: 无法从数据库读取训练数据（数据库未初始化？请先运行 civicgrid migrate）: "
            f"{type(exc).__name__}"
        ) from exc
    except DomainError as exc:
        raise fail(f"错误: {exc.message}") from exc
    _emit(result.as_dict())
