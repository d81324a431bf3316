"""The words that drove a category: character sequences of the text weighted by the label's
linear weights, longest first among overlapping ones, as shares of the positive evidence."""

from __future__ import annotations

import pytest

from civicgrid.dispatch.classifier import TextClassifier, TrainConfig, train
from civicgrid.dispatch.features import FeatureConfig
from civicgrid.dispatch.normalise import has_chinese, normalise
from civicgrid.errors import Invalid


def _check(words: list[tuple[str, float]], text: str) -> None:
    assert words
    assert all(w in normalise(text) and w.isalnum() and has_chinese(w) for w, _ in words)
    assert all(0 < share <= 1 for _, share in words)
    assert sum(share for _, share in words) <= 1 + 1e-6
    assert [s for _, s in words] == sorted((s for _, s in words), reverse=True)
    for i, (a, _) in enumerate(words):  # no word inside another one
        assert all(a not in b and b not in a for b, _ in words[i + 1 :])


def test_words_of_the_right_label(small_model: TextClassifier) -> None:
    text = "我家今天早上开始停水了，一点自来水都没有"
    ranked = small_model.classify(text, k=2)
    assert ranked[0][0] == "water"
    why = small_model.explain(text, [label for label, _ in ranked], n=4)
    _check(why["water"], text)
    assert any("水" in w for w, _ in why["water"])
    assert len(why["water"]) <= 4
    assert small_model.explain(text, ["unknown"]) == {"unknown": []}
    with pytest.raises(Invalid):
        small_model.explain("  ", ["water"])


def test_two_labels_explain_both_directions(small_corpus: list[tuple[str, str]]) -> None:
    """One weight column: the first label's evidence is the column's negative side."""
    two = [(t, lab) for t, lab in small_corpus if lab in {"water", "noise"}]
    model = train(two)
    assert model.model.weights.shape[1] == 1
    water, noise = "家里停水了", "工地施工太吵了"
    _check(model.explain(water, ["water"])["water"], water)
    _check(model.explain(noise, ["noise"])["noise"], noise)
    assert model.explain(water, ["noise"])["noise"] != model.explain(water, ["water"])["water"]


def test_word_features_are_named_too(small_corpus: list[tuple[str, str]]) -> None:
    model = train(small_corpus, TrainConfig(features=FeatureConfig(word_ngram_max=1)))
    text = "我家今天早上开始停水了，一点自来水都没有"
    _check(model.explain(text, ["water"])["water"], text)
