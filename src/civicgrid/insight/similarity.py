"""Text similarity for hot-problem mining: appeal text → TF-IDF vectors, and each appeal's
nearest neighbours within a time window. Pure: no I/O, no clock.

The text passes through :func:`civicgrid.dispatch.normalise.normalise_many` and jieba
(:func:`civicgrid.dispatch.features.words`), the same steps the dispatch classifier uses.
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import jieba
import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from civicgrid.dispatch.features import words
from civicgrid.dispatch.normalise import has_chinese, normalise_many
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


# Words that pass as terms for similarity but name no problem when shown as a group's key terms.
VAGUE_TERMS: Final = frozenset(
    {"今年", "去年", "明年", "每天", "天天", "时候", "时间", "只有", "按时", "一等", "还是", "不是"}
)
_NUMERALS: Final = frozenset("0123456789零一二两三四五六七八九十百千万几")
_UNITS: Final = "度号栋楼层年月日天个次点元岁"


def describes_problem(term: str) -> bool:
    """Whether ``term`` is worth showing as a key term: not a vague everyday word and not a
    bare number or counted quantity (47, 十四, 五度, 3号)."""
    if term in VAGUE_TERMS:
        return False
    core = term.rstrip(_UNITS)
    return not core or not all(ch in _NUMERALS for ch in core)


def shown_terms(vocabulary: Sequence[str]) -> np.ndarray:
    """:func:`describes_problem` of each word of ``vocabulary``, as a boolean array."""
    return np.fromiter((describes_problem(v) for v in vocabulary), bool, len(vocabulary))


def terms(text: str) -> list[str]:
    """The words of ``text`` used for similarity and key terms: jieba words of two or more
    characters, without stop words and tokens that are neither Chinese nor alphanumeric."""
    return [
        w
        for w in words(text)
        if len(w) >= 2 and w not in STOP_WORDS and (has_chinese(w) or w.isalnum())
    ]


def general_frequency(word: str) -> int:
    """How often ``word`` occurs in general Chinese: its count in jieba's dictionary (0 for
    words it does not know, such as names, brands and numbers)."""
    words("")  # loads the dictionary once per process
    return int(jieba.get_FREQ(word) or 0)


# The runs of characters jieba segments one at a time (its own block pattern): a word never
# spans two runs, and what lies between them (blanks, punctuation) yields only one-character
# tokens, which :func:`terms` drops.
_JIEBA_RUN: Final = re.compile(r"[\u4e00-\u9fd5a-zA-Z0-9+#&._%\-]+")


_JIEBA_RUN_SPLIT: Final = re.compile(f"({_JIEBA_RUN.pattern})")
_ASCII_ALNUM: Final = frozenset(string.ascii_letters + string.digits)


@functools.lru_cache(maxsize=1)
def _dictionary() -> tuple[dict[str, int], float]:
    """jieba's word counts (prefixes of words with count 0) and the log of their total."""
    words("")  # loads the dictionary once per process
    return jieba.dt.FREQ, math.log(jieba.dt.total)


def cut_run(run: str) -> list[str]:
    """``jieba.lcut(run, HMM=False)`` of one run (:data:`_JIEBA_RUN`): the same route
    through the same dictionary (each word's log frequency, ties to the longer word, single
    Latin letters and digits joined), found in one pass instead of jieba's graph, its
    generator of candidates and its nested generators, in a little over half the time (the
    same words for all 217,970 distinct runs of the shared Teddy Cup files and a synthetic
    year). It reads jieba's
    default dictionary as it was on first use (the project adds no words to it)."""
    freq, logtotal = _dictionary()
    log = math.log
    n = len(run)
    score = [0.0] * (n + 1)
    end = [0] * (n + 1)
    for k in range(n - 1, -1, -1):
        best, best_end = 0.0, -1
        for i in range(k, n):
            count = freq.get(run[k : i + 1])
            if count is None:
                break
            if count:
                value = log(count) - logtotal + score[i + 1]
                if best_end < 0 or value >= best:
                    best, best_end = value, i
        if best_end < 0:  # no word starts here: the character alone, counted once
            best, best_end = 0.0 - logtotal + score[k + 1], k
        score[k], end[k] = best, best_end
    out: list[str] = []
    buf = ""
    x = 0
    while x < n:
        y = end[x] + 1
        word = run[x:y]
        if y - x == 1 and word in _ASCII_ALNUM:
            buf += word
        else:
            if buf:
                out.append(buf)
                buf = ""
            out.append(word)
        x = y
    if buf:
        out.append(buf)
    return out


_JIEBA_SKIP: Final = re.compile(r"(\r\n|\s)")


def jieba_tokens(text: str) -> list[str]:
    """``jieba.lcut(text, HMM=False)``, blanks included: each run cut by :func:`cut_run`;
    between the runs, each blank (or CR LF) and each other character a token of its own."""
    out: list[str] = []
    for k, piece in enumerate(_JIEBA_RUN_SPLIT.split(text)):
        if k % 2:
            out.extend(cut_run(piece))
        elif piece:
            for part in _JIEBA_SKIP.split(piece):
                if _JIEBA_SKIP.fullmatch(part):
                    out.append(part)
                else:
                    out.extend(part)
    return out


class Segmenter:
    """jieba's words of many texts, each run (between blanks and punctuation) cut once:
    jieba cuts every run on its own, so the words of a text are the words of its runs, in
    order, and what lies between the runs yields one token per character (blanks dropped).
    A run that recurs (a title repeated in its own text and again in the topic pass, a
    compound's name, a stock phrase such as "请尽快解决") is cut once per mining run.

    :meth:`words` gives what :func:`civicgrid.dispatch.features.words` gives and :meth:`terms`
    what :func:`terms` gives, text for text."""

    __slots__ = ("_terms", "_words")

    def __init__(self) -> None:
        self._words: dict[str, list[str]] = {}
        self._terms: dict[str, list[str]] = {}

    def _run_words(self, run: str) -> list[str]:
        found = self._words.get(run)
        if found is None:
            found = self._words[run] = cut_run(run)
        return found

    def words(self, text: str) -> list[str]:
        """jieba tokens of ``text`` (precise mode, no HMM), blanks dropped."""
        out: list[str] = []
        for k, piece in enumerate(_JIEBA_RUN_SPLIT.split(text)):
            if k % 2:
                out.extend(self._run_words(piece))
            else:
                out.extend(ch for ch in piece if not ch.isspace())
        return out

    def terms(self, text: str) -> list[str]:
        """:func:`terms` of ``text``."""
        out: list[str] = []
        for run in _JIEBA_RUN.findall(text):
            found = self._terms.get(run)
            if found is None:
                found = self._terms[run] = [
                    w
                    for w in self._run_words(run)
                    if len(w) >= 2 and w not in STOP_WORDS and (has_chinese(w) or w.isalnum())
                ]
            out.extend(found)
        return out


def texts_for(
    pairs: Sequence[tuple[str, str]], *, body_chars: int, word_body_chars: int, title_repeat: int
) -> list[tuple[str, str, str]]:
    """(text for words, text for character bigrams, title) of each appeal's (title, text),
    normalised (all at once: :func:`normalise_many` is the fast road) and without city and
    district names. jieba is the slow step, so it reads a shorter start of the body than the
    bigrams do."""
    titles = normalise_many(places.strip_admin_many([title for title, _ in pairs]))
    bodies = normalise_many(
        places.strip_admin_many([text.strip()[:body_chars] for _, text in pairs])
    )
    out: list[tuple[str, str, str]] = []
    for title, body in zip(titles, bodies, strict=True):
        repeated = " ".join([title] * title_repeat)
        out.append((f"{repeated} {body[:word_body_chars]}", f"{repeated} {body}", title))
    return out


@dataclass(frozen=True, slots=True)
class Vectors:
    """Combined unit vectors (one row per appeal), the word block, its idf and vocabulary."""

    combined: sp.csr_matrix
    words: sp.csr_matrix
    idf: np.ndarray
    vocabulary: list[str]


_BLANKS: Final = re.compile(r"\s\s+")
_COUNT_TABLE: Final = 1 << 24


def _char_tfidf(texts: Sequence[str], min_df: int, max_df: float) -> sp.csr_matrix:
    """TF-IDF rows of the character bigrams of ``texts`` — what scikit-learn's
    ``TfidfVectorizer(analyzer="char", ngram_range=(2, 2), lowercase=False,
    sublinear_tf=True)`` gives (runs of blanks made one space, smoothed idf, L2-normalised
    rows, columns in the bigrams' order) — counted with array operations on the code points
    instead of a Python loop over every bigram (about half the time on 100,000 short synthetic
    appeals, a third on the real messages).
    Bigrams in fewer than ``min_df`` texts or in more than ``max_df`` of them are dropped."""
    n = len(texts)
    cleaned = [_BLANKS.sub(" ", t) for t in texts]
    lengths = np.fromiter((len(t) for t in cleaned), dtype=np.int64, count=n)
    points = np.frombuffer("".join(cleaned).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    if points.size < 2:
        return sp.csr_matrix((n, 0), dtype=np.float32)
    # Characters numbered in code-point order through a table (no sort), then a bigram is
    # a pair of numbers; with few distinct characters its columns come from a count table.
    seen = np.zeros(0x110000, dtype=np.int64)
    seen[points] = 1
    char_id = np.cumsum(seen) - 1
    chars = int(char_id[-1]) + 1
    ids = char_id[points]
    # A bigram starts at every character but the last of each text.
    doc_of = np.repeat(np.arange(n, dtype=np.int64), lengths)
    starts = np.flatnonzero(doc_of[:-1] == doc_of[1:])
    codes = ids[starts] * chars + ids[starts + 1]
    docs = doc_of[starts]
    # Columns in the bigrams' order.
    if chars * chars <= _COUNT_TABLE:
        present = np.bincount(codes, minlength=chars * chars) > 0
        column = (np.cumsum(present) - 1)[codes]
        uniques = np.flatnonzero(present)
    else:
        uniques, column = np.unique(codes, return_inverse=True)
    # Counts per (text, bigram): the CSR construction sums repeated entries.
    counts = sp.csr_matrix(
        (np.ones(codes.size, dtype=np.float32), (docs, column)), shape=(n, uniques.size)
    )
    return _weighted(counts, min_df, max_df)[0]


def _weighted(
    counts: sp.csr_matrix, min_df: int, max_df: float
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """(TF-IDF rows, the columns kept, their idf) of a matrix of counts (no repeated entries)
    as scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` weighs them: columns in fewer
    than ``min_df`` rows or in more than ``max_df`` of them dropped, ``1 + ln(count)`` times
    the smoothed idf, rows L2-normalised."""
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    keep = np.flatnonzero((df >= min_df) & (df <= max_df * n))
    if keep.size == 0:
        return sp.csr_matrix((n, 0), dtype=np.float32), keep, np.zeros(0, dtype=np.float32)
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    counts.data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    return sp.csr_matrix(normalize(counts[:, keep])), keep, idf[keep]


def _word_tfidf(
    texts: Sequence[str], segmenter: Segmenter, min_df: int, max_df: float
) -> tuple[sp.csr_matrix, list[str], np.ndarray]:
    """(TF-IDF rows, vocabulary, idf) of the :func:`terms` of ``texts`` — what
    scikit-learn's ``TfidfVectorizer(tokenizer=terms, lowercase=False, sublinear_tf=True)``
    gives (columns in the words' order) — counted from each run's term numbers, found once
    per run, rather than term by term."""
    n = len(texts)
    number: dict[str, int] = {}
    of_run: dict[str, list[int]] = {}
    found: list[int] = []
    ends = np.zeros(n + 1, dtype=np.int64)
    for k, text in enumerate(texts):
        for run in _JIEBA_RUN.findall(text):
            own = of_run.get(run)
            if own is None:
                own = of_run[run] = [
                    number.setdefault(t, len(number)) for t in segmenter.terms(run)
                ]
            found.extend(own)
        ends[k + 1] = len(found)
    names = list(number)
    if not names:
        return sp.csr_matrix((n, 0), dtype=np.float32), [], np.zeros(0, dtype=np.float32)
    column = np.empty(len(names), dtype=np.int64)
    column[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    counts = sp.csr_matrix(
        (np.ones(len(found), dtype=np.float32), column[np.asarray(found, dtype=np.int64)], ends),
        shape=(n, len(names)),
    )
    counts.sum_duplicates()
    matrix, keep, idf = _weighted(counts, min_df, max_df)
    vocabulary = sorted(names)
    return matrix, [vocabulary[c] for c in keep.tolist()], idf


def vectorise(
    texts: Sequence[tuple[str, str, str]],
    *,
    max_df: float,
    title_weight: float,
    segmenter: Segmenter | None = None,
) -> Vectors:
    """Vectors of ``texts`` (from :func:`texts_for`). The combined vector joins
    three L2-normalised blocks — words, character bigrams of title and body, character bigrams
    of the title alone (weighted by ``title_weight``; off by default, as it did not change the
    groups found on the Teddy Cup messages) — and is L2-normalised again. ``segmenter``
    remembers the words of each run for the later passes of the same mining run."""
    small = len(texts) < 50
    min_df = 1 if small else 2
    max_df = 1.0 if small else max_df
    w, vocab, idf = _word_tfidf([t[0] for t in texts], segmenter or Segmenter(), min_df, max_df)
    blocks = [w, _char_tfidf([t[1] for t in texts], min_df, max_df)]
    if title_weight > 0:
        blocks.append(title_weight * _char_tfidf([t[2] for t in texts], min_df, max_df))
    combined = sp.csr_matrix(normalize(sp.hstack(blocks, format="csr")))
    return Vectors(combined, w, idf, vocab)


Block = tuple[np.ndarray, np.ndarray]
"""(query rows, candidate rows), both ascending: the rows each query row may link to."""


def _window_links(
    x: sp.csr_matrix,
    t: np.ndarray,
    block: Block,
    *,
    low: float,
    window: float,
    neighbours: int,
    block_rows: int,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    query, cand = block
    xc = x[cand]
    tc = t[cand]
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for start in range(0, len(query), block_rows):
        rows = query[start : start + block_rows]
        lo = int(np.searchsorted(tc, t[rows[0]] - window, side="left"))
        hi = int(np.searchsorted(tc, t[rows[-1]] + window, side="right"))
        if hi <= lo:
            continue
        product = sp.csr_matrix(x[rows] @ xc[lo:hi].T)
        # Most products are faint (one shared bigram); drop them before anything else.
        product.data[product.data < low] = 0.0
        product.eliminate_zeros()
        sims = product.tocoo()
        gi = rows[sims.row]
        gj = cand[sims.col + lo]
        vals = sims.data
        keep = (gi != gj) & (np.abs(t[gi] - t[gj]) <= window)
        gi, gj, vals = gi[keep], gj[keep], vals[keep]
        if gi.size == 0:
            continue
        # Each query row keeps its ``neighbours`` most similar candidates; only rows with
        # more than that need sorting (entries come grouped by row, rows ascending).
        starts = np.flatnonzero(np.r_[True, gi[1:] != gi[:-1]])
        count = np.diff(np.r_[starts, gi.size])
        crowded = np.repeat(count > neighbours, count)
        if crowded.any():
            ci, cj, cv = gi[crowded], gj[crowded], vals[crowded]
            # Rows are integers and similarities lie in (0, 1], so one float key sorts by
            # row, then by similarity descending.
            order = np.argsort(ci - cv.astype(np.float64) / 2.0, kind="stable")
            ci, cj, cv = ci[order], cj[order], cv[order]
            # Each entry's place within its row: the rows' runs keep their order and sizes.
            sizes = count[count > neighbours]
            place = np.arange(ci.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            top = place < neighbours
            out.append((ci[top], cj[top], cv[top]))
        out.append((gi[~crowded], gj[~crowded], vals[~crowded]))
    return out


def neighbour_links(
    x: sp.csr_matrix,
    times: Sequence[float],
    *,
    low: float,
    window_days: int,
    neighbours: int,
    block_rows: int,
    blocks: Sequence[Block] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrays (i, j, similarity ≥ ``low``), i < j, of each row's ``neighbours`` most similar
    rows within ``window_days``; ``times`` (seconds) must be sorted ascending.

    ``blocks`` limit which rows are compared at all (by default every row with every row):
    the caller passes, e.g., the rows of one district against the rows of that district and
    those placed nowhere. Within a block, ``block_rows`` query rows at a time are compared
    with the candidates of their time window only, as one sparse matrix product; the filter
    and the top-k choice are vectorised. A pair found from both ends keeps its similarity."""
    n = x.shape[0]
    none = np.zeros(0, dtype=np.int64)
    if n == 0:
        return none, none, np.zeros(0)
    t = np.asarray(times, dtype=np.float64)
    everything = np.arange(n, dtype=np.int64)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for block in blocks if blocks is not None else [(everything, everything)]:
        if len(block[0]) == 0 or len(block[1]) == 0:
            continue
        parts.extend(
            _window_links(
                x,
                t,
                block,
                low=low,
                window=window_days * 86400.0,
                neighbours=neighbours,
                block_rows=block_rows,
            )
        )
    if not parts:
        return none, none, np.zeros(0)
    gi = np.concatenate([p[0] for p in parts])
    gj = np.concatenate([p[1] for p in parts])
    vals = np.concatenate([p[2] for p in parts])
    # One entry per directed pair (a row in two blocks may find the same neighbour twice).
    _, once = np.unique(gi * n + gj, return_index=True)
    gi, gj, vals = gi[once], gj[once], vals[once]
    a, b = np.minimum(gi, gj), np.maximum(gi, gj)
    key = a * n + b
    order = np.lexsort((-vals, key))
    key, a, b, vals = key[order], a[order], b[order], vals[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return a[first], b[first], vals[first].astype(np.float64)
