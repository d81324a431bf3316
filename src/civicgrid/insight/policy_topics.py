"""The third pass of hot-problem mining: topic problems that name no single place. Pure: no
I/O, no clock (jieba's dictionary and its part-of-speech tags are read once per process).

A city-wide question — one subsidy, one admission rule, one fund — is asked by many residents
in their own words, naming no estate or road. The first pass needs a shared place or close
wording, so such questions stay pairs and triples. This pass gathers the appeals whose *title*
names no specific place and shares a **topic phrase**: two adjacent content words of the
title ("人才 购房", "购房 补贴", "生育 津贴"), the noun phrase that names what is asked about.
A phrase makes a topic when

* it is a common noun phrase: its first word is no verb, adjective or adverb ("强制 学生",
  "拖欠 员工", "虚假 宣传" say what someone did) and neither word a proper name of a person,
  place, organisation or brand ("洪山 公园") in jieba's dictionary, and it is no part of a
  place named twice or more ("香槟国际" of 保利香槟国际小区);
* it is specific — in at most ``max_items`` or ``max_share`` of all titles — and not a
  complaint that usually comes with a place: of all titles using it, at least
  ``min_placeless_share`` name no specific place ("噪音扰民" is said of one estate after
  another; "购房补贴" of none);
* its titles do not each name a subject of their own: at most ``max_named_share`` of them
  hold, besides the phrase, a name — characters jieba cannot read as common words (a word
  at most ``max_general_frequency`` times in its general dictionary, or a content character
  standing alone: "晟福兴汝金城二期涉嫌虚假宣传"). The same complaint about many firms,
  schools or estates whose names the place rules miss is many problems, not one topic;
* at least ``min_items`` place-less titles use it, asked by at least ``min_askers``
  different people (one person asking ten times is not a topic), chained with gaps of at
  most ``window_days``, and more than half of them do not name one and the same specific
  place in their text (then it is that place's problem).

Phrases are taken most used first. A topic's rows join the first-pass groups of which they
make up more than half, and an earlier topic when they share at least ``min_overlap`` of
their rows with it; a first-pass group never loses members, and a row already in another
group stays there. A topic must gather at least ``min_free`` appeals that no group holds:
gluing existing groups together by one shared phrase is how the last attempt joined two
unrelated problems. The thresholds were set on the Teddy Cup messages, where each of the
filters above removes wrong topics the others let through (docs/domain/insight.md, "Topic
problems").
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from civicgrid.dispatch.features import words
from civicgrid.dispatch.normalise import has_chinese
from civicgrid.insight import labels, similarity

# Characters that stand alone in a title as grammar, not as part of a name: particles,
# prepositions, auxiliaries, negations, measure words and question words.
FUNCTION_CHARS: Final = frozenset(
    "的了在是有和与及把被将对向吗呢吧啊还能不也都就又再才很太更最让给为从到于以而或之其"
    "后前中上下里内外多少个次年月日号要会可该请等已未无非没何买卖办交"
)


# jieba tags of verbs, adjectives and adverbs (not "vn"/"an", which are used as nouns).
_ACT_TAGS: Final = frozenset({"v", "vd", "vg", "vi", "vq", "a", "ad", "ag", "d", "dg"})
# jieba tags of proper names: persons, places, organisations, other names (brands).
_NAME_TAGS: Final = frozenset({"nr", "nrfg", "nrt", "ns", "nt", "nz"})


@dataclass(frozen=True, slots=True)
class TopicConfig:
    """When a title phrase makes a topic problem (the module's docstring has the rule;
    ``window_days`` is longer than the first pass's 45: people ask about a policy for months).
    ``enabled`` False skips the pass."""

    enabled: bool = True
    min_items: int = 4
    min_askers: int = 4
    max_items: int = 40
    max_share: float = 0.01
    min_placeless_share: float = 0.75
    max_named_share: float = 0.6
    max_general_frequency: int = 20
    window_days: int = 120
    min_overlap: float = 0.3
    min_free: int = 2


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic problem: its rows (ascending) and the phrase that names it."""

    rows: tuple[int, ...]
    phrase: str


@functools.lru_cache(maxsize=65536)
def _content(word: str) -> bool:
    """Whether ``word`` can be half of a topic phrase (remembered: titles share most words)."""
    return (
        len(word) >= 2
        and has_chinese(word)
        and word not in similarity.STOP_WORDS
        and word not in labels.LABEL_STOP_WORDS
        and similarity.describes_problem(word)
    )


Cut = Callable[[str], list[str]]
"""jieba's words of a text: :func:`civicgrid.dispatch.features.words`, or the same read through
a mining run's :class:`civicgrid.insight.similarity.Segmenter`."""


def phrases(title: str, cut: Cut = words) -> frozenset[tuple[str, str]]:
    """The topic phrases of a (normalised) title, as word pairs: each two adjacent jieba
    words that are both content words — two characters or more, Chinese, not a stop word of
    the similarity or label lists, not a number or a vague time."""
    tokens = cut(title)
    ok = [_content(w) for w in tokens]
    return frozenset(
        (tokens[k], tokens[k + 1]) for k in range(len(tokens) - 1) if ok[k] and ok[k + 1]
    )


@functools.lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    """jieba's part-of-speech tag of each dictionary word (read on first use: a second pass
    over the dictionary that only a run with topic candidates needs)."""
    words("")  # loads the dictionary once per process
    import jieba.posseg  # loaded only when a phrase is judged

    return dict(jieba.posseg.dt.word_tag_tab)


def common_noun_phrase(first: str, second: str) -> bool:
    """Whether the phrase of the words ``first`` and ``second`` can name a topic, by their
    tags in jieba's dictionary: not when ``first`` is a verb, an adjective or an adverb ("强制
    学生", "拖欠 员工", "虚假 宣传", "涉嫌 诈骗" say what someone did — a complaint said of one
    firm or school after another), and not when either word is a proper name of a person,
    place, organisation or brand ("洪山 公园", "金城 二期": that one's matter, not a topic).
    Verbal and adjectival nouns ("生育 津贴") and words the dictionary lacks pass."""
    tags = _word_tags()
    return tags.get(first, "n") not in _ACT_TAGS and not (
        {tags.get(first, "n"), tags.get(second, "n")} & _NAME_TAGS
    )


def names_subject(title: str, phrase: str, max_general_frequency: int, cut: Cut = words) -> bool:
    """Whether ``title`` holds, besides ``phrase``, a name of its own: at least two characters
    of words jieba knows at most ``max_general_frequency`` times, or of content characters
    standing alone (jieba cuts an unknown name into single characters)."""
    unknown = 0
    for w in cut(title.replace(phrase, " ")):
        if not has_chinese(w):
            continue
        if len(w) == 1:
            unknown += w not in FUNCTION_CHARS
        elif similarity.general_frequency(w) <= max_general_frequency:
            unknown += len(w)
    return unknown >= 2


def titles_naming_places(rows: Sequence[tuple[str, frozenset[str]]]) -> list[bool]:
    """For each (raw title, the row's specific places): whether the title names one of the
    places, leaving out names made of generic words ("严重影响小区",
    :func:`civicgrid.insight.labels.generic_place`)."""
    return [any(p in title and not labels.generic_place(p) for p in named) for title, named in rows]


def _runs(rows: list[int], times: Sequence[float], window: float) -> list[list[int]]:
    """``rows`` (ascending in time) cut where two consecutive ones are more than ``window``
    seconds apart."""
    runs: list[list[int]] = []
    for r in rows:
        if runs and times[r] - times[runs[-1][-1]] <= window:
            runs[-1].append(r)
        else:
            runs.append([r])
    return runs


def find_topics(
    *,
    titles: Sequence[str],
    placed: Sequence[bool],
    places: Sequence[frozenset[str]],
    place_names: frozenset[str],
    callers: Sequence[str],
    times: Sequence[float],
    config: TopicConfig,
    cut: Cut = words,
) -> list[Topic]:
    """The topic candidates among the rows (one per appeal, ascending in time): ``titles``
    normalised, ``placed`` whether the title names a specific place, ``places`` the specific
    places the whole text names, ``place_names`` the places named twice or more in the run
    (a phrase inside one is a place's name), ``callers`` who asked (empty when unknown: each
    such row counts as its own asker). ``cut`` segments the titles (a mining run passes its
    :class:`~civicgrid.insight.similarity.Segmenter`, which has cut them already)."""
    n = len(titles)
    if not config.enabled or n == 0:
        return []
    seen: dict[str, frozenset[tuple[str, str]]] = {}
    found = [seen[t] if t in seen else seen.setdefault(t, phrases(t, cut)) for t in titles]
    everywhere: dict[tuple[str, str], int] = defaultdict(int)
    placeless: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row, own in enumerate(found):
        for p in own:
            everywhere[p] += 1
            if not placed[row]:
                placeless[p].append(row)
    cap = max(config.max_items, config.max_share * n)
    window = config.window_days * 86400.0
    topics: list[Topic] = []
    for pair in sorted(placeless, key=lambda p: (-len(placeless[p]), p)):
        rows = placeless[pair]
        phrase = "".join(pair)
        if len(rows) < config.min_items or everywhere[pair] > cap:
            continue
        if len(rows) < config.min_placeless_share * everywhere[pair]:
            continue
        if not common_noun_phrase(*pair) or any(phrase in p for p in place_names):
            continue
        named = sum(
            names_subject(titles[r], phrase, config.max_general_frequency, cut) for r in rows
        )
        if named > config.max_named_share * len(rows):
            continue
        for run in _runs(rows, times, window):
            if (
                len(run) >= config.min_items
                and askers(run, callers) >= config.min_askers
                and not _one_place(run, places)
            ):
                topics.append(Topic(tuple(run), phrase))
    return topics


def askers(rows: Iterable[int], callers: Sequence[str]) -> int:
    """How many different people asked ``rows`` (a row without a caller counts as one)."""
    return len({callers[r] or f"#{r}" for r in rows})


def _one_place(rows: Sequence[int], places: Sequence[frozenset[str]]) -> bool:
    """Whether more than half of ``rows`` name one and the same specific place in their
    text: then the phrase is that place's problem (an estate whose name the place rules
    missed in the titles), not a topic."""
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        for p in places[r]:
            if not labels.generic_place(p):
                counts[p] += 1
    return any(2 * c > len(rows) for c in counts.values())


def merge_topics(
    groups: Sequence[list[int]],
    topics: Sequence[Topic],
    *,
    callers: Sequence[str],
    config: TopicConfig,
) -> tuple[list[list[int]], dict[int, str]]:
    """``groups`` (lists of rows of the first passes) with the topics added: each topic's
    rows joined with the groups they make up more than half of (or with an earlier topic
    they share ``min_overlap`` of their rows with); rows of other groups stay where they are,
    and a topic left with fewer than ``min_items`` rows or ``min_askers`` people is dropped,
    as is one that gathers fewer than ``min_free`` rows of no group (it would only glue
    together groups the first passes kept apart) unless it joins an earlier topic.
    Returns the groups and, by index into them, the phrase of each topic group."""
    merged: list[list[int] | None] = [list(g) for g in groups]
    owner = [-1] * len(callers)
    for k, members in enumerate(groups):
        for r in members:
            owner[r] = k
    phrase_of: dict[int, str] = {}
    for topic in topics:
        joined = _joined(set(topic.rows), owner, merged, phrase_of, config)
        free = [r for r in topic.rows if owner[r] < 0]
        new = set(free).union(*(merged[g] or () for g in joined))
        earlier = [g for g in joined if g in phrase_of]
        if (
            len(new) < config.min_items
            or askers(new, callers) < config.min_askers
            or (len(free) < config.min_free and not earlier)
        ):
            continue
        target = min(earlier or joined) if joined else len(merged)
        if not joined:
            merged.append(None)
        phrase = phrase_of.get(target, topic.phrase)
        for g in joined:
            merged[g] = None
            phrase_of.pop(g, None)
        merged[target] = sorted(new)
        phrase_of[target] = phrase
        for r in new:
            owner[r] = target
    out = [g for g in merged if g]
    index = {id(g): k for k, g in enumerate(out)}
    return out, {index[id(merged[k])]: p for k, p in phrase_of.items()}


def _joined(
    rows: set[int],
    owner: Sequence[int],
    merged: Sequence[list[int] | None],
    phrase_of: dict[int, str],
    config: TopicConfig,
) -> list[int]:
    """The groups a topic of ``rows`` joins: earlier topics that hold ``min_overlap`` of its
    rows, other groups of which its rows are more than half."""
    shared: dict[int, int] = defaultdict(int)
    for r in rows:
        if owner[r] >= 0:
            shared[owner[r]] += 1
    joined: list[int] = []
    for g, inside in sorted(shared.items()):
        members = merged[g]
        if members is None:
            continue
        if g in phrase_of:
            if inside >= config.min_overlap * len(rows):
                joined.append(g)
        elif 2 * inside > len(members):
            joined.append(g)
    return joined
