"""Topic problems (the third mining pass, :mod:`civicgrid.insight.policy_topics`): which title
phrases may name a topic, which rows make one, how topics join the first passes' groups, how
they are labelled and stored, and the pass inside :func:`find_hotspots`."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from civicgrid.clock import BEIJING
from civicgrid.insight import labels, policy_topics, snapshots
from civicgrid.insight.hotspots import HotspotConfig, find_hotspots, item_from_text
from civicgrid.insight.policy_topics import Topic, TopicConfig

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=BEIJING)
DAY = 86400.0

# One city-wide question asked by five people in their own words, naming no place.
SUBSIDY = [
    "咨询人才购房补贴的申请条件",
    "人才购房补贴申请为何不通过",
    "关于人才购房补贴发放时间的疑问",
    "二手房能否享受人才购房补贴",
    "人才购房补贴什么时候发放",
]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("人才购房补贴", {("人才", "购房"), ("购房", "补贴")}),
        ("咨询生育津贴的问题", {("生育", "津贴")}),
        ("咨询问题", set()),  # stop words only
        ("人才的补贴", set()),  # not adjacent
    ],
)
def test_phrases_are_adjacent_content_words(title: str, expected: set[tuple[str, str]]) -> None:
    assert policy_topics.phrases(title) == expected


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("购房", "补贴", True),
        ("住房", "公积金", True),
        ("生育", "津贴", True),  # a verbal noun names a thing
        ("教师", "招聘", True),  # only the first word must not be a verb
        ("强制", "学生", False),  # an act: said of one school after another
        ("拖欠", "员工", False),
        ("虚假", "宣传", False),  # an adjective first: a complaint
        ("洪山", "公园", False),  # a proper name: that park's matter
        ("金城", "二期", False),
    ],
)
def test_only_common_noun_phrases_name_topics(first: str, second: str, expected: bool) -> None:
    assert policy_topics.common_noun_phrase(first, second) is expected


@pytest.mark.parametrize(
    ("title", "phrase", "expected"),
    [
        ("晟福兴汝金城二期涉嫌虚假宣传", "虚假宣传", True),  # an estate's name, cut into pieces
        ("咨询人才购房补贴事宜", "购房补贴", False),
        ("咨询士官异地安置问题", "异地安置", False),
    ],
)
def test_a_title_naming_its_own_subject_is_recognised(
    title: str, phrase: str, expected: bool
) -> None:
    assert policy_topics.names_subject(title, phrase, 20) is expected


def test_titles_naming_places_ignore_generic_names() -> None:
    assert policy_topics.titles_naming_places(
        [
            ("丽发新城小区公积金贷款难", frozenset({"丽发新城小区"})),
            ("严重影响小区居民的购房补贴", frozenset({"严重影响小区"})),
            ("咨询购房补贴", frozenset({"丽发新城小区"})),  # named in the text only
        ]
    ) == [True, False, False]


def _find(
    titles: list[str],
    *,
    callers: list[str] | None = None,
    days: list[float] | None = None,
    placed: list[bool] | None = None,
    places: list[frozenset[str]] | None = None,
    place_names: frozenset[str] = frozenset(),
    config: TopicConfig | None = None,
) -> list[Topic]:
    n = len(titles)
    return policy_topics.find_topics(
        titles=titles,
        placed=placed or [False] * n,
        places=places or [frozenset()] * n,
        place_names=place_names,
        callers=callers or [f"c{i}" for i in range(n)],
        times=[d * DAY for d in (days or list(range(n)))],
        config=config or TopicConfig(),
    )


def test_one_question_asked_by_several_people_makes_a_topic() -> None:
    topics = _find(SUBSIDY)

    assert [t.rows for t in topics] == [(0, 1, 2, 3, 4), (0, 1, 2, 3, 4)]
    assert {t.phrase for t in topics} == {"人才购房", "购房补贴"}


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("one person asking five times", {"callers": ["same"] * 5}),
        ("three people", {"callers": ["a", "b", "c", "a", "b"]}),
        ("titles naming places", {"placed": [True, True, False, False, False]}),
        (
            "the texts name one estate",
            {"places": [frozenset({"丽发新城"})] * 3 + [frozenset()] * 2},
        ),
        ("asked months apart", {"days": [0.0, 1.0, 200.0, 201.0, 400.0]}),
        ("disabled", {"config": TopicConfig(enabled=False)}),
    ],
)
def test_no_topic_when(case: str, kwargs: dict[str, object]) -> None:
    assert _find(SUBSIDY, **kwargs) == [], case  # type: ignore[arg-type]


def test_a_phrase_said_mostly_of_places_is_no_topic() -> None:
    # "噪音扰民" in five place-less titles, but in ten more that name a compound.
    titles = [f"夜里噪音扰民第{k}次" for k in range(15)]
    placed = [False] * 5 + [True] * 10

    assert all(t.phrase != "噪音扰民" for t in _find(titles, placed=placed))


def test_a_phrase_inside_a_place_name_is_no_topic() -> None:
    titles = ["香槟国际房屋漏水", "香槟国际加盖写字楼", "香槟国际物业收费", "香槟国际停车难"]

    assert _find(titles, config=TopicConfig(min_items=4))
    assert _find(titles, place_names=frozenset({"保利香槟国际小区"})) == []


def test_topics_join_the_groups_they_make_up_and_leave_the_others() -> None:
    callers = [f"c{i}" for i in range(12)]
    groups = [[0, 1], [2, 3, 9, 10, 11], [6, 7]]
    topic = Topic((0, 1, 2, 4, 5), "购房补贴")

    merged, phrase_of = policy_topics.merge_topics(
        groups, [topic], callers=callers, config=TopicConfig()
    )

    assert sorted(merged) == [[0, 1, 4, 5], [2, 3, 9, 10, 11], [6, 7]]
    assert {tuple(merged[k]): p for k, p in phrase_of.items()} == {(0, 1, 4, 5): "购房补贴"}


def test_a_topic_that_only_glues_groups_together_is_dropped() -> None:
    callers = [f"c{i}" for i in range(8)]
    groups = [[0, 1], [2, 3], [4, 5]]
    topic = Topic((0, 1, 2, 3, 6), "城市建设")  # one appeal of no group

    merged, phrase_of = policy_topics.merge_topics(
        groups, [topic], callers=callers, config=TopicConfig()
    )

    assert merged == groups
    assert phrase_of == {}


def test_a_later_topic_sharing_rows_joins_the_earlier_one() -> None:
    callers = [f"c{i}" for i in range(12)]
    first = Topic((0, 1, 2, 3, 4, 5), "购房补贴")
    second = Topic((4, 5, 6, 7, 8), "人才新政")  # 2 of its 5 rows are the first's

    merged, phrase_of = policy_topics.merge_topics(
        [], [first, second], callers=callers, config=TopicConfig()
    )

    assert merged == [[0, 1, 2, 3, 4, 5, 6, 7, 8]]
    assert phrase_of == {0: "购房补贴"}


def test_topics_with_too_few_askers_after_joining_are_dropped() -> None:
    callers = ["a", "a", "b", "b", "c", "c"]

    merged, _ = policy_topics.merge_topics(
        [], [Topic((0, 1, 2, 3, 4, 5), "购房补贴")], callers=callers, config=TopicConfig()
    )

    assert merged == []


@pytest.mark.parametrize(
    ("areas", "terms", "expected"),
    [
        ((), ("人才", "新政", "购房", "补贴"), "全市 · 购房补贴：人才、新政"),
        (("A3区",), ("人才",), "A3区 · 购房补贴：人才"),
        ((), ("补贴", "您好"), "全市 · 购房补贴"),  # pieces of the phrase and stop words
    ],
)
def test_topic_labels_name_the_scope_and_the_phrase(
    areas: tuple[str, ...], terms: tuple[str, ...], expected: str
) -> None:
    assert labels.topic_label("购房补贴", areas, terms) == expected


def _subsidy_items(area: str = "") -> list:  # type: ignore[type-arg]
    bodies = [
        "我符合人才新政条件，想了解购房补贴需要哪些材料。",
        "提交了购房补贴申请，审核一直显示不通过，原因不明。",
        "补贴说好三个月内发放，至今没有到账，请问何时发放。",
        "在本市买的二手房，不知道能不能申请补贴。",
        "申请通过后迟迟没有收到补贴款。",
    ]
    noise = ["路灯不亮已经一周", "公交站台广告牌破损", "学校门口交通拥堵", "医院挂号排队太久"]
    items = [
        item_from_text(
            key=f"t{i}",
            title=f"{area}{title}",
            text=body,
            at=T0 + timedelta(days=9 * i),
            caller=f"asker-{i}",
        )
        for i, (title, body) in enumerate(zip(SUBSIDY, bodies, strict=True))
    ]
    items += [
        item_from_text(key=f"n{i}", title=t, text=t, at=T0 + timedelta(days=i), caller=f"n{i}")
        for i, t in enumerate(noise)
    ]
    return items


def test_the_miner_reports_a_place_less_question_as_one_topic_problem() -> None:
    found = find_hotspots(_subsidy_items())

    topics = [h for h in found if h.topic]
    assert len(topics) == 1
    assert set(topics[0].members) == {f"t{i}" for i in range(5)}
    assert topics[0].places == ()
    assert topics[0].label.startswith("全市 · ")
    assert topics[0].topic in topics[0].label


def test_a_topic_whose_members_all_name_one_district_says_so() -> None:
    found = find_hotspots(_subsidy_items(area="A市A3区"))

    (topic,) = [h for h in found if h.topic]
    assert topic.label.startswith("A3区 · ")


def test_without_the_pass_the_question_stays_in_pieces() -> None:
    config = HotspotConfig(topics=TopicConfig(enabled=False))

    found = find_hotspots(_subsidy_items(), config=config)

    assert all(not h.topic for h in found)
    assert all(len(set(h.members) & {f"t{i}" for i in range(5)}) < 5 for h in found)


def test_a_stored_topic_keeps_its_phrase_and_older_snapshots_read_as_place_problems() -> None:
    (topic,) = [h for h in find_hotspots(_subsidy_items()) if h.topic]
    stored = snapshots.StoredHotspot(
        hotspot=topic,
        member_ids=tuple(range(topic.size)),
        member_paths=("1.2",) * topic.size,
        sample_ids=tuple(range(len(topic.samples))),
    )

    data = snapshots.to_json(stored)
    assert snapshots.from_json(data).hotspot.label == topic.label
    del data["topic"]
    assert snapshots.from_json(data).hotspot.topic == ""
