"""``civicgrid territory import|export`` against a migrated SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicgrid import migrate
from civicgrid.cli import app
from civicgrid.config import get_settings
from civicgrid.db import make_engine
from civicgrid.demo.city import build_territory_spec

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db_file = tmp_path / "cli.db"
    engine = make_engine(f"sqlite:///{db_file}")
    migrate.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("CIVICGRID_DATABASE_URL", f"sqlite:///{db_file}")
    monkeypatch.setenv("CIVICGRID_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield db_file
    get_settings.cache_clear()


def write(path: Path, payload: object) -> Path:
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return path


def test_import_then_export_round_trips_the_territory(database: Path, tmp_path: Path) -> None:
    spec = build_territory_spec(3, "tiny")
    source = write(tmp_path / "tiny.geojson", spec.features)
    result = runner.invoke(app, ["territory", "import", str(source)])
    assert result.exit_code == 0, result.output
    assert "已导入 16 个区域" in result.output

    out = tmp_path / "out.geojson"
    result = runner.invoke(app, ["territory", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(f["properties"]["code"] for f in exported["features"]) == sorted(
        f["properties"]["code"] for f in spec.features["features"]
    )

    result = runner.invoke(app, ["territory", "export"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["type"] == "FeatureCollection"


def test_a_bad_file_exits_with_code_2_naming_every_problem(database: Path, tmp_path: Path) -> None:
    spec = build_territory_spec(3, "tiny")
    features = spec.features["features"]
    features[1]["properties"]["parent_code"] = "139800000000"
    features[-1]["geometry"]["coordinates"][0][1] = [0.0, 0.0]
    source = write(tmp_path / "bad.geojson", spec.features)
    result = runner.invoke(app, ["territory", "import", str(source)])
    assert result.exit_code == 2
    assert "features[1]" in result.output
    assert f"features[{len(features) - 1}]" in result.output
    assert "未导入任何区域" in result.output

    result = runner.invoke(app, ["territory", "export"])
    assert json.loads(result.stdout)["features"] == []


def test_a_file_that_is_not_json_exits_with_code_2(database: Path, tmp_path: Path) -> None:
    source = tmp_path / "broken.geojson"
    source.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["territory", "import", str(source)])
    assert result.exit_code == 2
    assert "不是有效的 JSON" in result.output


def test_a_missing_file_exits_with_code_2(database: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["territory", "import", str(tmp_path / "missing.geojson")])
    assert result.exit_code == 2
    assert "无法读取文件" in result.output
