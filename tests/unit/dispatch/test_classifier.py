"""Training and classification on a small constructed corpus; bad inputs."""

from __future__ import annotations

import pytest

from civicgrid.dispatch.classifier import Classifier, TextClassifier, train
from civicgrid.dispatch.evaluation import cross_validate, evaluate, score, split_holdout
from civicgrid.dispatch.normalise import MAX_TEXT_CHARS
from civicgrid.errors import Invalid

HELD_OUT = [
    ("我家今天早上开始停水了，一点自来水都没有", "water"),
    ("附近工地半夜施工，噪音吵得孩子睡不着觉", "noise"),
    ("楼下垃圾好多天没人清运，臭气熏天", "garbage"),
    ("门口总有车辆乱停，占道停车把路堵了", "parking"),
    ("繁體字：我家停水三天了，沒有自來水", "water"),
]


def test_model_is_a_classifier(small_model: TextClassifier) -> None:
    classifier: Classifier = small_model
    assert classifier.classify("停水了", k=1)
    assert set(small_model.labels) == {"water", "noise", "garbage", "parking"}


@pytest.mark.parametrize(("text", "label"), HELD_OUT)
def test_held_out_obvious_texts(small_model: TextClassifier, text: str, label: str) -> None:
    ranked = small_model.classify(text, k=4)
    assert ranked[0][0] == label
    assert len(ranked) == 4
    probabilities = [p for _, p in ranked]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-3)


def test_k_is_bounded(small_model: TextClassifier) -> None:
    assert len(small_model.classify("停水", k=10)) == 4
    with pytest.raises(Invalid, match="k"):
        small_model.classify("停水", k=0)


@pytest.mark.parametrize("text", ["", "   ", "停" * (MAX_TEXT_CHARS + 1)])
def test_bad_text_is_refused(small_model: TextClassifier, text: str) -> None:
    with pytest.raises(Invalid):
        small_model.classify(text)


@pytest.mark.parametrize(
    "text",
    ["The water has been off since Monday", "12345678", "😡😡😡", "!!!???", "鑫"],
)
def test_no_prediction(small_model: TextClassifier, text: str) -> None:
    """Non-Chinese text, or Chinese with no known feature, gives no prediction ([])."""
    assert small_model.classify(text) == []


def test_emoji_around_chinese_still_classifies(small_model: TextClassifier) -> None:
    assert small_model.classify("😡我家停水了，没有自来水😡", k=1)[0][0] == "water"


def test_lone_surrogate_is_not_an_error(small_model: TextClassifier) -> None:
    """A lone surrogate (possible after decoding a JSON escape) is dropped, not a crash."""
    assert small_model.classify("我家停水了\ud800没有自来水", k=1)[0][0] == "water"
    assert small_model.predict(["\udfff"]) == [None]


def test_batch_matches_single(small_model: TextClassifier) -> None:
    texts = [t for t, _ in HELD_OUT]
    assert small_model.classify_many(texts, k=2) == [small_model.classify(t, k=2) for t in texts]
    with pytest.raises(Invalid, match="第 2 条"):
        small_model.classify_many(["停水", ""])


def test_predict_never_raises(small_model: TextClassifier) -> None:
    assert small_model.predict(["停水了", "", "hello", "停" * (MAX_TEXT_CHARS + 5)]) == [
        "water",
        None,
        None,
        None,
    ]


def test_training_summary_counts_skipped_rows(small_corpus: list[tuple[str, str]]) -> None:
    model = train([*small_corpus, ("", "water"), ("停水", " "), ("no chinese here", "noise")])
    assert model.summary.n_used == len(small_corpus)
    assert model.summary.n_skipped_blank == 2
    assert model.summary.n_skipped_no_chinese == 1
    assert model.summary.class_counts["water"] == 12


def test_training_refuses_unusable_data() -> None:
    with pytest.raises(Invalid, match="2 个类别"):
        train([("停水了", "water"), ("又停水了", "water")])
    with pytest.raises(Invalid, match="少于 2 条"):
        train([("停水了", "water"), ("又停水了", "water"), ("太吵了", "noise")])
    with pytest.raises(Invalid, match="2 个类别"):
        train([])


def test_evaluate_and_score(small_model: TextClassifier) -> None:
    metrics = evaluate(small_model, [*HELD_OUT, ("hello", "water"), ("x", " ")])
    assert metrics.n == 6
    assert metrics.n_no_prediction == 1
    assert metrics.accuracy == pytest.approx(5 / 6, abs=1e-4)
    perfect = score(["a", "b"], ["a", "b"])
    assert (perfect.macro_f1, perfect.accuracy) == (1.0, 1.0)
    with pytest.raises(Invalid):
        score([], [])


def test_cross_validate_and_holdout(small_corpus: list[tuple[str, str]]) -> None:
    results = cross_validate(small_corpus, folds=3)
    assert len(results) == 3
    assert all(r.macro_f1 > 0.8 for r in results)
    fit, held = split_holdout(small_corpus, 0.25)
    assert len(fit) + len(held) == len(small_corpus)
    assert {label for _, label in held} == {"water", "noise", "garbage", "parking"}
    with pytest.raises(Invalid):
        split_holdout(small_corpus, 1.5)


def test_two_labels_and_word_features(small_corpus: list[tuple[str, str]]) -> None:
    """Binary models keep one score column; the generic (jieba) feature path works too."""
    from civicgrid.dispatch.classifier import TrainConfig
    from civicgrid.dispatch.features import FeatureConfig

    pairs = [p for p in small_corpus if p[1] in {"water", "noise"}]
    binary = train(pairs)
    assert binary.model.weights.shape[1] == 1
    ranked = binary.classify("我家停水了，没有自来水", k=2)
    assert ranked[0][0] == "water"
    assert sum(p for _, p in ranked) == pytest.approx(1.0, abs=1e-6)
    config = TrainConfig(features=FeatureConfig(word_ngram_max=1))
    with_words = train(small_corpus, config)
    assert with_words.classify("我家停水了，没有自来水", k=1)[0][0] == "water"
    assert with_words.classify_many(["停水"], k=2) == [with_words.classify("停水", k=2)]


def test_training_is_deterministic_and_parallel_fits_agree(
    small_corpus: list[tuple[str, str]],
) -> None:
    import numpy as np

    from civicgrid.dispatch.classifier import TrainConfig

    a = train(small_corpus)
    b = train(small_corpus, TrainConfig(n_jobs=2))
    assert np.array_equal(a.model.weights, b.model.weights)
    assert np.array_equal(a.model.platt_a, b.model.platt_a)
    assert np.array_equal(a.model.platt_b, b.model.platt_b)


def test_platt_scaling_orders_scores() -> None:
    import numpy as np

    from civicgrid.dispatch.classifier import _platt

    scores = np.array([-2.0, -1.5, -1.0, -0.2, 0.3, 1.0, 1.2, 2.0])
    positive = scores > 0
    a, b = _platt(scores, positive)
    assert a < 0  # p = 1 / (1 + exp(a f + b)) grows with the score
    p = 1 / (1 + np.exp(a * scores + b))
    assert p[0] < 0.5 < p[-1]


def test_calibration_sample_is_stratified_and_bounded() -> None:
    import numpy as np

    from civicgrid.dispatch.classifier import _calibration_sample

    y = np.asarray(["a"] * 900 + ["b"] * 95 + ["c"] * 5)
    assert len(_calibration_sample(y, 2000, 0)) == 1000
    rows = _calibration_sample(y, 100, 0)
    picked = dict(zip(*np.unique(y[rows], return_counts=True), strict=True))
    assert picked == {"a": 90, "b": 10, "c": 5}
    assert np.array_equal(rows, _calibration_sample(y, 100, 0))


def test_parallel_training_is_automatic_only_for_large_sets() -> None:
    from civicgrid.dispatch.classifier import PARALLEL_MIN_ROWS, TrainConfig, _workers

    assert _workers(TrainConfig(), PARALLEL_MIN_ROWS - 1) == 1
    assert 1 <= _workers(TrainConfig(), PARALLEL_MIN_ROWS) <= 4
    assert _workers(TrainConfig(n_jobs=3), 10) == 3


def test_linear_scores_match_a_sparse_product_with_empty_rows() -> None:
    """Rows without features (first, between, last) score the intercept alone."""
    import numpy as np
    import scipy.sparse as sp
    from scipy.special import expit

    from civicgrid.dispatch.classifier import LinearModel

    rng = np.random.default_rng(0)
    weights = rng.normal(size=(50, 3)).astype(np.float32)
    model = LinearModel(
        weights=weights,
        intercept=np.array([0.1, -0.2, 0.3]),
        platt_a=np.array([-1.5, -2.0, -1.0]),
        platt_b=np.array([0.1, 0.0, -0.1]),
    )
    rows = sp.random(6, 50, density=0.2, format="csr", dtype=np.float32, random_state=1)
    rows = sp.csr_matrix(rows.multiply(np.array([[0], [1], [1], [0], [1], [0]])))
    rows.eliminate_zeros()
    rows.sort_indices()
    got = model.probabilities(rows.data, rows.indices, rows.indptr)
    scores = np.asarray(rows @ weights, dtype=np.float64) + model.intercept
    expected = expit(-(model.platt_a * scores + model.platt_b))
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.allclose(got, expected, atol=1e-6)
    assert np.allclose(got.sum(axis=1), 1.0)
