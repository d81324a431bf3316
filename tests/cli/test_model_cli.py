"""``civicgrid model train / evaluate / list / activate`` on a small CSV written to tmp_path."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicgrid.cli import app
from civicgrid.config import get_settings

PLACES = ["幸福小区", "和平街口", "花园社区", "河西新村"]
TOPICS = {
    "供水": ["停水了", "没有自来水", "水压太低", "水质发黄"],
    "噪声": ["夜间施工太吵", "工地噪音扰民", "酒吧音响噪声大", "机器轰鸣吵得睡不着"],
    "垃圾": ["垃圾没人清运", "垃圾桶满了", "生活垃圾堆放", "垃圾发臭"],
}


def write_csv(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label", "title", "detail"])
        rows = itertools.count(1)
        for label, phrases in TOPICS.items():
            for place, phrase in itertools.product(PLACES, phrases):
                writer.writerow([next(rows), label, f"{place}{phrase}", f"反映{place}{phrase}。"])
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "appeals.csv")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["model", *args])
    return result.exit_code, result.stdout, result.stderr


def test_train_then_evaluate(tmp_path: Path, data: Path) -> None:
    models = str(tmp_path / "models")
    code, out, err = run(
        "train", "--csv", str(data), "--text-col", "title+detail", "--label-col", "label",
        "--models-dir", models, "--version", "t1",
    )  # fmt: skip
    assert code == 0, err
    trained = json.loads(out)
    assert trained["version"] == "t1"
    assert trained["labels"] == 3
    assert trained["n_train"] == 48
    assert 0.0 <= trained["holdout"]["macro_f1"] <= 1.0
    assert trained["holdout"]["seconds"] >= 0
    assert trained["train_seconds"] >= 0
    assert (tmp_path / "models" / "t1" / "manifest.json").exists()

    code, out, err = run(
        "evaluate", "--csv", str(data), "--text-col", "title", "--text-col", "detail",
        "--label-col", "label", "--models-dir", models,
    )  # fmt: skip
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    metrics = json.loads(lines[0])
    assert metrics["n"] == 48
    assert metrics["version"] == "t1"
    assert metrics["macro_f1"] > 0.9
    assert metrics["accuracy"] > 0.9
    assert sum(c["support"] for c in metrics["per_class"].values()) == 48
    assert metrics["confusion"]["labels"] == sorted(TOPICS)
    assert sum(map(sum, metrics["confusion"]["matrix"])) == 48
    assert [r["threshold"] for r in metrics["routing"]][0::9] == [0.5, 0.95]
    assert set(metrics["coverage_at_accuracy"]) == {"0.95", "0.97", "0.99"}
    assert metrics["coverage_at_accuracy"]["0.95"] >= metrics["coverage_at_accuracy"]["0.99"]
    assert set(metrics["decision"]) == {"0.95", "0.97", "0.99"}

    code, out, _ = run("list", "--models-dir", models)
    assert code == 0
    assert json.loads(out.strip().splitlines()[0])["current"] is True
    code, out, _ = run("activate", "t1", "--models-dir", models)
    assert code == 0


def test_missing_columns_exit_2(tmp_path: Path, data: Path) -> None:
    code, out, err = run(
        "train", "--csv", str(data), "--text-col", "content", "--label-col", "category",
        "--models-dir", str(tmp_path / "models"),
    )  # fmt: skip
    assert code == 2
    assert out == ""
    assert "缺少列: content, category" in err


def test_evaluate_without_model_exit_2(tmp_path: Path, data: Path) -> None:
    code, _, err = run(
        "evaluate", "--csv", str(data), "--text-col", "title", "--label-col", "label",
        "--models-dir", str(tmp_path / "empty"),
    )  # fmt: skip
    assert code == 2
    assert "尚未训练" in err


def test_evaluate_requires_columns(data: Path) -> None:
    code, _, err = run("evaluate", "--csv", str(data), "--label-col", "label")
    assert code == 2
    assert "--text-col" in err


def test_bad_files_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The no-CSV branch reads the configured database: point it at an empty temporary one.
    monkeypatch.setenv("CIVICGRID_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("CIVICGRID_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    code, _, err = run("train", "--csv", str(tmp_path / "nope.csv"), "--text-col", "t")
    assert code == 2
    assert "找不到文件" in err
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("text,label\n停水,供水\n".encode("gbk"))
    code, _, err = run("train", "--csv", str(gbk), "--text-col", "text")
    assert code == 2
    assert "UTF-8" in err
    code, _, err = run("train", "--text-col", "text")
    assert code == 2
    assert "--csv" in err


def test_too_few_classes_exit_2(tmp_path: Path) -> None:
    one = tmp_path / "one.csv"
    one.write_text("text,label\n停水了,供水\n又停水了,供水\n", encoding="utf-8")
    code, _, err = run(
        "train", "--csv", str(one), "--text-col", "text", "--models-dir", str(tmp_path / "m")
    )
    assert code == 2
    assert "2 个类别" in err


def test_promote_and_rollback_follow_the_promotion_log(tmp_path: Path, data: Path) -> None:
    models = str(tmp_path / "models")
    for version in ("t1", "t2"):
        code, _, err = run(
            "train", "--csv", str(data), "--text-col", "title+detail", "--label-col", "label",
            "--models-dir", models, "--version", version, "--holdout", "0",
        )  # fmt: skip
        assert code == 0, err

    code, out, err = run("rollback", "--models-dir", models)
    assert code == 0, err
    assert json.loads(out) == {"version": "t1", "current": True, "previous": "t2"}
    code, out, err = run("promote", "t2", "--models-dir", models)
    assert code == 0, err
    assert json.loads(out) == {"version": "t2", "current": True, "previous": "t1"}
    code, out, _ = run("rollback", "--models-dir", models)
    assert json.loads(out)["version"] == "t1"
    code, out, err = run("rollback", "--models-dir", models)
    assert code == 2
    assert out == ""
    assert "没有可回退的上一个模型版本" in err
    log = (tmp_path / "models" / "promotions.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["action"] for line in log] == [
        "train", "train", "rollback", "promote", "rollback",
    ]  # fmt: skip

    code, _, err = run("promote", "t9", "--models-dir", models)
    assert code == 2
    assert "t9" in err


def test_retrain_on_an_empty_database_trains_nothing_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from civicgrid import migrate
    from civicgrid.db import make_engine

    db_file = tmp_path / "cli.db"
    engine = make_engine(f"sqlite:///{db_file}")
    migrate.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("CIVICGRID_DATABASE_URL", f"sqlite:///{db_file}")
    monkeypatch.setenv("CIVICGRID_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        code, out, err = run("retrain", "--models-dir", str(tmp_path / "models"))
    finally:
        get_settings.cache_clear()
    assert code == 0, err
    result = json.loads(out)
    assert result["promoted"] is False
    assert result["candidate"] is None
    assert "带类别的诉求只有 0 条" in result["reason"]
    assert not (tmp_path / "models").exists()
