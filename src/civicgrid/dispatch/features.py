"""Features for the dispatch classifier: TF-IDF over character n-grams and jieba words.

Input is text already passed through :func:`civicgrid.dispatch.normalise.normalise`.
Character n-grams (:mod:`.ngrams`, numpy-vectorised) need no dictionary and are robust to typos
and new place names; jieba words can add whole-word evidence but cost about as much time as
everything else together, so they are off by default (measured in
``benchmarks/classifier_bench.py``). Both use sublinear term frequency (1 + log tf), which
keeps long, repetitive appeals from drowning short ones.

jieba loads its dictionary (about a second) on first use; :func:`words` does that lazily,
once per process, under a lock.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

import jieba
import numpy as np
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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Head:
    """Callable that cuts text to its first ``n`` characters (picklable, unlike a lambda)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, text: str) -> str:
        return text[: self.n] if self.n > 0 else text


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
    return FeatureUnion(parts)
