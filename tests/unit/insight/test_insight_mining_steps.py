"""The steps of hot-problem mining on their own: the vectorised neighbour search agrees with a
brute-force one, the batched centre similarities agree with one group at a time, district
blocking compares only compatible items, and the rare-word pass joins one problem told in
different words without joining appeals that merely share a common word."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import jieba
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from civicgrid.clock import BEIJING
from civicgrid.dispatch.features import words
from civicgrid.insight import grouping, linking, rare_terms, similarity
from civicgrid.insight.hotspots import HotspotConfig, HotspotItem, find_hotspots, item_from_text

DAY = 86400.0


def _random_unit_rows(n: int, seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = rng.random((n, 12)) * (rng.random((n, 12)) < 0.35)
    dense[:, 0] += 0.05  # no empty row
    return sp.csr_matrix(normalize(dense).astype(np.float32))


def _brute_force(
    x: sp.csr_matrix, times: list[float], *, low: float, window: float, k: int
) -> dict[tuple[int, int], float]:
    sims = (x @ x.T).toarray()
    links: dict[tuple[int, int], float] = {}
    for i in range(x.shape[0]):
        cands = [
            (sims[i, j], j)
            for j in range(x.shape[0])
            if j != i and sims[i, j] >= low and abs(times[i] - times[j]) <= window
        ]
        for v, j in sorted(cands, key=lambda c: (-c[0], c[1]))[:k]:
            pair = (min(i, j), max(i, j))
            links[pair] = max(float(v), links.get(pair, 0.0))
    return links


@pytest.mark.parametrize(("k", "block_rows"), [(3, 7), (5, 50), (40, 16)])
def test_neighbour_links_agree_with_a_brute_force_search(k: int, block_rows: int) -> None:
    x = _random_unit_rows(60, seed=k)
    times = sorted(float(t) for t in np.random.default_rng(1).integers(0, 120, 60) * DAY)

    li, lj, sims = similarity.neighbour_links(
        x, times, low=0.5, window_days=20, neighbours=k, block_rows=block_rows
    )

    expected = _brute_force(x, times, low=0.5, window=20 * DAY, k=k)
    found = dict(zip(zip(li.tolist(), lj.tolist(), strict=True), sims.tolist(), strict=True))
    # Random similarities have no ties, so the choice of the k best is unique.
    assert set(found) == set(expected)
    assert all(np.isclose(found[p], expected[p]) for p in found)
    assert all(i < j for i, j in found)


@pytest.mark.parametrize(("min_df", "max_df"), [(1, 1.0), (2, 0.5)])
def test_the_bigram_vectors_are_those_of_scikit_learns_char_analyser(
    min_df: int, max_df: float
) -> None:
    texts = [
        "A2区丽发新城小区搅拌站噪音扰民  夜间施工",
        "丽发新城 搅拌站\n\n粉尘严重",
        "伊景园滨河苑捆绑销售车位",
        "伊景园滨河苑车位捆绑销售，强制购买",
        "58车贷 案件进展",
        "",
        "x",
        "𠀀𠀁 rare plane",
    ]
    reference = TfidfVectorizer(
        analyzer="char",
        ngram_range=(2, 2),
        lowercase=False,
        sublinear_tf=True,
        min_df=min_df,
        max_df=max_df,
        dtype=np.float32,
    ).fit_transform(texts)

    found = similarity._char_tfidf(texts, min_df, max_df)

    assert found.shape == reference.shape
    assert np.allclose(found.toarray(), reference.toarray(), atol=1e-6)


@pytest.mark.parametrize(("min_df", "max_df"), [(1, 1.0), (2, 0.5), (9, 1.0)])
def test_the_word_vectors_are_those_of_scikit_learn_with_the_same_terms(
    min_df: int, max_df: float
) -> None:
    texts = [
        "丽发新城小区搅拌站噪音扰民 丽发新城小区搅拌站噪音扰民 夜间施工",
        "丽发新城 搅拌站\n\n粉尘严重，噪音扰民",
        "伊景园滨河苑捆绑销售车位 伊景园滨河苑捆绑销售车位",
        "伊景园滨河苑车位捆绑销售，强制购买车位",
        "58车贷 案件进展 COVID-19",
        "",
        "，。！",
        "噪音扰民噪音扰民",
    ]
    reference = TfidfVectorizer(
        tokenizer=similarity.terms,
        token_pattern=None,
        lowercase=False,
        sublinear_tf=True,
        min_df=min_df,
        max_df=max_df,
        dtype=np.float32,
    )
    try:
        expected = reference.fit_transform(texts).toarray()
        vocabulary = list(reference.get_feature_names_out())
        idf = reference.idf_
    except ValueError:  # no term left
        expected, vocabulary, idf = np.zeros((len(texts), 0)), [], np.zeros(0)

    found, found_vocabulary, found_idf = similarity._word_tfidf(
        texts, similarity.Segmenter(), min_df, max_df
    )

    assert found_vocabulary == vocabulary
    assert np.allclose(found_idf, idf, atol=1e-6)
    assert found.shape == expected.shape
    assert np.allclose(found.toarray(), expected, atol=1e-6)


def test_an_empty_matrix_has_no_links() -> None:
    li, lj, sims = similarity.neighbour_links(
        sp.csr_matrix((0, 3), dtype=np.float32),
        [],
        low=0.3,
        window_days=45,
        neighbours=15,
        block_rows=10,
    )
    assert (li.size, lj.size, sims.size) == (0, 0, 0)


def test_batched_centre_similarities_equal_one_group_at_a_time() -> None:
    x = _random_unit_rows(400, seed=3)
    groups = [[0, 5], [1, 2, 3], list(range(10, 40)), list(range(40, 40 + 250)), [399]]

    batched = grouping.centre_sims(x, groups)

    for group, sims in zip(groups, batched, strict=True):
        sub = x[group]
        direct = np.asarray((sub @ sub.T).sum(axis=1)).ravel()
        assert np.allclose(sims, direct, atol=1e-4)


def test_trimming_all_groups_at_once_equals_one_group_at_a_time() -> None:
    x = _random_unit_rows(300, seed=5)
    groups = [[0, 1], list(range(2, 9)), list(range(10, 60)), list(range(60, 290)), [295]]

    together = grouping.trim_all_to_core(groups, x, 0.8)

    assert together == [grouping.trim_to_core(g, x, 0.8) for g in groups]
    assert any(len(t) < len(g) for t, g in zip(together, groups, strict=True))


def test_district_blocks_compare_each_district_with_itself_and_the_unplaced() -> None:
    a, b, none = frozenset({"A1区"}), frozenset({"A2区"}), frozenset[str]()

    blocks = linking.area_blocks([a, b, none, a, b])

    assert blocks is not None
    as_lists = [(q.tolist(), c.tolist()) for q, c in blocks]
    assert as_lists == [([0, 3], [0, 2, 3]), ([1, 4], [1, 2, 4]), ([2], [0, 1, 2, 3, 4])]
    assert linking.area_blocks([a, a, none]) is None


def _split(links: list[tuple[int, int, float]], days: Sequence[float], n: int) -> list[list[int]]:
    rows = np.array([i for i, _, _ in links], dtype=np.int64)
    cols = np.array([j for _, j, _ in links], dtype=np.int64)
    sims = np.array([s for _, _, s in links])
    found = grouping.chain_free_components(
        n,
        (rows, cols, sims),
        np.array(days) * DAY,
        max_span=60 * DAY,
        start=0.3,
        step=0.05,
    )
    return sorted(found)


def test_a_compact_component_is_kept_whole_with_its_weak_links() -> None:
    links = [(0, 1, 0.9), (1, 2, 0.31), (2, 3, 0.8), (4, 5, 0.5)]

    groups = _split(links, [0, 10, 20, 30, 100, 101], 7)

    assert groups == [[0, 1, 2, 3], [4, 5], [6]]


def test_a_chain_over_months_is_cut_at_its_weakest_links_until_each_piece_is_compact() -> None:
    # Two tight problems 100 days apart, joined through a loose bridge (items 3 and 4), and a
    # third problem joined to the second by a link only a little weaker than its own.
    links = [
        (0, 1, 0.9),
        (1, 2, 0.85),
        (2, 3, 0.4),
        (3, 4, 0.35),
        (4, 5, 0.45),
        (5, 6, 0.9),
        (6, 7, 0.8),
        (7, 8, 0.7),
        (8, 9, 0.9),
    ]
    days = [0, 1, 2, 40, 80, 100, 101, 102, 170, 171]

    groups = _split(links, days, 10)

    # Links below 0.4 go first: 0–3 spans 40 days and stays; 4–9 (91 days) loses 4–5 below
    # 0.5 and, still spanning 71 days, 7–8 below 0.75.
    assert groups == [[0, 1, 2, 3], [4], [5, 6, 7], [8, 9]]


def test_chains_split_together_as_each_would_split_alone() -> None:
    # Three chained components (different bars needed to cut each) and a compact one, split in
    # the same rounds: the pieces are those each gives on its own.
    rng = np.random.default_rng(3)
    parts: list[tuple[list[tuple[int, int, float]], list[float]]] = []
    for _ in range(4):
        size = int(rng.integers(5, 30))
        links = [
            (k, k + 1, float(rng.uniform(0.3, 1.0))) for k in range(size - 1) if rng.random() < 0.9
        ]
        links += [(k, k + 2, float(rng.uniform(0.3, 1.0))) for k in range(size - 2)]
        parts.append((links, sorted(rng.uniform(0, 200, size).tolist())))
    alone: list[list[int]] = []
    together: list[tuple[int, int, float]] = []
    days: list[float] = []
    for links, own_days in parts:
        offset = len(days)
        pieces = _split(links, own_days, len(own_days))
        alone.extend([m + offset for m in piece] for piece in pieces)
        together.extend((i + offset, j + offset, s) for i, j, s in links)
        days.extend(own_days)

    assert _split(together, days, len(days)) == sorted(alone)
    assert len(alone) > len(parts)


def test_links_need_a_higher_similarity_between_different_places() -> None:
    area = frozenset({"A1区"})
    named = [frozenset({"丽发新城"}), frozenset({"丽发新城"}), frozenset({"滨河苑"}), frozenset()]
    li, lj = np.array([0, 0, 1, 0]), np.array([1, 2, 3, 3])
    sims = np.array([0.35, 0.6, 0.55, 0.45])

    kept = linking.edges([area] * 4, named, li, lj, sims, linking.Thresholds(0.3, 0.75, 0.5))

    assert list(zip(kept[0].tolist(), kept[1].tolist(), strict=True)) == [(0, 1), (1, 3)]


T0 = datetime(2019, 1, 8, 9, 0, tzinfo=BEIJING)
LOAN = [
    "A市58车贷案件立案半年毫无进展",
    "请问A4区公安对58车贷案办案进度如何",
    "严惩58车贷集资诈骗案保护伞",
    "58车贷老板跑路，经侦拖延办案",
    "请书记关注A4区58车贷案受害人",
    "58车贷恶性退出为何不发布案情通报",
    "再次请求过问58车贷案件进展情况",
]
COMMON = [
    "公交线路调整方案什么时候公布",
    "退休工资调整不当如何处理",
    "申请调整280路公交站位置",
    "住房公积金政策能否调整",
    "建议调整红绿灯时长",
    "请调整20路公交车晚班时间",
    "幼儿园是否调整为普惠园",
]


def _items(titles: list[str], prefix: str) -> list[HotspotItem]:
    return [
        item_from_text(
            key=f"{prefix}{i}",
            title=title,
            text=f"A市A4区{title}。",
            at=T0 + timedelta(days=3 * i),
            caller=f"{prefix}{i}",
        )
        for i, title in enumerate(titles)
    ]


def test_the_rare_word_pass_joins_one_case_told_in_different_words() -> None:
    items = _items(LOAN, "loan") + _items(COMMON, "common")
    # These short titles share less text beyond the word than real messages do (0.2).
    on = HotspotConfig(rare_terms=rare_terms.RareTermConfig(min_coherence=0.05))
    off = HotspotConfig(rare_terms=rare_terms.RareTermConfig(enabled=False))

    with_pass = [set(h.members) for h in find_hotspots(items, config=on)]
    without = [set(h.members) for h in find_hotspots(items, config=off)]

    loan = {f"loan{i}" for i in range(len(LOAN))}
    assert loan in with_pass
    assert loan not in without
    # "调整" is shared by as many titles, but it is an everyday word, not a name.
    assert not any(any(k.startswith("common") for k in g) for g in with_pass)


def test_the_rare_word_pass_needs_enough_appeals_within_the_window() -> None:
    spread = [
        item_from_text(
            key=f"loan{i}",
            title=title,
            text=f"A市A4区{title}。",
            at=T0 + timedelta(days=60 * i),
        )
        for i, title in enumerate(LOAN)
    ]
    on = HotspotConfig(rare_terms=rare_terms.RareTermConfig(min_coherence=0.05))

    assert find_hotspots(spread, config=on) == []


@pytest.mark.parametrize(
    ("term", "shown"),
    [
        ("47", False),
        ("十四", False),
        ("五度", False),
        ("3号", False),
        ("今年", False),
        ("暖气片", True),
        ("楼层", True),
        ("58车贷", True),
        ("华河街道", True),
    ],
)
def test_key_terms_leave_out_numbers_and_vague_words(term: str, shown: bool) -> None:
    assert similarity.describes_problem(term) is shown


@pytest.mark.parametrize(
    "text",
    [
        "幸福园小区经常停水，希望有关部门尽快处理。另外电梯困人，请尽快解决。",
        "幸福园小区经常停水 幸福园小区经常停水 幸福园小区经常停水，请尽快解决",
        "A3区联丰路<num>号路灯不亮……已经反映多次！！ 58车贷平台 COVID-19 5G基站 wifi信号差",
        "",
        "，。！ ",
        "购房 补贴\r\n人才\t新政、 公积金　提取",
        "A区-B区_C区+5%&#x 。。 ok",
    ],
)
def test_the_run_cached_tokeniser_gives_the_words_and_terms_of_the_whole_text(text: str) -> None:
    segmenter = similarity.Segmenter()
    # Twice: the second call reads the remembered runs.
    for _ in range(2):
        assert segmenter.terms(text) == similarity.terms(text)
        assert segmenter.words(text) == words(text)


@pytest.mark.parametrize(
    "run",
    [
        "幸福园小区经常停水",
        "A3区联丰路58号路灯不亮",
        "58车贷平台COVID-19",
        "5G基站wifi信号差abc123",
        "请问西地省2019年人才购房补贴什么时候发放",
        "鿕鿔一",
        "x",
        "的",
        "伊景园滨河苑捆绑销售车位",
        "中华人民共和国国务院办公厅关于进一步加强住房公积金管理的通知",
        "A.B_C-D%E&F#G+H",
    ],
)
def test_the_one_pass_cut_of_a_run_is_jiebas(run: str) -> None:
    assert similarity.cut_run(run) == words(run)


@pytest.mark.parametrize(
    "text",
    [
        "幸福园小区经常停水，希望有关部门尽快处理。\r\n另外 电梯困人\t\t请尽快解决!!",
        "A3区联丰路<num>号路灯不亮…… 58车贷　COVID-19 5G基站\n\n",
        "",
        " ",
        "\r\n\r",
    ],
)
def test_the_tokens_of_a_text_with_blanks_are_jiebas(text: str) -> None:
    assert similarity.jieba_tokens(text) == jieba.lcut(text, HMM=False)


def test_the_run_cached_tokeniser_keeps_the_word_vectors_unchanged() -> None:
    texts = [
        (f"幸福园小区{p}，请尽快解决。", f"幸福园小区{p}，严重影响居民生活。另外{q}。")
        for p, q in [("经常停水", "电梯困人"), ("电梯困人", "经常停水"), ("路灯不亮", "井盖缺失")]
    ]
    rows = similarity.texts_for(texts, body_chars=400, word_body_chars=60, title_repeat=2)
    vectors = similarity.vectorise(rows, max_df=1.0, title_weight=0.0)
    direct = [sorted(set(similarity.terms(r[0]))) for r in rows]
    found = [
        sorted(vectors.vocabulary[c] for c in vectors.words[k].indices) for k in range(len(rows))
    ]
    assert found == direct


def test_an_estate_whose_name_holds_a_district_like_code_is_linked_across_its_appeals() -> None:
    at = datetime(2026, 3, 2, 9, tzinfo=BEIJING)
    titles = [
        "鑫苑A1区地下车库长期积水无人处理",
        "A5区鑫苑A1区地下车库长期积水无人处理",
        "A5区鑫苑地下车库长期积水无人处理",
    ]
    items = [
        item_from_text(key=f"k{k}", title=t, text=t, at=at + timedelta(days=k))
        for k, t in enumerate(titles)
    ]
    assert [set(it.areas) for it in items] == [set(), {"A5区"}, {"A5区"}]
    found = find_hotspots(items)
    assert [h.members for h in found] == [("k0", "k1", "k2")]
