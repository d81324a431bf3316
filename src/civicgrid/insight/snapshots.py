"""Hot problems kept ready (热点问题缓存): mining a district-month takes seconds, too long for a
dashboard, so the ``insight.hotspots`` job mines the current and the previous month per
district, composes the city from the districts, and stores the result
(:class:`civicgrid.insight.models.HotspotSnapshot`). Readers get the stored groups while they
are fresh, filtered to their data scope.

How a reader's view is cut from a snapshot: the snapshot of the requested region's district
(of the city when the scope spans several districts or the whole city) is read, and a group
is shown only when every one of its appeals lies under the requested region and is visible
to the reader (:func:`civicgrid.appeals.queries.scoped_facts.visible_ids_for`, the appeals
package's own scope rule). A group that straddles the reader's boundary is left out rather
than shown in part. Groups never join districts (:mod:`civicgrid.insight.hotspots`), so the
city's groups are the districts' groups ranked together.

This module reads and builds; the write is the use case
:func:`civicgrid.insight.service.store_hotspot_snapshots`. A refresh
(:func:`civicgrid.insight.service.refresh_hotspot_snapshots`) reads in a short transaction
(:func:`read_period`), mines with no transaction open (:func:`mine_period`, pure) and then
stores in a second short transaction: on SQLite every transaction takes the write lock, so
mining inside one would stall every other write for its whole duration.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from civicgrid.appeals.queries import scoped_facts
from civicgrid.appeals.queries.scoped_facts import AppealFacts
from civicgrid.auth.actor import Actor
from civicgrid.clock import monotonic
from civicgrid.insight import analysis, hotspots, monthly_brief, queries
from civicgrid.insight.models import HotspotSnapshot
from civicgrid.kit.periods import Period, local_date, month_period
from civicgrid.territory import queries as territory_queries

REFRESH_INTERVAL: Final = timedelta(hours=1)
"""How often the job mines the recent months again."""
FRESH_FOR: Final = timedelta(hours=3)
"""A snapshot older than this is not served by the API (it computes on demand instead)."""
STORED_LIMIT: Final = 100
"""Groups kept per snapshot: enough for a street's share of its district's groups."""
CITY: Final = ""


def recent_months(now: datetime) -> list[Period]:
    """The months the job keeps ready: the current Beijing month and the one before."""
    today = local_date(now)
    current = month_period(today.year, today.month)
    return [current, current.previous()]


@dataclass(frozen=True, slots=True)
class StoredHotspot:
    """A hot problem with what a reader's filter needs: its appeals' ids and region paths,
    and the ids of its sample appeals (for links)."""

    hotspot: hotspots.Hotspot
    member_ids: tuple[int, ...]
    member_paths: tuple[str, ...]
    sample_ids: tuple[int, ...]
    place_keys: tuple[str, ...] | None = None
    """The place keys as mined (region ids and paths, before :func:`with_region_names`), which
    the 每月一题 brief matches earlier appeals against; None in snapshots stored before."""
    repeat_callers: int | None = None
    """How many known callers called more than once about this problem (counted by the keyed
    phone hash or the resident's user id, never stored); None in snapshots stored before."""


@dataclass(frozen=True, slots=True)
class MinedRegion:
    """The stored groups of one period in one district (or the city, ``region_path`` "")."""

    region_path: str
    appeals: int
    groups: list[StoredHotspot]
    compute_ms: int


def _caller_key(row: AppealFacts) -> str:
    if row.caller_hash:
        return f"phone:{row.caller_hash}"
    return "" if row.resident_user_id is None else f"user:{row.resident_user_id}"


def _stored(found: Sequence[hotspots.Hotspot], rows: Sequence[AppealFacts]) -> list[StoredHotspot]:
    by_number = {r.number: r for r in rows}
    return [
        StoredHotspot(
            hotspot=h,
            member_ids=tuple(by_number[k].id for k in h.members),
            member_paths=tuple(sorted({by_number[k].region_path for k in h.members})),
            sample_ids=tuple(by_number[s.key].id for s in h.samples),
            place_keys=h.places,
            repeat_callers=monthly_brief.repeat_callers(
                _caller_key(by_number[k]) for k in h.members
            ),
        )
        for h in found
    ]


def _ranked(groups: Sequence[StoredHotspot], limit: int) -> list[StoredHotspot]:
    ordered = sorted(groups, key=lambda g: hotspots.ranking_key(g.hotspot))[:limit]
    return [replace(g, hotspot=replace(g.hotspot, rank=rank)) for rank, g in enumerate(ordered, 1)]


@dataclass(frozen=True, slots=True)
class PeriodFacts:
    """What mining one period needs, read beforehand so that mining runs with no transaction
    open: the period's appeals by district path (every district present, empty or not; the
    appeals placed in no district under ``CITY``)."""

    period: Period
    parts: dict[str, list[AppealFacts]]

    @property
    def appeals(self) -> int:
        return sum(len(rows) for rows in self.parts.values())


Miner = Callable[[PeriodFacts], list[MinedRegion]]
"""The mining step of a refresh: :func:`mine_period`, or a stand-in in tests."""


def read_period(session: Session, period: Period) -> PeriodFacts:
    """Every appeal of ``period`` (a job's global view) split by district. Only reads."""
    rows = scoped_facts.appeal_facts_for(
        session, Actor.system("insight.hotspots"), start=period.start_utc, end=period.end_utc
    )
    parts: dict[str, list[AppealFacts]] = defaultdict(list)
    for district in territory_queries.paths_at_level(session, "district"):
        parts[district] = []  # every district gets a snapshot, empty or not
    for r in rows:
        parts[analysis.district_path(r.region_path)].append(r)
    return PeriodFacts(period=period, parts=dict(parts))


def mine_period(
    facts: PeriodFacts,
    *,
    limit: int = STORED_LIMIT,
    config: hotspots.HotspotConfig | None = None,
) -> list[MinedRegion]:
    """The hot problems of ``facts.period`` in every district (empty ones too), and the
    city's last: the districts' groups together, plus those of appeals placed in no district.
    Pure (no database access): the area and place keys are still region ids and paths until
    :func:`with_region_names`."""
    mined: list[MinedRegion] = []
    city_groups: list[StoredHotspot] = []
    city_ms = 0
    for path in sorted(facts.parts):
        part = mine_region(path, facts.parts[path], facts.period, limit=limit, config=config)
        city_groups.extend(part.groups)
        city_ms += part.compute_ms
        if path != CITY:
            mined.append(part)
    by_number = {r.number: r for rows in facts.parts.values() for r in rows}
    city_groups = merge_topics(
        city_groups, by_number, facts.period, config or hotspots.HotspotConfig()
    )
    mined.append(MinedRegion(CITY, facts.appeals, _ranked(city_groups, limit), city_ms))
    return mined


def merge_topics(
    groups: Sequence[StoredHotspot],
    rows: dict[str, AppealFacts],
    period: Period,
    config: hotspots.HotspotConfig,
) -> list[StoredHotspot]:
    """``groups`` (the districts' groups of one period) with the topic problems of one phrase
    asked in several districts merged into one city-wide problem: mining runs per district, so
    a city-wide question (one subsidy, one admission rule) comes out once per district. Other
    groups are kept as they are. ``rows`` holds every member's facts by tracking number. Pure."""
    by_phrase: dict[str, list[StoredHotspot]] = defaultdict(list)
    for g in groups:
        if g.hotspot.topic:
            by_phrase[g.hotspot.topic].append(g)
    merged = {p: parts for p, parts in by_phrase.items() if len(parts) > 1}
    if not merged:
        return list(groups)
    out = [g for g in groups if g.hotspot.topic not in merged]
    out.extend(_merged_topic(p, parts, rows, period, config) for p, parts in merged.items())
    return out


def _merged_topic(
    phrase: str,
    parts: Sequence[StoredHotspot],
    rows: dict[str, AppealFacts],
    period: Period,
    config: hotspots.HotspotConfig,
) -> StoredHotspot:
    """One city-wide topic problem from the districts' ``parts`` of one ``phrase``: counts and
    heat over all members (by the miner's heat formula), the terms most used across the parts,
    samples taken in turn from the parts (largest first), no area and no place."""
    parts = sorted(parts, key=lambda g: (-g.hotspot.size, g.hotspot.members))
    members = sorted(
        {k for g in parts for k in g.hotspot.members}, key=lambda k: (rows[k].received_at, k)
    )
    facts = [rows[k] for k in members]
    n = len(facts)
    callers = len({c for c in (_caller_key(r) for r in facts) if c}) or n
    support = sum(g.hotspot.support for g in parts)
    oppose = sum(g.hotspot.oppose for g in parts)
    severity = sum(g.hotspot.severity * g.hotspot.size for g in parts) / max(
        sum(g.hotspot.size for g in parts), 1
    )
    middle = period.start_utc + (period.end_utc - period.start_utc) / 2
    late = sum(1 for r in facts if r.received_at >= middle)
    growth = (2 * late - n) / n if n else 0.0
    heat_parts = {
        k: round(v, 4)
        for k, v in hotspots._score(  # the miner's own formula (HeatWeights)
            n, callers, support, oppose, growth, severity, config.weights
        ).items()
    }
    weight: dict[str, int] = defaultdict(int)
    for g in parts:
        for t in g.hotspot.terms:
            weight[t] += g.hotspot.size
    terms = tuple(sorted(weight, key=lambda t: -weight[t])[: config.key_terms])
    turns = [list(zip(g.hotspot.samples, g.sample_ids, strict=True)) for g in parts]
    samples: list[tuple[hotspots.Sample, int]] = []
    for i in range(config.samples):  # in turn from each part, largest first
        samples.extend(t[i] for t in turns if i < len(t))
    samples = samples[: config.samples]
    ids = {r.number: r.id for r in facts}
    return StoredHotspot(
        hotspot=hotspots.Hotspot(
            rank=0,
            heat=round(sum(heat_parts.values()), 4),
            size=n,
            callers=callers,
            support=support,
            oppose=oppose,
            growth=round(growth, 4),
            severity=round(severity, 4),
            first_at=min(g.hotspot.first_at for g in parts),
            last_at=max(g.hotspot.last_at for g in parts),
            terms=terms,
            areas=(),
            places=(),
            samples=tuple(s for s, _ in samples),
            members=tuple(members),
            heat_parts=heat_parts,
            topic=phrase,
        ),
        member_ids=tuple(ids[k] for k in members),
        member_paths=tuple(sorted({p for g in parts for p in g.member_paths})),
        sample_ids=tuple(i for _, i in samples),
        place_keys=(),
        repeat_callers=monthly_brief.repeat_callers(_caller_key(r) for r in facts),
    )


def mine_region(
    path: str,
    rows: Sequence[AppealFacts],
    period: Period,
    *,
    limit: int = STORED_LIMIT,
    config: hotspots.HotspotConfig | None = None,
) -> MinedRegion:
    """The hot problems among ``rows``, the appeals of ``period`` in the district ``path``.
    Pure, like :func:`mine_period`."""
    started = monotonic()
    found = analysis.find_in_facts(rows, period=period, limit=limit, config=config)
    groups = _stored(found, rows)
    return MinedRegion(path, len(rows), groups, round((monotonic() - started) * 1000))


def read_district(session: Session, period: Period, district_path: str) -> list[AppealFacts]:
    """Every appeal of ``period`` in the district ``district_path`` (a job's global view, as
    :func:`read_period` reads them). Only reads."""
    return scoped_facts.appeal_facts_for(
        session,
        Actor.system("insight.hotspots"),
        start=period.start_utc,
        end=period.end_utc,
        region_path=district_path,
    )


def settled(computed_at: datetime, period: Period) -> bool:
    """Whether a snapshot of ``period`` was taken after the period ended: appeals are filed
    with the time they are received, so such a snapshot no longer ages (only a back-dated
    import into a closed month would be missed until the month is mined again)."""
    return computed_at >= period.end_utc


def serves_brief(snapshot: HotspotSnapshot, period: Period, now: datetime) -> bool:
    """Whether the 每月一题 brief of ``period`` may be cut from ``snapshot``: taken less than
    :data:`FRESH_FOR` ago or after the month ended (:func:`settled`), and stored with the
    fields the brief needs (place keys and repeat callers; every stored group has them since
    they were added, none before)."""
    if not (snapshot.computed_at >= now - FRESH_FOR or settled(snapshot.computed_at, period)):
        return False
    return all("place_keys" in d and "repeat_callers" in d for d in snapshot.hotspots)


def with_region_names(session: Session, mined: Sequence[MinedRegion]) -> list[MinedRegion]:
    """``mined`` with the groups' area and place keys shown by region name (one short read)."""
    found = [g.hotspot for m in mined for g in m.groups]
    named = iter(analysis.with_region_names(session, found))
    return [replace(m, groups=[replace(g, hotspot=next(named)) for g in m.groups]) for m in mined]


# --- stored form -----------------------------------------------------------------------------


def to_json(g: StoredHotspot) -> dict[str, Any]:
    """The JSON stored for one group (times as ISO text)."""
    h = g.hotspot
    return {
        "rank": h.rank,
        "heat": h.heat,
        "size": h.size,
        "callers": h.callers,
        "support": h.support,
        "oppose": h.oppose,
        "growth": h.growth,
        "severity": h.severity,
        "first_at": h.first_at.isoformat(),
        "last_at": h.last_at.isoformat(),
        "terms": list(h.terms),
        "areas": list(h.areas),
        "places": list(h.places),
        "samples": [
            {"key": s.key, "title": s.title, "at": s.at.isoformat(), "id": sid}
            for s, sid in zip(h.samples, g.sample_ids, strict=True)
        ],
        "members": list(h.members),
        "member_ids": list(g.member_ids),
        "member_paths": list(g.member_paths),
        "heat_parts": dict(h.heat_parts),
        "topic": h.topic,
        "place_keys": list(g.place_keys or ()),
        "repeat_callers": g.repeat_callers or 0,
    }


def from_json(d: dict[str, Any]) -> StoredHotspot:
    """The group stored by :func:`to_json`."""
    samples = d["samples"]
    return StoredHotspot(
        hotspot=hotspots.Hotspot(
            rank=int(d["rank"]),
            heat=float(d["heat"]),
            size=int(d["size"]),
            callers=int(d["callers"]),
            support=int(d["support"]),
            oppose=int(d["oppose"]),
            growth=float(d["growth"]),
            severity=float(d["severity"]),
            first_at=datetime.fromisoformat(d["first_at"]),
            last_at=datetime.fromisoformat(d["last_at"]),
            terms=tuple(d["terms"]),
            areas=tuple(d["areas"]),
            places=tuple(d["places"]),
            samples=tuple(
                hotspots.Sample(s["key"], s["title"], datetime.fromisoformat(s["at"]))
                for s in samples
            ),
            members=tuple(d["members"]),
            heat_parts={k: float(v) for k, v in d["heat_parts"].items()},
            topic=str(d.get("topic", "")),  # snapshots stored before topics have none
        ),
        member_ids=tuple(int(i) for i in d["member_ids"]),
        member_paths=tuple(d["member_paths"]),
        sample_ids=tuple(int(s["id"]) for s in samples),
        place_keys=tuple(d["place_keys"]) if "place_keys" in d else None,
        repeat_callers=int(d["repeat_callers"]) if "repeat_callers" in d else None,
    )


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CachedHotspots:
    """A reader's cut of a snapshot: the report, and the sample and member appeals' ids per
    group (in the report's order) for links."""

    report: analysis.HotspotReport
    sample_ids: list[tuple[int, ...]]
    member_ids: list[tuple[int, ...]] = field(default_factory=list)


def _snapshot_key(session: Session, actor: Actor, region_code: str | None) -> tuple[str, str, str]:
    """(snapshot region path, path the groups must lie under, region name) for a reader."""
    if region_code:
        region = territory_queries.get_region_for(session, actor, region_code)
        return analysis.district_path(region.path), region.path, region.name
    if actor.scope.is_global:
        return CITY, "", ""
    districts = {analysis.district_path(p) for p in actor.scope.minimal_paths()}
    if len(districts) == 1:
        return districts.pop(), "", ""
    return CITY, "", ""


def cached_hotspots_for(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    now: datetime,
    region_code: str | None = None,
    limit: int = 20,
    fresh_for: timedelta | None = FRESH_FOR,
) -> CachedHotspots | None:
    """The stored hot problems of ``period`` that ``actor`` may see (under ``region_code``
    when given), re-ranked from 1, with the snapshot's ``computed_at``; None when there is no
    snapshot or it is older than ``fresh_for`` (None: any age). Raises NotFound for a region
    outside the scope, like :func:`civicgrid.insight.analysis.hotspots_for`."""
    snapshot_path, under, region_name = _snapshot_key(session, actor, region_code)
    snapshot = queries.find_snapshot(session, period.key, snapshot_path)
    if snapshot is None:
        return None
    if fresh_for is not None and snapshot.computed_at < now - fresh_for:
        return None
    return _cut(
        session,
        snapshot,
        actor=actor,
        period=period,
        under=under,
        region_name=region_name,
        limit=limit,
    )


def hotspots_report(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    now: datetime,
    region_code: str | None = None,
    limit: int = 20,
    recompute: bool = False,
) -> analysis.HotspotReport:
    """The hot problems for the API: from the fresh snapshot when there is one (its
    ``computed_at`` set), otherwise — or with ``recompute`` — computed now
    (:func:`civicgrid.insight.analysis.hotspots_for`, ``computed_at`` None)."""
    if not recompute:
        cached = cached_hotspots_for(
            session, actor=actor, period=period, now=now, region_code=region_code, limit=limit
        )
        if cached is not None:
            return cached.report
    return analysis.hotspots_for(
        session, actor=actor, period=period, region_code=region_code, limit=limit
    )


def visible_groups(
    session: Session, actor: Actor, groups: Sequence[StoredHotspot], *, under: str
) -> list[StoredHotspot]:
    """Those of ``groups`` whose every appeal lies under the region path ``under`` (any when
    "") and is visible to ``actor``; a group straddling the reader's boundary is left out."""
    kept = groups_under(groups, under)
    if actor.scope.is_global:
        return kept
    visible = scoped_facts.visible_ids_for(session, actor, (i for g in kept for i in g.member_ids))
    return [g for g in kept if all(i in visible for i in g.member_ids)]


def groups_under(groups: Sequence[StoredHotspot], under: str) -> list[StoredHotspot]:
    """Those of ``groups`` whose every appeal lies under the region path ``under``. Pure."""
    return [g for g in groups if all(p.startswith(under) for p in g.member_paths)]


def _cut(
    session: Session,
    snapshot: HotspotSnapshot,
    *,
    actor: Actor,
    period: Period,
    under: str,
    region_name: str,
    limit: int,
) -> CachedHotspots:
    groups = visible_groups(session, actor, [from_json(d) for d in snapshot.hotspots], under=under)
    narrowed = bool(under) or not actor.scope.is_global
    kept = _ranked(groups, limit)
    appeals = (
        scoped_facts.count_received_in(
            session, actor, start=period.start_utc, end=period.end_utc, region_path=under or None
        )
        if narrowed
        else snapshot.appeals
    )
    report = analysis.HotspotReport(
        period=period,
        region_name=region_name,
        appeals=appeals,
        hotspots=[g.hotspot for g in kept],
        computed_at=snapshot.computed_at,
    )
    return CachedHotspots(
        report=report,
        sample_ids=[g.sample_ids for g in kept],
        member_ids=[g.member_ids for g in kept],
    )
