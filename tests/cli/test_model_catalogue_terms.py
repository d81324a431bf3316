"""``civicgrid model train --catalogue-terms``: catalogue names as extra classifier features."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

from typer.testing import CliRunner

from civicgrid.cli import app

TOPICS = {
    "供水": ["停水了", "没有自来水", "水压太低", "水质发黄"],
    "噪声": ["夜间施工太吵", "工地噪音扰民", "酒吧音响噪声大", "机器轰鸣吵得睡不着"],
}


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["model", *args])
    return result.exit_code, result.stdout, result.stderr


def test_train_with_catalogue_terms(tmp_path: Path) -> None:
    counter = itertools.count(1)
    data = write(
        tmp_path / "appeals.csv",
        [["id", "label", "text"]]
        + [
            [str(next(counter)), label, f"{place}{phrase}"]
            for label, phrases in TOPICS.items()
            for place, phrase in itertools.product(["幸福小区", "和平街口", "花园社区"], phrases)
        ],
    )
    terms = write(
        tmp_path / "catalogue.csv",
        [
            ["一级分类", "二级分类", "三级分类"],
            ["供水", "自来水供应", "水质、水压"],
            ["噪声", "其他", "施工噪声"],
        ],
    )
    models = tmp_path / "models"
    code, out, err = run(
        "train", "--csv", str(data), "--models-dir", str(models), "--version", "t1",
        "--catalogue-terms", str(terms), "--catalogue-weight", "0.2",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["labels"] == 2
    manifest = json.loads((models / "t1" / "manifest.json").read_text(encoding="utf-8"))
    features = manifest["config"]["features"]
    assert features["catalogue_weight"] == 0.2
    assert features["catalogue_terms"] == [
        ["施工噪声", "噪声"],
        ["水压", "供水"],
        ["水质", "供水"],
        ["自来水供应", "供水"],
    ]
    code, out, err = run(
        "evaluate", "--csv", str(data), "--text-col", "text", "--label-col", "label",
        "--models-dir", str(models),
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["accuracy"] > 0.9


def test_unusable_catalogue_terms_exit_2(tmp_path: Path) -> None:
    data = write(tmp_path / "appeals.csv", [["label", "text"], ["供水", "停水了"]])
    empty = write(tmp_path / "catalogue.csv", [["一级分类", "二级分类"], ["供水", "其他"]])
    for path, message in ((empty, "没有可用的目录名称"), (tmp_path / "nope.csv", "找不到文件")):
        code, _, err = run(
            "train", "--csv", str(data), "--models-dir", str(tmp_path / "m"),
            "--catalogue-terms", str(path),
        )  # fmt: skip
        assert code == 2
        assert message in err
