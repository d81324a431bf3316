"""Hot problems (热点问题): appeals about the same problem at the same place in the same weeks,
grouped, scored and explained. Pure: no database, no HTTP, no clock.

How items are grouped (docs/domain/insight.md has the reasoning and the measured quality):

1. Each item's title (counted twice, it names the problem) and the start of its text are
   normalised, city and district names are removed (places are compared separately), and the
   text becomes a TF-IDF vector of jieba words and character bigrams, L2-normalised
   (:mod:`civicgrid.insight.similarity`).
2. Items are sorted by time. Items naming a district are compared only with the items of
   that district and those naming none (``block_by_area``; items of two districts are never
   linked). For each block of items, cosine similarities are computed only against the items
   within ``window_days`` of the block (a sparse matrix product), and each item keeps its
   ``neighbours`` most similar items within ``window_days`` of itself
   (:func:`civicgrid.insight.similarity.neighbour_links`, vectorised). The cost grows with
   n × (items per window and district), not n², so a year of a large city's appeals stays
   tractable.
3. Two items are linked when their similarity reaches ``link_threshold``; the bar is lower
   (``place_link_threshold``) when they name the same compound, road or village, and higher
   (``other_place_threshold``) when both name places but none in common — the same complaint
   about two different compounds is two problems. Items are never linked when they name
   different districts (:func:`civicgrid.insight.places.compatible`) or lie more than
   ``window_days`` apart (:mod:`civicgrid.insight.linking`).
4. Groups are the connected components of the links, kept when they hold ``min_size`` items.
   A component whose items spread over more than ``max_span_days`` has chained problems
   together link by link; it is split at its weakest links (the bar rises by ``split_step``
   until every piece lies within ``max_span_days``). A group is then cut back to the items
   close to its centre (``core_threshold``), so that one loose link cannot glue two problems
   together (:mod:`civicgrid.insight.grouping`).
5. A second pass joins the items whose titles share a rare, distinctive word — one problem
   told in very different words (:mod:`civicgrid.insight.rare_terms`).
6. A third pass gathers the items whose titles name no specific place and share a topic
   phrase: one city-wide question (a subsidy, an admission rule) asked by many people in
   their own words. Such a group is a *topic* problem, labelled without a place
   (:mod:`civicgrid.insight.policy_topics`).

Each group is scored (:class:`HeatWeights`) and explained with its key terms, places, date
range and the items nearest its centre.
"""

from __future__ import annotations

import gc
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from civicgrid.insight import (
    grouping,
    labels,
    linking,
    places,
    policy_topics,
    rare_terms,
    similarity,
)


@dataclass(frozen=True, slots=True)
class HotspotItem:
    """One appeal or message as the miner sees it.

    ``key`` identifies it to the caller (an appeal number, a message id). ``areas`` are
    district-level places (items naming different areas are never grouped); ``places`` are
    finer named places (a shared one lowers the similarity needed). ``caller`` identifies the
    person (a keyed phone hash, a user id; empty when unknown). ``severity`` is 1 for an
    ordinary appeal and up to 3 for the most urgent.
    """

    key: str
    title: str
    text: str
    at: datetime
    caller: str = ""
    areas: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    support: int = 0
    oppose: int = 0
    severity: float = 1.0


def item_from_text(
    *,
    key: str,
    title: str,
    text: str,
    at: datetime,
    caller: str = "",
    support: int = 0,
    oppose: int = 0,
    severity: float = 1.0,
    extra_areas: frozenset[str] = frozenset(),
    extra_places: frozenset[str] = frozenset(),
) -> HotspotItem:
    """An item whose areas and places are read from its own title and text (plus any the
    caller already knows, e.g. the appeal's region). A district named in the title wins over
    districts named further down (those are often the caller's address or a company's)."""
    found = places.extract(f"{title} {text}")
    title_areas = places.areas_in(title)
    return HotspotItem(
        key=key,
        title=title,
        text=text,
        at=at,
        caller=caller,
        areas=(title_areas or found.areas) | extra_areas,
        places=found.named | extra_places,
        support=support,
        oppose=oppose,
        severity=severity,
    )


@dataclass(frozen=True, slots=True)
class HeatWeights:
    """How much each signal adds to a group's heat (all terms are logarithmic or bounded, so
    no single signal runs away):

    heat = size·ln(1+n) + callers·ln(1+distinct callers) + votes·ln(1+max(support−oppose, 0))
    + growth·g + severity·(mean severity − 1),

    where g ∈ [−1, 1] compares the second half of the period with the first.
    """

    size: float = 1.0
    callers: float = 1.5
    votes: float = 0.5
    growth: float = 0.5
    severity: float = 1.0


@dataclass(frozen=True, slots=True)
class HotspotConfig:
    """Tuning of the miner; the defaults were chosen on the 2020 Teddy Cup messages
    (docs/domain/insight.md)."""

    link_threshold: float = 0.5
    place_link_threshold: float = 0.3
    other_place_threshold: float = 0.75
    common_place_share: float = 0.02
    core_threshold: float = 0.3
    window_days: int = 45
    neighbours: int = 15
    block_by_area: bool = True
    max_span_days: int = 180
    split_step: float = 0.02
    min_size: int = 2
    title_repeat: int = 2
    title_weight: float = 0.0
    body_chars: int = 400
    word_body_chars: int = 60
    min_term_share: float = 0.4
    max_df: float = 0.1
    block_rows: int = 500
    key_terms: int = 6
    samples: int = 3
    weights: HeatWeights = field(default_factory=HeatWeights)
    rare_terms: rare_terms.RareTermConfig = field(default_factory=rare_terms.RareTermConfig)
    topics: policy_topics.TopicConfig = field(default_factory=policy_topics.TopicConfig)


@dataclass(frozen=True, slots=True)
class Sample:
    """An item shown as an example of a group."""

    key: str
    title: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Hotspot:
    """One hot problem: its members, its score (with the parts that make it up) and its
    explanation."""

    rank: int
    heat: float
    size: int
    callers: int
    support: int
    oppose: int
    growth: float
    severity: float
    first_at: datetime
    last_at: datetime
    terms: tuple[str, ...]
    areas: tuple[str, ...]
    places: tuple[str, ...]
    samples: tuple[Sample, ...]
    members: tuple[str, ...]
    heat_parts: dict[str, float]
    topic: str = ""
    """The phrase of a topic problem, which names no single place (empty for the others)."""

    @property
    def label(self) -> str:
        """A short Chinese title: the main place and the problem's distinctive terms, without
        stop words and pieces of the place (:func:`civicgrid.insight.labels.hot_label`); for a
        topic problem its scope and phrase (:func:`civicgrid.insight.labels.topic_label`)."""
        if self.topic:
            return labels.topic_label(self.topic, self.areas, self.terms)
        return labels.hot_label(self.places, self.areas, self.terms)


def _specific_places(place_counts: Counter[str], n: int, config: HotspotConfig) -> frozenset[str]:
    """Named places specific enough to vouch for two items being about the same spot: those
    named by at most ``common_place_share`` of the ``n`` items (and always those named by 20
    or fewer; ``place_counts`` counts the items naming each). A phrase such as "马路市场" that
    the place rules take for a name is common across unrelated appeals, so it must not lower
    the bar."""
    limit = max(20.0, config.common_place_share * n)
    return frozenset(p for p, c in place_counts.items() if c <= limit)


def _growth(ats: Sequence[float], span: tuple[float, float]) -> float:
    mid = (span[0] + span[1]) / 2.0
    late = sum(1 for a in ats if a >= mid)
    early = len(ats) - late
    return (late - early) / len(ats) if ats else 0.0


def _score(
    n: int, callers: int, support: int, oppose: int, growth: float, severity: float, w: HeatWeights
) -> dict[str, float]:
    return {
        "size": w.size * math.log1p(n),
        "callers": w.callers * math.log1p(callers),
        "votes": w.votes * math.log1p(max(support - oppose, 0)),
        "growth": w.growth * growth,
        "severity": w.severity * (severity - 1.0),
    }


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while mining: a run allocates millions of small objects
    (tokens, index lists) that hold no cycles, and the collector's full passes over them cost
    about an eighth of a 100,000-appeal run. Turned back on afterwards (if it was on)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def find_hotspots(
    items: Sequence[HotspotItem],
    *,
    config: HotspotConfig | None = None,
    span: tuple[datetime, datetime] | None = None,
    limit: int | None = None,
) -> list[Hotspot]:
    """The hot problems among ``items``, hottest first (ranks start at 1); the ``limit``
    hottest when given (only those are explained).

    ``span`` is the period the items were drawn from (for the growth signal); by default the
    range of the items' own times from the first percentile on (one stray old message must
    not stretch the span). An empty input gives an empty list.
    """
    if not items:
        return []
    with _collector_paused():
        return _find(items, config or HotspotConfig(), span, limit)


def _find(
    items: Sequence[HotspotItem],
    config: HotspotConfig,
    span: tuple[datetime, datetime] | None,
    limit: int | None,
) -> list[Hotspot]:
    order = sorted(range(len(items)), key=lambda k: (items[k].at, items[k].key))
    ordered = [items[k] for k in order]
    times = [it.at.timestamp() for it in ordered]
    areas = [it.areas for it in ordered]
    texts = similarity.texts_for(
        [(it.title, it.text) for it in ordered],
        body_chars=config.body_chars,
        word_body_chars=config.word_body_chars,
        title_repeat=config.title_repeat,
    )
    segmenter = similarity.Segmenter()
    vectors = similarity.vectorise(
        texts,
        max_df=config.max_df,
        title_weight=config.title_weight,
        segmenter=segmenter,
    )
    x = vectors.combined
    low = min(config.link_threshold, config.place_link_threshold)
    place_counts = Counter(p for it in ordered for p in it.places)
    specific = _specific_places(place_counts, len(ordered), config)
    specific_of = [it.places & specific for it in ordered]
    titles = [t[2] for t in texts]
    callers = [it.caller for it in ordered]
    li, lj, sims = similarity.neighbour_links(
        x,
        times,
        low=low,
        window_days=config.window_days,
        neighbours=config.neighbours,
        block_rows=config.block_rows,
        blocks=linking.area_blocks(areas) if config.block_by_area else None,
    )
    edges = linking.edges(
        areas,
        specific_of,
        li,
        lj,
        sims,
        linking.Thresholds(
            same_place=config.place_link_threshold,
            other_places=config.other_place_threshold,
            otherwise=config.link_threshold,
        ),
    )
    span_ts = (
        (span[0].timestamp(), span[1].timestamp())
        if span is not None
        else (times[len(times) // 100], times[-1])
    )
    cores: list[list[int]] = []
    components = grouping.chain_free_components(
        len(ordered),
        edges,
        np.asarray(times),
        max_span=config.max_span_days * 86400.0,
        start=low,
        step=config.split_step,
    )
    groups = [
        group
        for component in components
        if len(component) >= config.min_size
        for group in grouping.split_by_area(component, areas, x)
        if len(group) >= config.min_size
    ]
    for core in grouping.trim_all_to_core(groups, x, config.core_threshold):
        if len(core) >= config.min_size:
            cores.append(core)
    place_names = frozenset(p for p, c in place_counts.items() if c >= 2)
    cores = rare_terms.merge_by_rare_terms(
        cores,
        words=vectors.words,
        combined=x,
        vocabulary=vectors.vocabulary,
        times=times,
        titles=titles,
        areas=areas,
        place_names=place_names,
        config=config.rare_terms,
        terms=segmenter.terms,
    )
    cores, topic_of = policy_topics.merge_topics(
        cores,
        policy_topics.find_topics(
            titles=titles,
            placed=policy_topics.titles_naming_places(
                [(it.title, own) for it, own in zip(ordered, specific_of, strict=True)]
            ),
            places=specific_of,
            place_names=place_names,
            callers=callers,
            times=times,
            config=config.topics,
            cut=segmenter.words,
        ),
        callers=callers,
        config=config.topics,
    )
    # Groups rank by their heat alone, so only the ``limit`` hottest are explained.
    heats = [_heat(core, ordered, times, span_ts, config.weights) for core in cores]
    order = sorted(
        range(len(cores)),
        key=lambda k: (-heats[k].heat, -len(cores[k]), ordered[min(cores[k])].at, min(cores[k])),
    )[:limit]
    shown = [cores[k] for k in order]
    words_used = grouping.group_counts(vectors.words, shown)
    shown_terms = similarity.shown_terms(vectors.vocabulary)
    found = [
        _explain(
            core,
            sims,
            heats[k],
            ordered,
            vectors,
            words_used[row],
            shown_terms,
            config,
            topic_of.get(k, ""),
        )
        for row, (k, core, sims) in enumerate(
            zip(order, shown, grouping.centre_sims(x, shown), strict=True)
        )
    ]
    return [replace(h, rank=rank) for rank, h in enumerate(found, start=1)]


def ranking_key(h: Hotspot) -> tuple[float, int, datetime, str]:
    """Hot problems rank by heat, then size, then the earliest first, then the first member."""
    return (-h.heat, -h.size, h.first_at, h.members[0])


def _most_common(counts: Counter[str], k: int) -> list[tuple[str, int]]:
    """The ``k`` most frequent, ties by name (sets iterate in a per-process order)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


@dataclass(frozen=True, slots=True)
class _Heat:
    """A group's score and the counts it is made of."""

    callers: int
    support: int
    oppose: int
    growth: float
    severity: float
    parts: dict[str, float]

    @property
    def heat(self) -> float:
        return round(sum(self.parts.values()), 4)


def _heat(
    members: list[int],
    ordered: Sequence[HotspotItem],
    times: Sequence[float],
    span: tuple[float, float],
    weights: HeatWeights,
) -> _Heat:
    group = [ordered[m] for m in members]
    n = len(group)
    callers = len({g.caller for g in group if g.caller}) or n
    support = sum(g.support for g in group)
    oppose = sum(g.oppose for g in group)
    severity = sum(g.severity for g in group) / n
    growth = _growth([times[m] for m in members], span)
    parts = _score(n, callers, support, oppose, growth, severity, weights)
    return _Heat(callers, support, oppose, growth, severity, parts)


def _explain(
    members: list[int],
    centre_sims: np.ndarray,
    heat: _Heat,
    ordered: Sequence[HotspotItem],
    vectors: similarity.Vectors,
    words_used: tuple[np.ndarray, np.ndarray],
    shown_terms: np.ndarray,
    config: HotspotConfig,
    topic: str = "",
) -> Hotspot:
    """``words_used`` are the words the group uses and how many members use each."""
    group = [ordered[m] for m in members]
    n = len(group)
    idf, vocab = vectors.idf, vectors.vocabulary
    key_terms: tuple[str, ...] = ()
    if vocab:
        cols, present = words_used
        if cols.size:
            share = present.astype(np.float32) / n
            # A key term is one most members use, and rare elsewhere.
            floor = min(config.min_term_share, float(share.max())) if n > 2 else 0.0
            score = np.where((share >= floor) & shown_terms[cols], share * share * idf[cols], -1.0)
            top = np.argsort(-score, kind="stable")[: 4 * config.key_terms]
            key_terms = tuple(vocab[int(cols[t])] for t in top.tolist() if score[t] > 0)
    # Rounded, so that members as near as each other (both of a pair) come in time order
    # whatever the last bits of the sums (group members come in time order).
    nearest = np.argsort(-np.round(centre_sims, 5), kind="stable")[: config.samples].tolist()
    in_time = sorted(members)  # rows are in (time, key) order
    area_counts = Counter(a for g in group for a in g.areas)
    place_counts = Counter(p for g in group for p in g.places)
    min_share = 2 if n > 2 else 1
    if topic:
        # A topic names no single place; its district only when every member names it.
        named: tuple[str, ...] = ()
        area_counts = Counter({a: c for a, c in area_counts.items() if c == n})
        key_terms = labels.label_terms(key_terms, [topic], config.key_terms)
    else:
        candidates = [p for p, c in _most_common(place_counts, 5) if c >= min_share]
        named = (
            labels.usable_places(
                candidates, [f"{g.title} {g.text[: config.body_chars]}" for g in group]
            )
            if candidates
            else ()
        )
        key_terms = labels.label_terms(key_terms, named[:1], config.key_terms)
    return Hotspot(
        rank=0,
        heat=heat.heat,
        size=n,
        callers=heat.callers,
        support=heat.support,
        oppose=heat.oppose,
        growth=round(heat.growth, 4),
        severity=round(heat.severity, 4),
        first_at=ordered[in_time[0]].at,
        last_at=ordered[in_time[-1]].at,
        terms=key_terms,
        areas=tuple(a for a, _ in _most_common(area_counts, 3)),
        places=named,
        samples=tuple(Sample(group[k].key, group[k].title, group[k].at) for k in nearest),
        members=tuple(ordered[m].key for m in in_time),
        heat_parts={k: round(v, 4) for k, v in heat.parts.items()},
        topic=topic,
    )
