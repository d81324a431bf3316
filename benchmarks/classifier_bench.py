"""Accuracy and speed of the dispatch classifier on real citizens' messages.

Run: ``.venv/bin/python benchmarks/classifier_bench.py [--skip-nested] [--skip-100k] [--ideas]
[--n 100000]``

Data: ``/work/shared/data/teddy2020c/messages_labeled_train.csv`` (2,570 messages, 7 classes,
text = title + detail), read in place and never copied (CIVICGRID_BENCH_DATA overrides the
directory). Figures printed:

1. 5-fold stratified CV (shuffled, seed 0) with the shipped default configuration: per-fold
   and mean macro-F1 and accuracy, and the routing figures of ``civicgrid model evaluate``
   (coverage_at_accuracy, what the shipped decision routes at 95/97/99 %, coverage and accuracy
   per probability cut, per-class F1, the confusion matrix summed over the folds). With
   ``--routing-only`` the threshold calibration variants and the catalogue-terms features
   (``label_catalogue.csv``'s level-2/3 names, :class:`~civicgrid.dispatch.features.CatalogueTerms`)
   follow and nothing else runs. The
   default was picked in exploratory runs on this same data, so this figure is slightly
   optimistic; the nested CV below is the unbiased one.
2. Nested CV: the same 5 outer folds; on each outer training part a 3-fold inner CV picks one
   configuration from a small grid, which is then trained on the whole outer training part
   and scored on the outer test fold. The outer test folds never influence the choice.
3. Throughput on one core (BLAS threads pinned to 1): texts/s for batch classification of all
   2,570 messages by a model trained on them, and for one-at-a-time ``classify`` calls.
4. Training time on 100,000 synthetic appeals (see :func:`synthesise`) with ``n_jobs=1`` and
   the default ``n_jobs=0`` (automatic: the n-gram chunks in one thread per core and the
   per-label SVM fits in one forked worker process per core, whose CPU time comes from
   ``os.times()``), split into normalisation, the
   TF-IDF matrix and the rest (SVM fit and calibration) in a separate run of the first two.
5. With ``--ideas``: other model families and ensembles, scored by nested CV (see
   :func:`ideas`).
6. With ``--learning-curve`` (alone): the messages replayed in time order from 20 %
   labelled, a tenth at a time, as a dispatcher correcting the model would label them; for
   each step the coverage at 97 % of the next tenth (see :func:`learning_curve`).

Durations come from ``civicgrid.clock.monotonic`` (wall) and ``time.process_time`` (CPU of
this process, all its threads); on a shared machine the CPU figure is the steadier one.
"""

# ruff: noqa: E402 - thread-count variables must be set before numpy is first imported

from __future__ import annotations

import os

# Pin numerical libraries to one thread before numpy is imported (throughput "on one core").
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from civicgrid.clock import monotonic
from civicgrid.dispatch.classifier import TrainConfig, prepare, train
from civicgrid.dispatch.corpus import read_csv_pairs
from civicgrid.dispatch.evaluation import Metrics, cross_validate, evaluate
from civicgrid.dispatch.features import (
    FeatureConfig,
    build_vectoriser,
    catalogue_terms,
    words,
)
from civicgrid.dispatch.normalise import join_fields, normalise_many

DATA_DIR = Path(os.environ.get("CIVICGRID_BENCH_DATA", "/work/shared/data"))
DATA_FILE = DATA_DIR / "teddy2020c" / "messages_labeled_train.csv"
CATALOGUE_FILE = DATA_DIR / "teddy2020c" / "label_catalogue.csv"

GRID: dict[str, TrainConfig] = {
    "chars 1-3, C=1 (default)": TrainConfig(),
    "chars 1-3, C=0.5": TrainConfig(c=0.5),
    "chars 1-2 + jieba words, C=1": TrainConfig(
        features=FeatureConfig(char_ngram_max=2, word_ngram_max=1)
    ),
}

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")


def load_pairs() -> list[tuple[str, str]]:
    if not DATA_FILE.exists():
        sys.exit(f"data file not found: {DATA_FILE}")
    return [(t, lab) for t, lab in read_csv_pairs(DATA_FILE, ["title", "detail"], "label") if lab]


def summarise(name: str, results: list[Metrics]) -> None:
    print(f"\n== {name}")
    for i, m in enumerate(results, start=1):
        print(
            f"  fold {i}: macro_f1={m.macro_f1:.4f} accuracy={m.accuracy:.4f} n={m.n} "
            f"coverage_at_accuracy={m.coverage_at_accuracy} decision={m.decision}"
        )
    f1 = [m.macro_f1 for m in results]
    acc = [m.accuracy for m in results]
    print(
        f"  mean  : macro_f1={statistics.mean(f1):.4f} (sd {statistics.stdev(f1):.4f}) "
        f"accuracy={statistics.mean(acc):.4f}"
    )
    if results[0].coverage_at_accuracy:
        routing_summary(results)


def _mean(values: list[float]) -> float:
    return round(statistics.mean(values), 4)


def routing_summary(results: list[Metrics]) -> None:
    """Means over the folds of the routing figures, per-class F1 and the summed confusion."""
    for key in results[0].coverage_at_accuracy:
        best = _mean([m.coverage_at_accuracy[key] for m in results])
        cov = _mean([m.decision[key]["coverage"] for m in results])
        acc = _mean([m.decision[key]["accuracy"] for m in results])
        print(
            f"  at accuracy {key}: coverage_at_accuracy {best:.3f} (best cut on the test fold); "
            f"shipped decision routes {cov:.3f} at accuracy {acc:.4f}"
        )
    print("  routing by top-probability cut (coverage / accuracy among the routed):")
    for i, row in enumerate(results[0].routing):
        cov = _mean([m.routing[i]["coverage"] for m in results])
        acc = _mean([m.routing[i]["accuracy"] for m in results])
        print(f"    >= {row['threshold']:.2f}: {cov:.3f} / {acc:.4f}")
    print(
        "  per class F1 (mean): "
        + ", ".join(
            f"{label} {_mean([m.per_class[label]['f1'] for m in results]):.3f}"
            for label in results[0].per_class
        )
    )
    labels = results[0].confusion["labels"]
    total = [
        [sum(m.confusion["matrix"][r][c] for m in results) for c in range(len(labels))]
        for r in range(len(labels))
    ]
    print("  confusion over all folds (rows gold, columns predicted): " + " ".join(labels))
    for label, counts in zip(labels, total, strict=True):
        print(f"    {label:8s} {counts}")


def source_catalogue_terms(labels: set[str]) -> tuple[tuple[str, str], ...]:
    """The source catalogue's level-2 and level-3 names under each first-level label of
    ``labels`` (the catalogue has 15 first-level classes, the labelled data 7)."""
    import csv

    with CATALOGUE_FILE.open(encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in list(csv.reader(handle))[1:] if row[0] in labels]
    return catalogue_terms((row[0], name) for row in rows for name in row[1:3])


def routing_variants(pairs: list[tuple[str, str]]) -> None:
    """Threshold calibration variants and catalogue-term features, scored by 5-fold CV."""
    terms = source_catalogue_terms({label for _, label in pairs})
    variants = {
        "a cut per predicted label": TrainConfig(routing_per_label=True),
        **{
            f"catalogue level-2/3 names as features, weight {w}": TrainConfig(
                features=FeatureConfig(catalogue_terms=terms, catalogue_weight=w)
            )
            for w in (0.15, 0.3)
        },
    }
    for name, config in variants.items():
        summarise(f"routing variant: {name}", cross_validate(pairs, config))


def nested_cv(pairs: list[tuple[str, str]]) -> list[Metrics]:
    from sklearn.model_selection import StratifiedKFold

    labels = [lab for _, lab in pairs]
    outer = StratifiedKFold(5, shuffle=True, random_state=0)
    results = []
    for fold, (train_idx, test_idx) in enumerate(outer.split(labels, labels), start=1):
        fit_part = [pairs[i] for i in train_idx]
        inner = {
            name: statistics.mean(m.macro_f1 for m in cross_validate(fit_part, cfg, folds=3))
            for name, cfg in GRID.items()
        }
        best = max(inner, key=lambda name: inner[name])
        scores = ", ".join(f"{n}: {v:.4f}" for n, v in inner.items())
        print(f"  outer fold {fold}: inner CV {scores} -> {best}")
        model = train(fit_part, GRID[best])
        results.append(evaluate(model, [pairs[i] for i in test_idx]))
    return results


def throughput(pairs: list[tuple[str, str]]) -> None:
    model = train(pairs)
    texts = [t for t, _ in pairs]
    model.classify_many(texts[:50])  # warm-up (jieba dictionary already loaded by training)
    started, cpu = monotonic(), time.process_time()
    batch = 512
    for i in range(0, len(texts), batch):
        model.classify_many(texts[i : i + batch], k=3)
    batched = len(texts) / (monotonic() - started)
    batched_cpu = len(texts) / (time.process_time() - cpu)
    started, cpu = monotonic(), time.process_time()
    for text in texts:
        model.classify(text, k=3)
    single = len(texts) / (monotonic() - started)
    single_cpu = len(texts) / (time.process_time() - cpu)
    mean_chars = statistics.mean(len(t) for t in texts)
    print(f"\n== throughput on one core ({len(texts)} texts, mean {mean_chars:.0f} characters)")
    print(
        f"  batched classify_many (batches of {batch}): {batched:,.0f} texts/s wall "
        f"({batched_cpu:,.0f} per CPU-second)"
    )
    print(
        f"  one-at-a-time classify:                    {single:,.0f} texts/s wall "
        f"({single_cpu:,.0f} per CPU-second)"
    )


def synthesise(pairs: list[tuple[str, str]], n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` new appeals by recombining real ones within their class.

    Each synthetic appeal takes a random real message as a template (so the class mix and
    the length distribution follow the real data), keeps its first sentence (usually the
    title) and replaces every further sentence by a random sentence of another message with
    the same label.
    """
    rng = random.Random(seed)
    pool: dict[str, list[str]] = defaultdict(list)
    split = []
    for text, label in pairs:
        sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
        split.append((sentences, label))
        pool[label].extend(sentences)
    out = []
    for _ in range(n):
        sentences, label = rng.choice(split)
        body = [rng.choice(pool[label]) for _ in sentences[1:]]
        out.append(("".join([sentences[0], *body]), label))
    return out


def _since(started: float, cpu: float) -> str:
    return f"{monotonic() - started:.1f} s wall, {time.process_time() - cpu:.1f} s CPU"


def training_time(pairs: list[tuple[str, str]], n: int) -> None:
    synthetic = synthesise(pairs, n)
    mean_chars = statistics.mean(len(t) for t, _ in synthetic)
    print(f"\n== training on {n:,} synthetic appeals (mean {mean_chars:.0f} characters)")
    started, cpu = monotonic(), time.process_time()
    texts, _, _ = prepare(synthetic)
    print(f"  normalisation: {_since(started, cpu)}")
    started, cpu = monotonic(), time.process_time()
    build_vectoriser(FeatureConfig(), n_documents=len(texts)).fit_transform(texts)
    print(f"  TF-IDF matrix: {_since(started, cpu)}")
    del texts
    for n_jobs in (1, 0):
        before = os.times()
        started, cpu = monotonic(), time.process_time()
        model = train(synthetic, TrainConfig(n_jobs=n_jobs))
        wall = monotonic() - started
        own_cpu = time.process_time() - cpu
        # Worker processes' CPU time is counted once they have exited and been reaped, which
        # training does before it returns.
        after = os.times()
        workers = (after.children_user + after.children_system) - (
            before.children_user + before.children_system
        )
        print(
            f"  whole training, n_jobs={n_jobs or 'automatic'}: {wall:.1f} s wall, "
            f"{own_cpu:.1f} s CPU in this process + {workers:.1f} s in worker processes "
            f"({len(model.labels)} labels, "
            f"{model.summary.n_used:,} texts, {model.model.weights.shape[0]:,} features)"
        )


def ideas(pairs: list[tuple[str, str]]) -> None:
    """Other model families and probability-averaging ensembles, chosen by nested CV.

    Base models: the shipped character SVM (``train``); a jieba word 1–2-gram TF-IDF linear
    SVM with sigmoid calibration (``CalibratedClassifierCV(ensemble=False)``); complement naive
    Bayes on character 1–3-gram TF-IDF; multinomial logistic regression on jieba words. An
    ensemble averages its members' probabilities. On each outer training part a 3-fold inner
    CV picks one variant, which is then scored on the outer test fold.
    """
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    texts = [t for t, _ in pairs]
    y = np.asarray([lab for _, lab in pairs])
    classes = np.unique(y)
    norm = normalise_many(texts)
    tokens = [" ".join(words(t)) for t in norm]

    def word_tfidf() -> TfidfVectorizer:
        return TfidfVectorizer(
            token_pattern=r"\S+",  # noqa: S106 - a regex, not a secret
            ngram_range=(1, 2),
            sublinear_tf=True,
            min_df=2,
            lowercase=False,
        )

    def char_svm(tr: Any, te: Any) -> Any:
        model = train([(texts[i], str(y[i])) for i in tr])
        data, indices, indptr = model._features([norm[i] for i in te])
        probabilities = model.model.probabilities(data, indices, indptr)
        return probabilities[:, [model.labels.index(str(c)) for c in classes]]

    def word_svm(tr: Any, te: Any) -> Any:
        vec = word_tfidf()
        x = vec.fit_transform([tokens[i] for i in tr])
        svm = LinearSVC(C=1, class_weight="balanced", tol=0.1)
        clf = CalibratedClassifierCV(svm, cv=3, ensemble=False).fit(x, y[tr])
        return clf.predict_proba(vec.transform([tokens[i] for i in te]))

    def char_cnb(tr: Any, te: Any) -> Any:
        vec = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, lowercase=False
        )
        x = vec.fit_transform([norm[i] for i in tr])
        clf = ComplementNB(alpha=0.1).fit(x, y[tr])
        return clf.predict_proba(vec.transform([norm[i] for i in te]))

    def word_lr(tr: Any, te: Any) -> Any:
        vec = word_tfidf()
        x = vec.fit_transform([tokens[i] for i in tr])
        clf = LogisticRegression(C=20, class_weight="balanced", max_iter=2000).fit(x, y[tr])
        return clf.predict_proba(vec.transform([tokens[i] for i in te]))

    bases = {"char SVM": char_svm, "word SVM": word_svm, "char CNB": char_cnb, "word LR": word_lr}
    variants = {
        **{name: [name] for name in bases},
        "char SVM + word SVM": ["char SVM", "word SVM"],
        "char SVM + char CNB": ["char SVM", "char CNB"],
        "char SVM + word LR": ["char SVM", "word LR"],
        "char SVM + word SVM + char CNB": ["char SVM", "word SVM", "char CNB"],
    }

    def run(tr: Any, te: Any) -> dict[str, float]:
        probabilities = {name: fit(tr, te) for name, fit in bases.items()}
        out = {}
        for name, members in variants.items():
            mean = np.mean([probabilities[m] for m in members], axis=0)
            out[name] = float(f1_score(y[te], classes[mean.argmax(axis=1)], average="macro"))
        return out

    outer_scores: dict[str, list[float]] = defaultdict(list)
    nested = []
    outer = StratifiedKFold(5, shuffle=True, random_state=0)
    print("\n== other models and ensembles (nested CV, 5 outer x 3 inner folds)")
    for fold, (tr, te) in enumerate(outer.split(texts, y), start=1):
        inner_scores: dict[str, list[float]] = defaultdict(list)
        inner = StratifiedKFold(3, shuffle=True, random_state=1)
        for a, b in inner.split(tr, y[tr]):
            for name, value in run(tr[a], tr[b]).items():
                inner_scores[name].append(value)
        inner_mean = {name: statistics.mean(v) for name, v in inner_scores.items()}
        best = max(inner_mean, key=lambda name: inner_mean[name])
        result = run(tr, te)
        for name, value in result.items():
            outer_scores[name].append(value)
        nested.append(result[best])
        picked = f"{best} ({inner_mean[best]:.4f})"
        print(f"  outer fold {fold}: inner CV picked {picked} -> {result[best]:.4f}")
    print(f"  nested CV macro-F1 (selection included): {statistics.mean(nested):.4f}")
    print("  each variant on the outer folds (for information; not a selection):")
    for name, values in outer_scores.items():
        print(f"    {name:32s} {statistics.mean(values):.4f} (sd {statistics.stdev(values):.4f})")


def dated_order(seed: int = 0) -> list[tuple[str, str]]:
    """The labelled messages in time order where the source gives a time (952 of 2,570);
    the undated ones are spread over the sequence at random positions (seed ``seed``)."""
    import csv
    from datetime import datetime

    with DATA_FILE.open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["label"].strip()]
    dated = sorted(
        (r for r in rows if r["time"].strip()),
        key=lambda r: datetime.strptime(r["time"].strip() + " +0800", "%Y/%m/%d %H:%M:%S %z"),
    )
    undated = [r for r in rows if not r["time"].strip()]
    rng = random.Random(seed)
    rng.shuffle(undated)
    slots = sorted(rng.sample(range(len(rows)), len(undated)))
    order: list[dict[str, str]] = []
    dated_iter, undated_iter = iter(dated), iter(undated)
    wanted = set(slots)
    for position in range(len(rows)):
        order.append(next(undated_iter) if position in wanted else next(dated_iter))
    return [(join_fields([r["title"], r["detail"]]), r["label"].strip()) for r in order]


def learning_curve(start: float = 0.2, step: float = 0.1) -> None:
    """Replay the messages in time order: a model trained on the first ``start`` share
    routes the next ``step`` share at a target of 97 %; the dispatcher then labels that share
    (corrections of wrong or unrouted appeals, confirmation of the rest), which joins the
    training data before the next share."""
    pairs = dated_order()
    n = len(pairs)
    print(f"\n== learning curve: time order, start {start:.0%} labelled, steps of {step:.0%}")
    print("  labelled  next  macro_f1  coverage@0.97 (best cut)  decision@0.97: coverage (acc)")
    known = round(n * start)
    while known < n:
        upto = min(n, known + round(n * step))
        model = train(pairs[:known])
        m = evaluate(model, pairs[known:upto])
        d = m.decision["0.97"]
        print(
            f"  {known:8d}  {upto - known:4d}  {m.macro_f1:.4f}    "
            f"{m.coverage_at_accuracy['0.97']:.3f}                     "
            f"{d['coverage']:.3f} ({d['accuracy']:.4f})"
        )
        known = upto


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-nested", action="store_true")
    parser.add_argument("--skip-100k", action="store_true")
    parser.add_argument("--ideas", action="store_true", help="also score other models (slow)")
    parser.add_argument("--n", type=int, default=100_000, help="synthetic appeals to train on")
    parser.add_argument(
        "--routing-only", action="store_true", help="only the routing figures (5-fold CV)"
    )
    parser.add_argument(
        "--learning-curve", action="store_true", help="only the time-ordered learning curve"
    )
    args = parser.parse_args()
    if args.learning_curve:
        learning_curve()
        return

    pairs = load_pairs()
    words("预热")  # load the jieba dictionary once, outside every timing
    print(f"data: {DATA_FILE} ({len(pairs)} labelled messages)")
    print(f"default configuration: {TrainConfig().as_dict()}")

    started = monotonic()
    summarise("5-fold CV, shipped default configuration", cross_validate(pairs))
    print(f"  ({monotonic() - started:.0f} s)")
    if args.routing_only:
        routing_variants(pairs)
        return
    if not args.skip_nested:
        print("\n== nested CV (5 outer x 3 inner folds) over the grid:")
        for name in GRID:
            print(f"  - {name}")
        summarise("nested CV, outer-fold scores", nested_cv(pairs))
    throughput(pairs)
    if args.ideas:
        ideas(pairs)
    if not args.skip_100k:
        training_time(pairs, args.n)


if __name__ == "__main__":
    main()
