"""The numpy character n-gram vectoriser agrees with scikit-learn's reference implementation."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from civicgrid.dispatch.ngrams import CharNgramTfidf

TEXTS = [
    "小区停水三天了，没有自来水",
    "工地夜间施工噪音扰民 <phone>",
    "垃圾没人清运，臭味很重！",
    "停车位被占，小区停车难",
    "𠀀 rare ideograph outside the basic plane 停水",
    "",
]


@pytest.mark.parametrize(("n_min", "n_max", "min_df"), [(1, 3, 1), (1, 2, 2), (2, 3, 1)])
def test_matches_tfidf_vectorizer(n_min: int, n_max: int, min_df: int) -> None:
    ours = CharNgramTfidf(n_min, n_max, min_df=min_df).fit(TEXTS[:4])
    ref = TfidfVectorizer(
        analyzer="char", ngram_range=(n_min, n_max), sublinear_tf=True, min_df=min_df,
        lowercase=False,
    ).fit(TEXTS[:4])  # fmt: skip
    ours_names = ours.get_feature_names_out()
    ref_names = ref.get_feature_names_out()
    assert sorted(ours_names) == sorted(ref_names)
    a = ours.transform(TEXTS).toarray()[:, np.argsort(ours_names)]
    b = ref.transform(TEXTS).toarray()[:, np.argsort(ref_names)]
    assert np.allclose(a, b, atol=1e-6)


def test_fit_transform_equals_fit_then_transform() -> None:
    vectoriser = CharNgramTfidf(1, 3, min_df=1)
    once = vectoriser.fit_transform(TEXTS).toarray()
    assert np.allclose(once, vectoriser.transform(TEXTS).toarray())
    assert not vectoriser.transform(["☃☃"]).nnz


def test_rejects_long_ngrams() -> None:
    with pytest.raises(ValueError, match="n-gram"):
        CharNgramTfidf(1, 4).fit(TEXTS)


def test_rows_equal_transform() -> None:
    vectoriser = CharNgramTfidf(1, 3, min_df=1).fit(TEXTS[:4])
    matrix = vectoriser.transform(TEXTS)
    data, indices, indptr = vectoriser.rows(TEXTS)
    assert np.array_equal(indptr, matrix.indptr)
    assert np.array_equal(indices, matrix.indices)
    assert np.allclose(data, matrix.data)
    assert data.dtype == np.float32
    assert [len(part) for part in vectoriser.rows([])] == [0, 0, 1]


def test_min_df_and_max_df_prune_columns() -> None:
    texts = ["停水停电", "停水", "停电了", "噪音"]
    vectoriser = CharNgramTfidf(1, 2, min_df=2, max_df=0.6)
    matrix = vectoriser.fit_transform(texts)
    names = set(vectoriser.get_feature_names_out())
    assert names == {"水", "电", "停水", "停电"}  # 停 occurs in 3 of 4 texts > 0.6
    assert matrix.shape == (4, 4)
    assert np.allclose(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel(), [1, 1, 1, 0])


def test_many_distinct_characters_use_the_fallback_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Too many distinct characters for the one-sort path give the same cells via two sorts."""
    from civicgrid.dispatch import ngrams
    from civicgrid.dispatch.ngrams import _chunk_cells

    wide = "".join(chr(c) for c in range(0x4E00, 0x9FA6)) + "".join(
        chr(c) for c in range(0x20000, 0x2B000)
    )
    texts = [wide[:40], "停水停水", wide[-30:]]

    def cells(batch: list[str]) -> set[tuple[int, int, int]]:
        keys, df, local, docs, counts = _chunk_cells(batch, 1, 3)
        assert np.array_equal(df, np.bincount(local, minlength=len(keys)))
        assert np.all(keys[1:] > keys[:-1])
        found = {
            (int(d), int(keys[k]), int(c)) for d, k, c in zip(docs, local, counts, strict=True)
        }
        return {cell for cell in found if cell[0] < len(texts)}

    packed = cells([*texts, wide])
    # 42,000 distinct characters need 16 bits each: 3 * 16 + 2 > 40 takes the fallback path.
    monkeypatch.setattr(ngrams, "_PACK_BITS", 40)
    assert cells([*texts, wide]) == packed
    assert cells(texts) == packed  # 3 * 6 + 2 bits still fit
    counted = sorted(c for d, _, c in cells(texts) if d == 1)
    assert counted == [1, 1, 1, 2, 2, 2]  # 停 水 停水 twice; 水停 停水停 水停水 once


def test_fitting_in_chunks_and_threads_gives_the_same_matrix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Chunks of two texts (fitted one after the other or in threads) = one chunk."""
    from civicgrid.dispatch import ngrams

    texts = TEXTS * 3 + ["停水", "停电停电", "噪音"]
    whole = CharNgramTfidf(1, 3, min_df=2).fit_transform(texts)
    monkeypatch.setattr(ngrams, "_CHUNK", 2)
    for threads in (1, 3):
        vectoriser = CharNgramTfidf(1, 3, min_df=2, n_threads=threads)
        chunked = vectoriser.fit_transform(texts)
        assert np.array_equal(chunked.indptr, whole.indptr)
        assert np.array_equal(chunked.indices, whole.indices)
        assert np.allclose(chunked.data, whole.data)
        assert np.allclose(vectoriser.transform(texts).toarray(), whole.toarray())


def test_one_long_text_gets_the_row_it_gets_in_a_batch() -> None:
    """A single text of more than 64 n-grams takes the run-length path; same row as in a batch."""
    long_text = "小区停水三天了，没有自来水，物业不管，停水停电，垃圾没人清运，臭味很重！" * 3
    vectoriser = CharNgramTfidf(1, 3, min_df=1).fit([*TEXTS[:4], long_text])
    data, indices, indptr = vectoriser.rows([long_text])
    assert indptr[-1] > 64
    batch = vectoriser.transform([TEXTS[0], long_text, ""])
    assert np.array_equal(indices, batch.indices[batch.indptr[1] : batch.indptr[2]])
    assert np.array_equal(data, batch.data[batch.indptr[1] : batch.indptr[2]])
