"""Features for the dispatch classifier: TF-IDF over character n-grams and jieba words.

Input is text already passed through :func:`civicgrid.dispatch.normalise.normalise`.
Character n-grams (:mod:`.ngrams`, numpy-vectorised) need no dictionary and are robust to typos
and new place names; jieba words can add whole-word evidence but cost about as much time as
everything else together, so they are off by default (measured in
``benchmarks/classifier_bench.py``). Both use sublinear term frequency (1 + log tf), which
keeps long, repetitive appeals from drowning short ones.

Catalogue terms (optional, :class:`CatalogueTerms`): the names of the catalogue's level-2/3
items under each label (物业服务, 住房公积金, 噪音污染 …), matched as substrings of the text —
one presence column per name and, per label, the log of 1 + how many of its names occur, all
scaled by ``catalogue_weight``. Measured in docs/domain/dispatch.md ("Fifth round").

jieba loads its dictionary (about a second) on first use; :func:`words` does that lazily,
once per process, under a lock.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import jieba
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from civicgrid.dispatch.ngrams import CharNgramTfidf

_jieba_lock = threading.Lock()
_jieba_ready = False


def _ensure_jieba() -> None:
    global _jieba_ready  # noqa: PLW0603 - one process-wide flag guards the one-time load
    if _jieba_ready:
        return
    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(60)  # silence the "Building prefix dict" chatter
            jieba.initialize()
            _jieba_ready = True


def words(text: str) -> list[str]:
    """jieba tokens of ``text`` (precise mode, no HMM for new words), blanks dropped.

    A module-level function rather than a lambda so that fitted vectorisers can be pickled.
    """
    _ensure_jieba()
    return [w for w in jieba.lcut(text, HMM=False) if not w.isspace()]


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """How text becomes a sparse vector. Stored in the model manifest."""

    char_ngram_min: int = 1
    char_ngram_max: int = 3
    word_ngram_max: int = 0
    """0 disables jieba word features; 1 = words, 2 = words and word bigrams."""
    word_max_chars: int = 0
    """Only the first N characters are tokenised by jieba (0 = all); bounds its cost."""
    min_df: int = 2
    max_df: float = 1.0
    sublinear_tf: bool = True
    """Applies to the word features; character n-grams always use sublinear tf."""
    catalogue_terms: tuple[tuple[str, str], ...] = ()
    """``(name, label)`` pairs from :func:`catalogue_terms`; empty = no catalogue features."""
    catalogue_weight: float = 0.15
    """Scale of the catalogue columns against the unit-length character TF-IDF rows."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Head:
    """Callable that cuts text to its first ``n`` characters (picklable, unlike a lambda)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, text: str) -> str:
        return text[: self.n] if self.n > 0 else text


_NAME_SPLIT = re.compile(r"[、，,和与及/（）()\s]+")
MIN_TERM_CHARS = 2
"""Shorter names (one character) would match almost every text."""
VAGUE_TERMS = frozenset({"其他", "其它", "综合"})


def catalogue_terms(rows: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """``(name, label)`` pairs for :class:`CatalogueTerms` from ``(label, item name)`` rows.

    Names are split at enumerations (``国有土地上房屋征收与补偿`` → ``国有土地上房屋征收``,
    ``补偿``); parts shorter than :data:`MIN_TERM_CHARS` and vague ones (其他) are dropped. A
    name under several labels counts for each. Sorted, without duplicates.
    """
    out: set[tuple[str, str]] = set()
    for raw_label, name in rows:
        label = raw_label.strip()
        for part in _NAME_SPLIT.split(name or ""):
            if label and len(part) >= MIN_TERM_CHARS and part not in VAGUE_TERMS:
                out.add((part, label))
    return tuple(sorted(out))


class CatalogueTerms(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Catalogue names found in the text: a presence column per name, then per label
    ``log(1 + names of the label present)``, everything times ``weight``.

    The columns depend only on ``terms``, not on the texts fitted on.
    """

    def __init__(self, terms: Sequence[tuple[str, str]] = (), weight: float = 0.15) -> None:
        self.terms = terms
        self.weight = weight

    def fit(self, texts: Sequence[str], y: Any = None) -> CatalogueTerms:
        names = sorted({name for name, _ in self.terms})
        labels = sorted({label for _, label in self.terms})
        self.names_ = names
        self.labels_ = labels
        at = {label: i for i, label in enumerate(labels)}
        self.name_labels_ = [
            np.array(sorted(at[lab] for n, lab in self.terms if n == name), dtype=np.int64)
            for name in names
        ]
        return self

    def transform(self, texts: Sequence[str]) -> Any:
        n_names, n_labels = len(self.names_), len(self.labels_)
        rows, cols, values = [], [], []
        for row, text in enumerate(texts):
            counts = np.zeros(n_labels)
            for column, name in enumerate(self.names_):
                if name in text:
                    rows.append(row)
                    cols.append(column)
                    values.append(1.0)
                    counts[self.name_labels_[column]] += 1
            for label in np.flatnonzero(counts):
                rows.append(row)
                cols.append(n_names + int(label))
                values.append(float(np.log1p(counts[label])))
        matrix = sp.csr_matrix(
            (np.asarray(values, dtype=np.float32) * np.float32(self.weight), (rows, cols)),
            shape=(len(texts), n_names + n_labels),
            dtype=np.float32,
        )
        matrix.sort_indices()
        return matrix

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        # Label columns carry a colon, so explanations never show them as words.
        return np.asarray([*self.names_, *(f"类别:{label}" for label in self.labels_)])


def build_vectoriser(
    config: FeatureConfig, *, n_documents: int, n_threads: int = 1
) -> FeatureUnion:
    """An unfitted feature extractor for ``config``.

    ``n_documents`` lets ``min_df`` shrink on tiny training sets (a few dozen texts), where a
    term seen once may be all the evidence a class has. ``n_threads`` parallelises fitting the
    character n-grams (same result).
    """
    min_df = config.min_df if n_documents >= 50 * config.min_df else 1
    parts: list[tuple[str, Any]] = [
        (
            "chars",
            CharNgramTfidf(
                ngram_min=config.char_ngram_min,
                ngram_max=config.char_ngram_max,
                min_df=min_df,
                max_df=config.max_df,
                n_threads=n_threads,
            ),
        )
    ]
    if config.word_ngram_max > 0:
        parts.append(
            (
                "words",
                TfidfVectorizer(
                    tokenizer=words,
                    preprocessor=_Head(config.word_max_chars),
                    token_pattern=None,
                    ngram_range=(1, config.word_ngram_max),
                    sublinear_tf=config.sublinear_tf,
                    min_df=min_df,
                    max_df=config.max_df,
                    lowercase=False,
                    dtype=np.float32,
                ),
            )
        )
    if config.catalogue_terms:
        parts.append(("catalogue", CatalogueTerms(config.catalogue_terms, config.catalogue_weight)))
    return FeatureUnion(parts)
