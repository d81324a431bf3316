"""``civicgrid insight hotspots`` on small CSV files written to tmp_path, and its refusals
(exit 2 with one sentence on stderr)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicgrid.cli import app

ROWS = [
    (
        "1",
        "u1",
        "A2区丽发新城附近搅拌站噪音扰民",
        "2019/11/2 10:18:00",
        "丽发新城附近搅拌站噪音扰民",
        "0",
        "3",
    ),
    (
        "2",
        "u2",
        "投诉丽发新城旁边搅拌站夜间噪音",
        "2019/11/5 9:00:00",
        "丽发新城搅拌站夜间噪音大",
        "1",
        "5",
    ),
    (
        "3",
        "u3",
        "丽发新城搅拌站噪音太大影响睡眠",
        "2019-11-08 20:10",
        "A市A2区丽发新城搅拌站噪音",
        "0",
        "0",
    ),
    ("4", "u4", "社保卡补办流程咨询", "2019/11/9 8:00:00", "社保卡丢了怎么补办", "0", "0"),
]
HEADER = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "反对数", "点赞数"]


def write(path: Path, header: list[str], rows: Sequence[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def messages(tmp_path: Path) -> Path:
    return write(tmp_path / "messages.csv", HEADER, ROWS)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["insight", *args])
    return result.exit_code, result.stdout, result.stderr


def test_hotspots_from_a_csv_print_json(messages: Path) -> None:
    code, out, err = run("hotspots", "--csv", str(messages))

    assert code == 0, err
    body = json.loads(out)
    assert body["items"] == 4
    (hot,) = body["hotspots"]
    assert sorted(hot["members"]) == ["1", "2", "3"]
    assert hot["support"] == 8
    assert hot["oppose"] == 1
    assert hot["areas"] == ["A2区"]
    assert "搅拌站" in hot["terms"]


def test_named_columns_and_a_period_filter(tmp_path: Path) -> None:
    path = write(
        tmp_path / "other.csv",
        ["body", "when"],
        [(r[2], r[3]) for r in ROWS],
    )

    code, out, err = run(
        "hotspots", "--csv", str(path), "--text-col", "body", "--time-col", "when",
        "--period", "2019-12",
    )  # fmt: skip

    assert code == 0, err
    body = json.loads(out)
    assert body["items"] == 0
    assert body["hotspots"] == []


def test_a_csv_without_the_named_columns_exits_2_with_a_sentence(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", ["id", "content"], [("1", "停水")])

    code, out, err = run("hotspots", "--csv", str(path), "--text-col", "text", "--time-col", "at")

    assert code == 2
    assert out == ""
    assert "缺少列" in err
    assert "“text”" in err
    assert "id、content" in err


def test_a_csv_without_the_default_columns_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", ["id", "content"], [("1", "停水")])

    code, _, err = run("hotspots", "--csv", str(path))

    assert code == 2
    assert "留言详情" in err


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    code, _, err = run("hotspots", "--csv", str(tmp_path / "nope.csv"))

    assert code == 2
    assert "无法读取文件" in err


def test_an_unreadable_time_exits_2_naming_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.csv", HEADER, [*ROWS, ("5", "u5", "停水", "昨天", "停水", "0", "0")]
    )

    code, _, err = run("hotspots", "--csv", str(path))

    assert code == 2
    assert "第 6 行" in err


@pytest.mark.parametrize(
    "args",
    [
        ["hotspots", "--text-col", "body"],
        ["hotspots"],
        ["hotspots", "--period", "2026-13"],
        ["forecast", "--by", "street"],
        ["hotspots", "--csv", "x.csv", "--region", "110105001000"],
    ],
)
def test_bad_options_exit_2(args: list[str]) -> None:
    code, _, err = run(*args)

    assert code == 2
    assert err.startswith("错误")
