"""The dispatch classifier: appeal text → the most likely categories with probabilities.

:class:`Classifier` is the seam the rest of the system uses; :class:`TextClassifier` is the
implementation: TF-IDF features from :mod:`.features`, linear SVMs (scikit-learn's
``LinearSVC``, one per label against the rest) and per-label Platt scaling that turns their
scores into probabilities.

Training fits the SVMs once on all rows. The Platt parameters come from *cross-fitted* scores:
SVMs trained on ``k - 1`` folds score the held-out fold (on a stratified sample of at most
``TrainConfig.calibration_rows`` rows), so the calibration never sees scores of texts the model
was trained on. This is scikit-learn's ``CalibratedClassifierCV(ensemble=False)`` recipe.

Every SVM is fitted one label at a time (label against the rest, with the weights
scikit-learn's one-vs-rest would give it), each fit seeded alike. The fits are independent, so
on large training sets they run in forked worker processes that share the feature matrix
(see :func:`_fit_all`), and the model does not depend on how many processes ran them.

Classification does not go through scikit-learn: the model is kept as a dense float32 weight
matrix (features × labels), an intercept and the two Platt parameters per label, and scoring
is a sparse-row × dense-matrix product in numpy. Probabilities are normalised to sum to 1.

Training takes any iterable of ``(text, label)`` pairs, so the source (a CSV file, closed
appeals in the database, a demo generator) is the caller's business. Labels are opaque
strings; in production they are catalogue codes (see :mod:`.catalogue`).

"No prediction": :meth:`TextClassifier.classify` returns an empty list when the text contains
no Chinese character (English only, digits, emoji) or none of its features was seen in
training. The caller then puts the appeal in the manual dispatch queue. Empty or over-long
text is refused with :class:`~civicgrid.errors.Invalid` (see :func:`.normalise.check_text`).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC
from sklearn.utils.class_weight import compute_class_weight

from civicgrid.dispatch.features import FeatureConfig, build_vectoriser
from civicgrid.dispatch.ngrams import CharNgramTfidf
from civicgrid.dispatch.normalise import (
    MAX_TEXT_CHARS,
    check_text,
    has_chinese,
    normalise,
    normalise_many,
)
from civicgrid.dispatch.routing import HeldOutPrediction, RoutingThresholds, calibrate_thresholds
from civicgrid.errors import Invalid

LabelScore = tuple[str, float]
MAX_K = 50
PARALLEL_MIN_ROWS = 20_000
"""Training sets from this size on fit their SVMs in worker processes (``n_jobs=0``)."""
MAX_AUTO_JOBS = 4
"""Upper bound of automatic worker processes: each holds liblinear's own copy of the matrix
(16 bytes per non-zero, about 1.6 GB for 100,000 appeals)."""


class Classifier(Protocol):
    """Anything that ranks categories for an appeal text."""

    def classify(self, text: str, k: int = 3) -> list[LabelScore]:
        """Up to ``k`` ``(label, probability)`` pairs, most likely first; ``[]`` = no prediction.

        Raises ``Invalid`` for empty or over-long text.
        """
        ...


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Hyper-parameters of a training run; stored in the model manifest.

    Defaults were fixed before looking at any test fold (see docs/domain/dispatch.md).
    """

    features: FeatureConfig = field(default_factory=FeatureConfig)
    c: float = 1.0
    """Inverse regularisation strength of the linear SVM."""
    balanced_classes: bool = True
    """Weight classes inversely to their frequency (rare categories are not ignored)."""
    calibration_folds: int = 3
    calibration_rows: int = 10_000
    """Cross-fitted calibration uses a stratified sample of at most this many rows."""
    seed: int = 0
    n_jobs: int = 0
    """Threads fitting the features and processes fitting the SVMs (does not change the model).

    0 = automatic: one per available core (at most :data:`MAX_AUTO_JOBS`) from
    :data:`PARALLEL_MIN_ROWS` training texts on, below that one (starting workers would cost
    more than it saves)."""
    max_iter: int = 1000
    """Iteration limit of the SVM solver (liblinear's dual coordinate descent)."""
    routing_per_label: bool = False
    """Calibrate a routing threshold per predicted label, not only one for all labels. Off:
    in 5-fold CV on real messages the per-label cuts missed the target accuracy (0.963 at a
    target of 0.97) where the global cut held it (docs/domain/dispatch.md §3)."""
    tol: float = 0.1
    """Stopping tolerance of the SVM solver: liblinear's own default for this solver.

    scikit-learn's default (1e-4) costs about 4 times as many passes over the data for the
    same macro-F1 (nested CV in docs/domain/dispatch.md §3)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class TrainingSummary:
    """What went into a model: rows used, rows skipped and why, examples per label."""

    n_used: int
    n_skipped_blank: int
    n_skipped_no_chinese: int
    class_counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class LinearModel:
    """A fitted linear scorer with Platt scaling; pure numpy, no scikit-learn at run time.

    ``weights`` is ``(n_features, n_columns)`` float32 and ``intercept`` ``(n_columns,)``,
    where ``n_columns`` is the number of labels, or 1 for two labels (the score of the second
    label, as scikit-learn does). A score ``f`` becomes ``1 / (1 + exp(a f + b))``.
    """

    weights: Any
    intercept: Any
    platt_a: Any
    platt_b: Any

    def probabilities(self, data: Any, indices: Any, indptr: Any) -> Any:
        """Label probabilities (rows sum to 1) for CSR feature rows."""
        # One code path for one row and for many, so that a text gets exactly the same
        # probabilities alone and in a batch: each row's weighted feature rows are summed in
        # the row's own order. (A gather and a segment sum; building a scipy matrix would cost
        # more than the product itself for one text.)
        n_rows = len(indptr) - 1
        scores = np.zeros((n_rows, self.weights.shape[1]), dtype=np.float32)
        filled = np.flatnonzero(np.diff(indptr) > 0)
        if len(filled):
            terms = self.weights[indices] * data[:, None]
            scores[filled] = np.add.reduceat(terms, indptr[filled], axis=0)
        return platt_probabilities(
            scores.astype(np.float64) + self.intercept, self.platt_a, self.platt_b
        )


def platt_probabilities(scores: Any, platt_a: Any, platt_b: Any) -> Any:
    """Label probabilities (rows sum to 1) from decision scores ``(n_rows, n_columns)``."""
    positive = expit(-(platt_a * scores + platt_b))
    if positive.shape[1] == 1:
        return np.hstack([1.0 - positive, positive])
    total = positive.sum(axis=1, keepdims=True)
    uniform = np.full_like(positive, 1.0 / positive.shape[1])
    return np.divide(positive, total, out=uniform, where=total > 0)


class TextClassifier:
    """A trained classifier: feature extractor + calibrated linear model + its label set."""

    def __init__(
        self,
        vectoriser: FeatureUnion,
        model: LinearModel,
        labels: Sequence[str],
        config: TrainConfig,
        summary: TrainingSummary,
        routing: RoutingThresholds | None = None,
    ) -> None:
        self.vectoriser = vectoriser
        self.model = model
        self.config = config
        self.summary = summary
        self.routing = routing
        """Thresholds of automatic dispatch, calibrated on the cross-fitted held-out
        predictions of training (see :func:`held_out_predictions`)."""
        self.labels: tuple[str, ...] = tuple(labels)
        parts = vectoriser.transformer_list
        self._chars: CharNgramTfidf | None = (
            parts[0][1] if len(parts) == 1 and isinstance(parts[0][1], CharNgramTfidf) else None
        )
        self._names: list[str] | None = None
        """Feature names of a union of extractors, read once when first needed."""

    def classify(self, text: str, k: int = 3) -> list[LabelScore]:
        """See :meth:`Classifier.classify`."""
        _check_k(k)
        stripped = check_text(text)
        return self._rank([normalise(stripped)], k)[0]

    def classify_many(self, texts: Sequence[str], k: int = 3) -> list[list[LabelScore]]:
        """:meth:`classify` for a batch (much faster per text). Raises on the first bad text."""
        _check_k(k)
        checked = []
        for i, text in enumerate(texts):
            try:
                checked.append(check_text(text))
            except Invalid as exc:
                raise Invalid(f"第 {i + 1} 条: {exc.message}") from exc
        return self._rank(normalise_many(checked), k)

    def predict(self, texts: Sequence[str]) -> list[str | None]:
        """The top label per text, ``None`` where there is no prediction or the text is bad.

        Never raises for bad text; meant for evaluation over imported files.
        """
        return [r[0][0] if r else None for r in self.rank_many(texts, 1)]

    def rank_many(self, texts: Sequence[str], k: int = 3) -> list[list[LabelScore]]:
        """:meth:`classify_many`, but an empty or over-long text gets ``[]`` (no prediction)
        instead of an error; meant for evaluation over imported files."""
        _check_k(k)
        usable = [bool(t.strip()) and len(t.strip()) <= MAX_TEXT_CHARS for t in texts]
        return self._rank(
            normalise_many([t if ok else "" for t, ok in zip(texts, usable, strict=True)]), k
        )

    def explain(
        self, text: str, labels: Sequence[str], n: int = 5
    ) -> dict[str, list[tuple[str, float]]]:
        """For each of ``labels``, the ``n`` character sequences of ``text`` that pushed its
        score up the most, with their share of the label's positive evidence (0–1): the
        feature value times the label's weight, longer sequences first among overlapping ones
        (a single character only when no longer one counts); sequences with punctuation or
        without a Chinese character are skipped. The
        sequences are of the normalised text (simplified characters, half-width forms).
        Raises ``Invalid`` for empty or over-long text, like :meth:`classify`."""
        data, indices, _ = self._features([normalise(check_text(text))])
        out: dict[str, list[tuple[str, float]]] = {}
        for label in labels:
            if label not in self.labels:
                out[label] = []
                continue
            column, sign = self._column(label)
            contribution = sign * data * self.model.weights[indices, column]
            out[label] = self._top_words(indices, contribution, n)
        return out

    def _column(self, label: str) -> tuple[int, float]:
        """The weight column of ``label`` and its sign: with two labels the one column is the
        second label's score, and the first label's is its negative."""
        at = self.labels.index(label)
        if self.model.weights.shape[1] == 1:
            return 0, 1.0 if at == 1 else -1.0
        return at, 1.0

    def _top_words(self, indices: Any, contribution: Any, n: int) -> list[tuple[str, float]]:
        total = float(contribution[contribution > 0].sum())
        if total <= 0:
            return []
        found = [
            (self._feature_name(int(i)), float(c))
            for i, c in zip(indices, contribution, strict=True)
            if c > 0
        ]
        found.sort(key=lambda nc: (len(nc[0]) == 1, -nc[1]))
        chosen: list[tuple[str, float]] = []
        for name, value in found:
            if not _is_word(name) or any(name in c or c in name for c, _ in chosen):
                continue
            chosen.append((name, round(value / total, 4)))
            if len(chosen) == n:
                break
        return sorted(chosen, key=lambda nc: -nc[1])

    def _feature_name(self, index: int) -> str:
        if self._chars is not None:
            return self._chars.feature_name(index)
        if getattr(self, "_names", None) is None:  # absent from models pickled before it
            names = self.vectoriser.get_feature_names_out()
            self._names = [str(x).split("__", 1)[-1] for x in names]
        assert self._names is not None
        return self._names[index]

    def _features(self, normalised: list[str]) -> tuple[Any, Any, Any]:
        if self._chars is not None:
            return self._chars.rows(normalised)
        matrix = sp.csr_matrix(self.vectoriser.transform(normalised), dtype=np.float32)
        matrix.sort_indices()
        return matrix.data, matrix.indices, matrix.indptr

    def _rank(self, normalised: list[str], k: int) -> list[list[LabelScore]]:
        if not normalised:
            return []
        data, indices, indptr = self._features(normalised)
        known = np.diff(indptr) > 0
        probabilities = self.model.probabilities(data, indices, indptr)
        k = min(k, len(self.labels))
        if k == 1:
            top = probabilities.argmax(axis=1)[:, None]
        else:
            top = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
        out: list[list[LabelScore]] = []
        for row, text in enumerate(normalised):
            if not known[row] or not has_chinese(text):
                out.append([])
                continue
            out.append([(self.labels[j], round(float(probabilities[row, j]), 6)) for j in top[row]])
        return out


def _is_word(name: str) -> bool:
    """Whether an n-gram can be shown as a word: letters or digits only, at least one Chinese
    character (no punctuation, no bare numbers such as house numbers)."""
    return all(ch.isalnum() for ch in name) and has_chinese(name)


def _check_k(k: int) -> None:
    if not 1 <= k <= MAX_K:
        raise Invalid(f"k 必须在 1 到 {MAX_K} 之间，收到 {k}")


def prepare(pairs: Iterable[tuple[str, str]]) -> tuple[list[str], list[str], TrainingSummary]:
    """Normalise training pairs, dropping blank rows and texts without Chinese characters."""
    raw: list[str] = []
    raw_labels: list[str] = []
    blank = no_chinese = 0
    for text, raw_label in pairs:
        label = (raw_label or "").strip()
        if not label or not text or not text.strip():
            blank += 1
            continue
        raw.append(text.strip()[:MAX_TEXT_CHARS])
        raw_labels.append(label)
    texts: list[str] = []
    labels: list[str] = []
    for norm, label in zip(normalise_many(raw), raw_labels, strict=True):
        if not has_chinese(norm):
            no_chinese += 1
            continue
        texts.append(norm)
        labels.append(label)
    counts = dict(sorted(Counter(labels).items()))
    return texts, labels, TrainingSummary(len(texts), blank, no_chinese, counts)


def _svm(config: TrainConfig, class_weight: dict[bool, float] | str | None) -> LinearSVC:
    return LinearSVC(
        C=config.c,
        class_weight=class_weight,
        random_state=config.seed,
        max_iter=config.max_iter,
        tol=config.tol,
    )


@dataclass(frozen=True, slots=True)
class _Fit:
    """One SVM to fit: on ``rows`` (``None`` = all), for one label against the rest.

    ``label`` is that label, or ``None`` for a two-label problem, which is a single SVM of the
    second label against the first.
    """

    rows: Any
    label: str | None


def _fit(matrix: Any, y: Any, task: _Fit, config: TrainConfig) -> tuple[Any, float]:
    """Weights ``(n_features,)`` and intercept of one SVM.

    A one-vs-rest fit gives the label the weight scikit-learn's multi-class ``LinearSVC``
    would (``n / (n_labels * n_label)`` with balanced classes, computed on the rows used) and
    the rest weight 1, as liblinear does.
    """
    x = matrix if task.rows is None else matrix[task.rows]
    labels = y if task.rows is None else y[task.rows]
    if task.label is None:
        svm = _svm(config, "balanced" if config.balanced_classes else None).fit(x, labels)
        return svm.coef_[0], float(svm.intercept_[0])
    positive = labels == task.label
    weight = None
    if config.balanced_classes:
        classes = np.unique(labels)
        share = compute_class_weight("balanced", classes=classes, y=labels)
        weight = {True: float(share[np.searchsorted(classes, task.label)]), False: 1.0}
    svm = _svm(config, weight).fit(x, positive)
    return svm.coef_[0], float(svm.intercept_[0])


_shared: tuple[Any, Any, TrainConfig] | None = None
"""Matrix, labels and configuration for forked workers, which inherit them without a copy."""


def _fit_shared(task: _Fit) -> tuple[Any, float]:
    assert _shared is not None, "worker started without shared training data"
    matrix, y, config = _shared
    return _fit(matrix, y, task, config)


def _workers(config: TrainConfig, n_rows: int) -> int:
    """How many threads fit the features and processes fit the SVMs (see ``n_jobs``)."""
    if config.n_jobs > 0:
        return config.n_jobs
    if n_rows < PARALLEL_MIN_ROWS:
        return 1
    return min(len(os.sched_getaffinity(0)), MAX_AUTO_JOBS)


def _fit_all(
    matrix: Any,
    y: Any,
    tasks: list[_Fit],
    config: TrainConfig,
    workers: int,
    done: Callable[[int], None] = lambda _n: None,
) -> list[Any]:
    """Fit ``tasks`` in order; in ``workers`` forked worker processes if more than one and
    the platform can fork (otherwise here, one after the other).

    Forked workers inherit the matrix from this process instead of receiving a pickled copy.
    Each fit is seeded alike and results are collected in task order, so the model is the same
    however many processes ran them (liblinear's random generator is process-wide, which rules
    out threads). Training runs in the CLI process, which holds no other threads' locks.
    ``done(n)`` hears after each of the ``n`` first fits is collected.
    """
    workers = min(workers, len(tasks))
    results: list[Any] = []
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        for task in tasks:
            results.append(_fit(matrix, y, task, config))
            done(len(results))
        return results
    global _shared  # noqa: PLW0603 - handed to the forked workers, cleared right after
    _shared = (matrix, y, config)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            for result in pool.map(_fit_shared, tasks):
                results.append(result)
                done(len(results))
            return results
    finally:
        _shared = None


def _scores(rows: Any, fitted: list[tuple[Any, float]]) -> Any:
    """Decision scores ``(n_rows, n_columns)`` of ``rows`` under the fitted SVMs."""
    return np.column_stack([rows @ w + b for w, b in fitted])


def _calibration_sample(y: Any, limit: int, seed: int) -> Any:
    """Row indices for cross-fitted calibration: all rows, or a stratified sample of ``limit``.

    Every label keeps at least ``min(count, 10)`` rows so that rare labels are calibrated too.
    """
    if len(y) <= limit:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    share = limit / len(y)
    chosen = []
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        take = min(len(rows), max(10, round(len(rows) * share)))
        chosen.append(rng.choice(rows, size=take, replace=False))
    return np.sort(np.concatenate(chosen))


def _platt(scores: Any, positive: Any) -> tuple[float, float]:
    """Platt's sigmoid ``1 / (1 + exp(a f + b))`` fitted to ``scores`` by maximum likelihood.

    Targets are Platt's smoothed ``(N+ + 1) / (N+ + 2)`` and ``1 / (N- + 2)``, which keep the
    fit finite when the scores separate the classes perfectly.
    """
    n_pos = float(positive.sum())
    n_neg = float(len(positive) - n_pos)
    target = np.where(positive, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    f = scores.astype(np.float64)

    def loss(params: Any) -> tuple[float, Any]:
        z = params[0] * f + params[1]
        # -log p = log(1 + e^z), -log(1 - p) = log(1 + e^-z) for p = 1 / (1 + e^z)
        value = float(np.sum(target * np.logaddexp(0, z) + (1 - target) * np.logaddexp(0, -z)))
        dz = target - expit(-z)
        return value, np.array([float(dz @ f), float(dz.sum())])

    start = np.array([0.0, float(np.log((n_neg + 1) / (n_pos + 1)))])
    result = minimize(loss, start, jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


TrainProgress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: ``done`` of ``total`` steps of ``phase`` are finished."""

PHASE_FEATURES = "特征"
PHASE_FITS = "拟合"
PHASE_CALIBRATION = "校准"


def _silent(_phase: str, _done: int, _total: int) -> None:
    return None


def train(
    pairs: Iterable[tuple[str, str]],
    config: TrainConfig | None = None,
    progress: TrainProgress | None = None,
) -> TextClassifier:
    """Fit a classifier on ``(text, label)`` pairs.

    ``progress(phase, done, total)`` hears the three phases in turn: the features (0 then 1 of
    1), the SVM fits (one per label on all rows plus one per label and calibration fold, each
    counted when collected) and the calibration (one sigmoid per label, then the routing
    thresholds as the last step).

    Raises ``Invalid`` when fewer than two labels remain or a label has fewer than two usable
    examples (probability calibration needs at least two per label).
    """
    config = config or TrainConfig()
    report = progress or _silent
    report(PHASE_FEATURES, 0, 1)  # the texts' normalisation is part of the features
    texts, labels, summary = prepare(pairs)
    if len(summary.class_counts) < 2:
        raise Invalid(
            f"训练数据至少需要 2 个类别的有效样本，现有 {len(summary.class_counts)} 个"
            f"（共 {summary.n_used} 条有效样本）"
        )
    rare = [label for label, n in summary.class_counts.items() if n < 2]
    if rare:
        shown = "、".join(rare[:10]) + (" 等" if len(rare) > 10 else "")
        raise Invalid(f"以下类别的有效样本少于 2 条，无法训练: {shown}")
    workers = _workers(config, len(texts))
    vectoriser = build_vectoriser(config.features, n_documents=len(texts), n_threads=workers)
    parts = vectoriser.transformer_list
    # A union of one part would copy its matrix into a new one (hstack); fit the part itself.
    features = parts[0][1] if len(parts) == 1 else vectoriser
    # float64 once here: liblinear takes float64 and would otherwise convert in every fit.
    matrix = sp.csr_matrix(features.fit_transform(texts), dtype=np.float64)
    del texts
    report(PHASE_FEATURES, 1, 1)
    y = np.asarray(labels)
    classes = np.unique(y)
    sample = _calibration_sample(y, config.calibration_rows, config.seed)
    smallest = int(np.unique(y[sample], return_counts=True)[1].min())
    folds = max(2, min(config.calibration_folds, smallest))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=config.seed)
    splits = [(sample[a], sample[b]) for a, b in splitter.split(sample, y[sample])]
    # Two labels: one SVM (second label against the first); more: one SVM per label.
    columns = [classes[1]] if len(classes) == 2 else list(classes)
    per_label: list[str | None] = [None] if len(classes) == 2 else [str(c) for c in classes]
    width = len(per_label)
    # The full-data fits first: they are the longest, so workers finish together.
    tasks = [_Fit(None, label) for label in per_label] + [
        _Fit(fit_rows, label) for fit_rows, _ in splits for label in per_label
    ]
    report(PHASE_FITS, 0, len(tasks))
    results = _fit_all(
        matrix, y, tasks, config, workers, lambda n: report(PHASE_FITS, n, len(tasks))
    )
    coef = np.vstack([w for w, _ in results[:width]])
    intercept = np.array([b for _, b in results[:width]])
    held_scores = np.vstack(
        [
            _scores(matrix[score_rows], results[width * (i + 1) : width * (i + 2)])
            for i, (_, score_rows) in enumerate(splits)
        ]
    )
    held_rows = np.concatenate([b for _, b in splits])
    held_labels = y[held_rows]
    steps = len(columns) + 1
    report(PHASE_CALIBRATION, 0, steps)
    platt = []
    for j, c in enumerate(columns):
        platt.append(_platt(held_scores[:, j], held_labels == c))
        report(PHASE_CALIBRATION, j + 1, steps)
    model = LinearModel(
        weights=np.ascontiguousarray(coef.T, dtype=np.float32),
        intercept=np.asarray(intercept, dtype=np.float64),
        platt_a=np.array([a for a, _ in platt]),
        platt_b=np.array([b for _, b in platt]),
    )
    held = platt_probabilities(held_scores, model.platt_a, model.platt_b)
    routing = calibrate_thresholds(
        held_out_predictions(held, held_labels, classes),
        per_label=config.routing_per_label,
    )
    report(PHASE_CALIBRATION, steps, steps)
    return TextClassifier(vectoriser, model, [str(c) for c in classes], config, summary, routing)


def held_out_predictions(probabilities: Any, gold: Any, labels: Any) -> list[HeldOutPrediction]:
    """Top label, its probability, the runner-up's and correctness per row of
    ``probabilities`` (columns in the order of ``labels``)."""
    order = np.argsort(-probabilities, axis=1, kind="stable")
    out = []
    for row, g in enumerate(gold):
        first, second = order[row, 0], order[row, 1]
        out.append(
            HeldOutPrediction(
                label=str(labels[first]),
                probability=float(probabilities[row, first]),
                runner_up=float(probabilities[row, second]),
                correct=bool(labels[first] == g),
            )
        )
    return out
