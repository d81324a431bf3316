"""Text similarity for hot-problem mining: appeal text → TF-IDF vectors, and each appeal's
nearest neighbours within a time window. Pure: no I/O, no clock.

The text passes through :func:`civicgrid.dispatch.normalise.normalise` and jieba
(:func:`civicgrid.dispatch.features.words`), the same steps the dispatch classifier uses.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from civicgrid.dispatch.features import words
from civicgrid.dispatch.normalise import has_chinese, normalise
from civicgrid.insight import places

# Words every appeal uses; they say nothing about which problem it is.
STOP_WORDS: Final = frozenset(
    {
        "反映",
        "问题",
        "您好",
        "你好",
        "领导",
        "希望",
        "请问",
        "咨询",
        "投诉",
        "举报",
        "建议",
        "关于",
        "相关",
        "部门",
        "政府",
        "尊敬",
        "解决",
        "处理",
        "情况",
        "现在",
        "目前",
        "我们",
        "你们",
        "他们",
        "没有",
        "什么",
        "怎么",
        "为什么",
        "如何",
        "是否",
        "可以",
        "能够",
        "一直",
        "已经",
        "谢谢",
        "感谢",
        "严重",
        "要求",
        "请求",
        "市民",
        "居民",
        "群众",
        "百姓",
        "老百姓",
        "这个",
        "那个",
        "这些",
        "一个",
        "进行",
        "存在",
        "工作",
        "有关",
        "给予",
        "尽快",
        "及时",
        "很多",
        "非常",
        "不是",
        "就是",
        "还是",
        "但是",
        "因为",
        "所以",
        "而且",
        "并且",
        "如果",
        "时候",
        "多次",
        "附近",
        "周边",
        "旁边",
        "街道",
        "小区",
        "社区",
        "业主",
        "书记",
        "市长",
        "<num>",
        "<phone>",
        "<url>",
        "<email>",
    }
)


def terms(text: str) -> list[str]:
    """The words of ``text`` used for similarity and key terms: jieba words of two or more
    characters, without stop words and tokens that are neither Chinese nor alphanumeric."""
    return [
        w
        for w in words(text)
        if len(w) >= 2 and w not in STOP_WORDS and (has_chinese(w) or w.isalnum())
    ]


def texts_for(
    title: str, text: str, *, body_chars: int, word_body_chars: int, title_repeat: int
) -> tuple[str, str, str]:
    """(text for words, text for character bigrams, title) of one appeal, normalised and
    without city and district names. jieba is the slow step, so it reads a shorter start of
    the body than the bigrams do."""
    clean_title = normalise(places.strip_admin(title))
    body = normalise(places.strip_admin(text.strip()[:body_chars]))
    titles = " ".join([clean_title] * title_repeat)
    return f"{titles} {body[:word_body_chars]}", f"{titles} {body}", clean_title


@dataclass(frozen=True, slots=True)
class Vectors:
    """Combined unit vectors (one row per appeal), the word block, its idf and vocabulary."""

    combined: sp.csr_matrix
    words: sp.csr_matrix
    idf: np.ndarray
    vocabulary: list[str]


def _char_tfidf(texts: Sequence[str], min_df: int, max_df: float) -> sp.csr_matrix:
    vec = TfidfVectorizer(
        analyzer="char",
        ngram_range=(2, 2),
        lowercase=False,
        sublinear_tf=True,
        min_df=min_df,
        max_df=max_df,
        dtype=np.float32,
    )
    try:
        return sp.csr_matrix(vec.fit_transform(texts))
    except ValueError:  # no bigram survives
        return sp.csr_matrix((len(texts), 0), dtype=np.float32)


def vectorise(
    texts: Sequence[tuple[str, str, str]], *, max_df: float, title_weight: float
) -> Vectors:
    """Vectors of ``texts`` (from :func:`texts_for`). The combined vector joins
    three L2-normalised blocks — words, character bigrams of title and body, character bigrams
    of the title alone (weighted by ``title_weight``; off by default, as it did not change the
    groups found on the Teddy Cup messages) — and is L2-normalised again."""
    word_texts = [t[0] for t in texts]
    small = len(texts) < 50
    min_df = 1 if small else 2
    max_df = 1.0 if small else max_df
    word_vec = TfidfVectorizer(
        tokenizer=terms,
        token_pattern=None,
        lowercase=False,
        sublinear_tf=True,
        min_df=min_df,
        max_df=max_df,
        dtype=np.float32,
    )
    try:
        w = sp.csr_matrix(word_vec.fit_transform(word_texts))
        vocab = list(word_vec.get_feature_names_out())
        idf = np.asarray(word_vec.idf_, dtype=np.float32)
    except ValueError:  # no word survives (e.g. texts without Chinese words)
        w = sp.csr_matrix((len(texts), 0), dtype=np.float32)
        vocab, idf = [], np.zeros(0, dtype=np.float32)
    blocks = [w, _char_tfidf([t[1] for t in texts], min_df, max_df)]
    if title_weight > 0:
        blocks.append(title_weight * _char_tfidf([t[2] for t in texts], min_df, max_df))
    combined = sp.csr_matrix(normalize(sp.hstack(blocks, format="csr")))
    return Vectors(combined, w, idf, vocab)


def neighbour_links(
    x: sp.csr_matrix,
    times: Sequence[float],
    *,
    low: float,
    window_days: int,
    neighbours: int,
    block_rows: int,
) -> list[tuple[int, int, float]]:
    """(i, j, similarity ≥ ``low``) with i < j for each row's ``neighbours`` most similar
    rows within ``window_days``; ``times`` (seconds) must be sorted ascending. Each block of
    ``block_rows`` rows is compared with the rows of its time window only, as one sparse
    matrix product."""
    n = x.shape[0]
    window = window_days * 86400.0
    xt = sp.csr_matrix(x.T)
    links: dict[tuple[int, int], float] = {}
    for start in range(0, n, block_rows):
        stop = min(n, start + block_rows)
        lo = bisect_left(times, times[start] - window)
        hi = bisect_right(times, times[stop - 1] + window)
        sims = sp.csr_matrix(x[start:stop] @ xt[:, lo:hi])
        for r in range(stop - start):
            i = start + r
            row_start, row_stop = sims.indptr[r], sims.indptr[r + 1]
            cols = sims.indices[row_start:row_stop] + lo
            vals = sims.data[row_start:row_stop]
            keep = (vals >= low) & (cols != i)
            cols, vals = cols[keep], vals[keep]
            if cols.size == 0:
                continue
            if cols.size > neighbours:
                top = np.argpartition(-vals, neighbours - 1)[:neighbours]
                cols, vals = cols[top], vals[top]
            ti = times[i]
            for j, v in zip(cols.tolist(), vals.tolist(), strict=True):
                if abs(times[j] - ti) > window:
                    continue
                pair = (i, j) if i < j else (j, i)
                links[pair] = max(v, links.get(pair, 0.0))
    return [(i, j, v) for (i, j), v in links.items()]
