"""Accuracy and speed of the dispatch classifier on real citizens' messages.

Run: ``.venv/bin/python benchmarks/classifier_bench.py [--skip-nested] [--skip-100k]``

Data: ``/work/shared/data/teddy2020c/messages_labeled_train.csv`` (2,570 messages, 7 classes,
text = title + detail), read in place and never copied (CIVICGRID_BENCH_DATA overrides the
directory). Figures printed:

1. 5-fold stratified CV (shuffled, seed 0) with the shipped default configuration: per-fold
   and mean macro-F1 and accuracy. The default was picked in exploratory runs on this same
   data, so this figure is slightly optimistic; the nested CV below is the unbiased one.
2. Nested CV: the same 5 outer folds; on each outer training part a 3-fold inner CV picks one
   configuration from a small grid, which is then trained on the whole outer training part
   and scored on the outer test fold. The outer test folds never influence the choice.
3. Throughput on one core (BLAS threads pinned to 1): texts/s for batch classification of all
   2,570 messages by a model trained on them, and for one-at-a-time ``classify`` calls.
4. Training time on 100,000 synthetic appeals (see :func:`synthesise`), in one process and
   with ``n_jobs=2`` (the SVM fits in two worker processes; their CPU time is reported from
   ``os.times()`` and is not part of this process's CPU figure).

Durations come from ``civicgrid.clock.monotonic`` (wall) and ``time.process_time`` (CPU of
this process); on a shared machine the CPU figure is the steadier one.
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

from civicgrid.clock import monotonic
from civicgrid.dispatch.classifier import TrainConfig, train
from civicgrid.dispatch.corpus import read_csv_pairs
from civicgrid.dispatch.evaluation import Metrics, cross_validate, evaluate
from civicgrid.dispatch.features import FeatureConfig, words

DATA_DIR = Path(os.environ.get("CIVICGRID_BENCH_DATA", "/work/shared/data"))
DATA_FILE = DATA_DIR / "teddy2020c" / "messages_labeled_train.csv"

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
        print(f"  fold {i}: macro_f1={m.macro_f1:.4f} accuracy={m.accuracy:.4f} n={m.n}")
    f1 = [m.macro_f1 for m in results]
    acc = [m.accuracy for m in results]
    print(
        f"  mean  : macro_f1={statistics.mean(f1):.4f} (sd {statistics.stdev(f1):.4f}) "
        f"accuracy={statistics.mean(acc):.4f}"
    )


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


def training_time(pairs: list[tuple[str, str]], n: int) -> None:
    synthetic = synthesise(pairs, n)
    mean_chars = statistics.mean(len(t) for t, _ in synthetic)
    print(f"\n== training on {n:,} synthetic appeals (mean {mean_chars:.0f} characters)")
    from joblib.externals.loky import get_reusable_executor

    for n_jobs in (1, 2):
        before = os.times()
        started, cpu = monotonic(), time.process_time()
        model = train(synthetic, TrainConfig(n_jobs=n_jobs))
        wall = monotonic() - started
        own_cpu = time.process_time() - cpu
        # Worker processes' CPU time is counted once they have exited and been reaped.
        get_reusable_executor().shutdown(wait=True)
        after = os.times()
        workers = (after.children_user + after.children_system) - (
            before.children_user + before.children_system
        )
        print(
            f"  default configuration, n_jobs={n_jobs}: {wall:.1f} s wall, "
            f"{own_cpu:.1f} s CPU in this process + {workers:.1f} s in worker processes "
            f"({len(model.labels)} labels, {model.summary.n_used:,} texts, "
            f"{model.model.weights.shape[0]:,} features)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-nested", action="store_true")
    parser.add_argument("--skip-100k", action="store_true")
    args = parser.parse_args()

    pairs = load_pairs()
    words("预热")  # load the jieba dictionary once, outside every timing
    print(f"data: {DATA_FILE} ({len(pairs)} labelled messages)")
    print(f"default configuration: {TrainConfig().as_dict()}")

    started = monotonic()
    summarise("5-fold CV, shipped default configuration", cross_validate(pairs))
    print(f"  ({monotonic() - started:.0f} s)")
    if not args.skip_nested:
        print("\n== nested CV (5 outer x 3 inner folds) over the grid:")
        for name in GRID:
            print(f"  - {name}")
        summarise("nested CV, outer-fold scores", nested_cv(pairs))
    throughput(pairs)
    if not args.skip_100k:
        training_time(pairs, 100_000)


if __name__ == "__main__":
    main()
