"""Catalogue level-2/3 names as classifier features (features.CatalogueTerms)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from civicgrid.dispatch.classifier import TextClassifier, TrainConfig, train
from civicgrid.dispatch.features import CatalogueTerms, FeatureConfig, catalogue_terms

TERMS = catalogue_terms(
    [
        ("water", "自来水供应"),
        ("water", "水质、水压"),
        ("noise", "噪音污染和施工噪声"),
        ("garbage", "其他"),
        ("garbage", "垃圾清运与环境卫生"),
        ("parking", "停车管理"),
        ("parking", "环境卫生"),
    ]
)


def test_names_are_split_and_vague_ones_dropped() -> None:
    assert TERMS == (
        ("停车管理", "parking"),
        ("噪音污染", "noise"),
        ("垃圾清运", "garbage"),
        ("施工噪声", "noise"),
        ("水压", "water"),
        ("水质", "water"),
        ("环境卫生", "garbage"),
        ("环境卫生", "parking"),
        ("自来水供应", "water"),
    )
    assert catalogue_terms([("", "自来水"), ("water", "水"), ("water", "")]) == ()


def test_presence_and_per_label_columns() -> None:
    terms = CatalogueTerms(TERMS, weight=0.5).fit([])
    names = list(terms.get_feature_names_out())
    assert names[:8] == [
        "停车管理",
        "噪音污染",
        "垃圾清运",
        "施工噪声",
        "水压",
        "水质",
        "环境卫生",
        "自来水供应",
    ]
    assert names[8:] == ["类别:garbage", "类别:noise", "类别:parking", "类别:water"]
    matrix = terms.transform(["水质差，水压低，小区环境卫生差", "没有提到任何目录名称"]).toarray()
    row = dict(zip(names, matrix[0], strict=True))
    assert row["水质"] == row["水压"] == row["环境卫生"] == pytest.approx(0.5)
    assert row["自来水供应"] == 0
    # two water names, one name shared by garbage and parking: 0.5 × log(1 + n)
    assert row["类别:water"] == pytest.approx(0.5 * 1.0986123, rel=1e-5)
    assert row["类别:garbage"] == row["类别:parking"] == pytest.approx(0.5 * 0.6931472, rel=1e-5)
    assert row["类别:noise"] == 0
    assert not matrix[1].any()


@pytest.fixture(scope="module")
def terms_model(small_corpus: list[tuple[str, str]]) -> TextClassifier:
    return train(small_corpus, TrainConfig(features=FeatureConfig(catalogue_terms=TERMS)))


def test_training_with_catalogue_terms(
    terms_model: TextClassifier, small_model: TextClassifier
) -> None:
    """The terms add columns after the character n-grams; the model still ranks, explains
    and calibrates routing thresholds, and a text alone scores as in a batch."""
    extra = terms_model.model.weights.shape[0] - small_model.model.weights.shape[0]
    assert extra == 8 + 4
    text = "我家一直停水，没有自来水用，水质也差"
    assert terms_model.classify(text, k=1)[0][0] == "water"
    assert terms_model.classify_many([text, "工地施工噪声太吵"], k=2)[0] == (
        terms_model.classify(text, k=2)
    )
    assert terms_model.routing is not None
    words = [w for w, _ in terms_model.explain(text, ["water"])["water"]]
    assert words
    assert all(":" not in w and w in text for w in words)
    assert terms_model.config.as_dict()["features"]["catalogue_terms"][0] == ("停车管理", "parking")


def test_catalogue_terms_model_survives_storage(
    terms_model: TextClassifier, tmp_path: Path
) -> None:
    from civicgrid.dispatch.artifacts import load_model, save_model

    directory = tmp_path
    save_model(terms_model, {}, models_dir=directory, now=datetime(2026, 12, 7, tzinfo=UTC))
    loaded, _ = load_model(directory)
    text = "楼下垃圾清运不及时，环境卫生很差"
    assert loaded.classify(text, k=3) == terms_model.classify(text, k=3)
