"""A fast, exact character n-gram TF-IDF vectoriser built on numpy.

scikit-learn's ``analyzer="char"`` builds every n-gram as a Python string, which limits it to
roughly a million characters per second. Here each text becomes an array of code points and an
n-gram of up to three characters is packed losslessly into one 64-bit integer (21 bits per
code point; code point 0 never occurs after normalisation, so n-grams of different lengths
cannot collide). Counting, vocabulary lookup and weighting are then vectorised.

Fitting works in chunks of texts: per chunk, the characters are renumbered densely so that an
n-gram *and* its text fit into one 64-bit integer; one sort of those integers yields the
(n-gram, text) pairs with their counts and, from the runs of equal n-grams, the chunk's
vocabulary with document frequencies. The chunks' sorted vocabularies are merged, pruned by
``min_df``/``max_df``, and each chunk's cells are put in CSR order by a radix sort on the
text number and weighted while still small.

Weighting follows ``TfidfVectorizer(sublinear_tf=True, smooth_idf=True, norm="l2")``:
``(1 + ln tf) * (ln((1 + n) / (1 + df)) + 1)``, rows scaled to unit length.

:meth:`CharNgramTfidf.rows` is the lean path used at classification time: it returns the CSR
arrays (row pointers, column indices, weights) without building a scipy matrix, which matters
when texts are classified one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

_BITS = 21
_MAX_N = 3
_PACK_BITS = 64
"""Bits of one packed (n-gram, document) integer."""
_CHUNK = 4_000
"""Texts per chunk; at most 2**15, since document numbers within a chunk are sorted as int16."""


def _ngram_keys(texts: Sequence[str], n_min: int, n_max: int) -> tuple[Any, Any]:
    """(document index, packed n-gram key) for every n-gram of every text."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint64)
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    starts = np.cumsum(lengths) - lengths
    remaining = np.repeat(starts + lengths, lengths) - np.arange(total)  # chars left in doc
    docs, keys = [], []
    for n in range(n_min, n_max + 1):
        valid = np.flatnonzero(remaining >= n)
        key = codes[valid].copy()
        for j in range(1, n):
            key |= codes[valid + j] << np.uint64(_BITS * j)
        docs.append(doc[valid])
        keys.append(key)
    return np.concatenate(docs), np.concatenate(keys)


def _unique(keys: Any) -> tuple[Any, Any]:
    """Sorted distinct keys and, for every key, the index of its distinct value.

    A plain sort: faster here than ``np.unique``'s hash table for large uint64 arrays.
    """
    order = np.argsort(keys)
    ordered = keys[order]
    new = np.empty(len(ordered), dtype=bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    group = np.cumsum(new) - 1
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = group
    return ordered[new], inverse


def _chunks(texts: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(texts), _CHUNK):
        yield texts[i : i + _CHUNK]


def _chunk_cells(texts: Sequence[str], n_min: int, n_max: int) -> tuple[Any, Any, Any, Any, Any]:
    """The distinct (n-gram, document) pairs of ``texts``, sorted by n-gram, then document.

    Returns the chunk's distinct packed n-gram keys (as :func:`_ngram_keys`, sorted) with
    their document frequencies, and per pair: the number of its n-gram among those keys, its
    document and its count. The characters of the chunk are first renumbered densely (order
    preserving, so the order of packed keys is kept), which lets an n-gram *and* its document
    fit into one 64-bit integer: a single sort then gives the pairs, their counts and, from the
    runs of equal n-grams, the distinct n-grams and their document frequencies. Falls back to
    two sorts when the chunk has too many distinct characters for that.
    """
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    total = int(lengths.sum())
    if total == 0:
        empty = np.empty(0, np.int64)
        return np.empty(0, np.uint64), empty, empty, empty, empty
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    present = np.zeros(0x110000, dtype=bool)
    present[codes] = True
    table = np.flatnonzero(present).astype(np.uint64)  # dense id - 1 -> code point
    bits = len(table).bit_length()
    doc_bits = max(len(texts) - 1, 1).bit_length()
    if bits * n_max + doc_bits > _PACK_BITS:
        docs, keys = _ngram_keys(texts, n_min, n_max)
        distinct, inverse = _unique(keys)
        cells, counts = np.unique(inverse * len(texts) + docs, return_counts=True)
        local = cells // len(texts)
        docs16 = (cells - local * len(texts)).astype(np.int16)
        return distinct, np.bincount(local), local, docs16, counts
    ids = np.cumsum(present, dtype=np.uint64)[codes]  # 1-based, order-preserving
    doc = np.repeat(np.arange(len(texts), dtype=np.uint64), lengths)
    starts = np.cumsum(lengths) - lengths
    remaining = np.repeat(starts + lengths, lengths) - np.arange(total)  # chars left in doc
    packed = []
    for n in range(n_min, n_max + 1):
        # n-grams starting at every position (contiguous slices), then those within a text
        size = total - n + 1
        if size <= 0:
            continue
        key = ids[:size] << np.uint64(doc_bits)
        for j in range(1, n):
            key |= ids[j : j + size] << np.uint64(bits * j + doc_bits)
        key |= doc[:size]
        packed.append(key if n == 1 else key[remaining[:size] >= n])
    cells = np.concatenate(packed)
    del packed
    cells.sort()
    distinct_cell = np.empty(len(cells), dtype=bool)
    distinct_cell[:1] = True
    np.not_equal(cells[1:], cells[:-1], out=distinct_cell[1:])
    first_cell = np.flatnonzero(distinct_cell)
    counts = np.diff(np.append(first_cell, len(cells)))
    cells = cells[first_cell]
    dense = cells >> np.uint64(doc_bits)
    new = np.empty(len(dense), dtype=bool)
    new[:1] = True
    np.not_equal(dense[1:], dense[:-1], out=new[1:])
    local = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    df = np.diff(np.append(first, len(dense)))
    distinct = dense[first]
    keys = np.zeros(len(distinct), dtype=np.uint64)
    mask = np.uint64((1 << bits) - 1)
    for j in range(n_max):
        part = (distinct >> np.uint64(bits * j)) & mask
        used = part > 0
        keys[used] |= table[part[used].astype(np.int64) - 1] << np.uint64(_BITS * j)
    docs = (cells & np.uint64((1 << doc_bits) - 1)).astype(np.int16)
    return keys, df, local, docs, counts


class CharNgramTfidf(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Character ``ngram_min``–``ngram_max``-grams (at most 3) with sublinear TF-IDF.

    ``n_threads`` > 1 fits the chunks in that many threads (numpy's sorts and array operations
    release the GIL); the result is the same.
    """

    def __init__(
        self,
        ngram_min: int = 1,
        ngram_max: int = 3,
        min_df: int = 2,
        max_df: float = 1.0,
        n_threads: int = 1,
    ) -> None:
        self.ngram_min = ngram_min
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_df = max_df
        self.n_threads = n_threads

    def fit(self, texts: Sequence[str], y: Any = None) -> CharNgramTfidf:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str], y: Any = None, **_: Any) -> Any:
        if not 1 <= self.ngram_min <= self.ngram_max <= _MAX_N:
            raise ValueError(f"n-gram range must lie within 1..{_MAX_N}")
        texts = list(texts)
        n_docs = len(texts)
        threads = max(1, self.n_threads)
        with ThreadPoolExecutor(threads) if threads > 1 else nullcontext() as pool:
            run: Any = pool.map if pool is not None else map
            # One pass over the texts: per chunk, the distinct n-grams and the (text, n-gram)
            # cells with their counts, n-grams numbered locally within the chunk.
            chunks = list(
                run(lambda c: _chunk_cells(c, self.ngram_min, self.ngram_max), _chunks(texts))
            )
            if chunks:
                # Every chunk's keys are sorted: a stable sort merges these runs cheaply.
                vocab, inverse = _unique(np.concatenate([c[0] for c in chunks]))
                local_df = np.concatenate([c[1] for c in chunks])
                df: Any = np.bincount(inverse, weights=local_df, minlength=len(vocab))
            else:
                vocab, inverse = np.empty(0, np.uint64), np.empty(0, np.int64)
                df = np.empty(0)
            keep = (df >= self.min_df) & (df <= self.max_df * max(n_docs, 1))
            column = np.cumsum(keep) - 1  # new column of every kept n-gram
            column[~keep] = -1
            self.vocabulary_ = vocab[keep]
            self.idf_ = (np.log((1 + max(n_docs, 1)) / (1 + df[keep])) + 1).astype(np.float32)
            # Per chunk, its n-grams' kept columns (increasing with the key, so the cells stay
            # sorted by column; -1 = pruned).
            column = column.astype(np.int32)
            ends = np.cumsum([len(c[0]) for c in chunks])
            mappings = [
                column[inverse[end - len(c[0]) : end]] for c, end in zip(chunks, ends, strict=True)
            ]
            sizes = [min(_CHUNK, n_docs - start) for start in range(0, n_docs, _CHUNK)]
            weighed = list(
                run(lambda a: self._weigh(*a), zip(chunks, mappings, sizes, strict=True))
            )
        del chunks
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        if weighed:
            np.cumsum(np.concatenate([w[2] for w in weighed]), out=indptr[1:])
        return sp.csr_matrix(
            (
                np.concatenate([w[0] for w in weighed]) if weighed else np.empty(0, np.float32),
                np.concatenate([w[1] for w in weighed]) if weighed else np.empty(0, np.int32),
                indptr,
            ),
            shape=(n_docs, len(self.vocabulary_)),
        )

    def _weigh(self, chunk: tuple[Any, ...], mapping: Any, size: int) -> tuple[Any, Any, Any]:
        """One chunk's cells in CSR order: weights, columns and the row lengths.

        The cells are ordered by document with a stable radix sort (document numbers within a
        chunk fit 16 bits), which keeps them sorted by column within each document.
        """
        _, _, local, docs, counts = chunk
        cell_cols = mapping[local]
        kept = np.flatnonzero(cell_cols >= 0)
        order = kept[np.argsort(docs[kept], kind="stable")]
        chunk_docs = docs[order]
        cols = cell_cols[order]
        weights = np.log(counts[order].astype(np.float32))
        weights += 1
        weights *= self.idf_[cols]
        norms = np.sqrt(np.bincount(chunk_docs, weights=weights * weights, minlength=size))
        norms[norms == 0] = 1
        weights /= norms[chunk_docs].astype(np.float32)
        return weights, cols, np.bincount(chunk_docs, minlength=size)

    def transform(self, texts: Sequence[str]) -> Any:
        texts = list(texts)
        parts = [
            sp.csr_matrix(self.rows(chunk), shape=(len(chunk), len(self.vocabulary_)))
            for chunk in _chunks(texts)
        ]
        if not parts:
            return sp.csr_matrix((0, len(self.vocabulary_)), dtype=np.float32)
        return sp.vstack(parts, format="csr")

    def rows(self, texts: Sequence[str]) -> tuple[Any, Any, Any]:
        """TF-IDF rows of ``texts`` as CSR arrays ``(data, indices, indptr)``.

        ``data`` is float32, ``indices`` int32 (sorted within each row), ``indptr`` int64; a
        text with no known n-gram has an empty row. Same values as :meth:`transform`.
        """
        n_texts = len(texts)
        vocab = self.vocabulary_
        indptr = np.zeros(n_texts + 1, dtype=np.int64)
        if n_texts == 0 or len(vocab) == 0:
            return np.empty(0, np.float32), np.empty(0, np.int32), indptr
        docs, keys = _ngram_keys(texts, self.ngram_min, self.ngram_max)
        if len(keys) > 64:  # binary search runs much faster over sorted keys
            order = np.argsort(keys)
            docs, keys = docs[order], keys[order]
        pos = np.searchsorted(vocab, keys)
        pos[pos == len(vocab)] = 0
        found = vocab[pos] == keys
        if n_texts == 1 and len(keys) > 64:
            # One text (classification as appeals arrive): its known n-grams are sorted, so
            # equal ones are runs and their counts the runs' lengths; no second sort.
            pos = pos[found]
            starts = np.empty(len(pos), dtype=bool)
            starts[:1] = True
            np.not_equal(pos[1:], pos[:-1], out=starts[1:])
            first = np.flatnonzero(starts)
            counts = np.diff(np.append(first, len(pos)))
            indices = pos[first].astype(np.int32)
            row = np.zeros(len(indices), dtype=np.int64)
        else:
            cells, counts = np.unique(docs[found] * len(vocab) + pos[found], return_counts=True)
            row = cells // len(vocab)
            indices = (cells - row * len(vocab)).astype(np.int32)
        data = (1 + np.log(counts.astype(np.float32))) * self.idf_[indices]
        norms = np.sqrt(np.bincount(row, weights=data * data, minlength=n_texts))
        data /= norms[row].astype(np.float32)
        np.cumsum(np.bincount(row, minlength=n_texts), out=indptr[1:])
        return data.astype(np.float32, copy=False), indices, indptr

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        return np.asarray([_decode(int(k)) for k in self.vocabulary_], dtype=object)

    def feature_name(self, index: int) -> str:
        """The n-gram of feature column ``index``."""
        return _decode(int(self.vocabulary_[index]))


def _decode(key: int) -> str:
    chars = []
    while key:
        chars.append(chr(key & ((1 << _BITS) - 1)))
        key >>= _BITS
    return "".join(chars)
