"""Proactive-governance reports over the appeals an actor may see: hot problems of a period,
weekly trends with spikes, next month's forecast with its backtest, and monthly-topic
candidates. Read-only (no use case, no commit); the pure rules live in ``hotspots``,
``trends`` and ``topics``.

:func:`hotspots_for` is the entry point for dashboards: it returns the explained hot problems of
a period within the actor's data scope (optionally narrowed to one region).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.queries import scoped_facts
from civicgrid.appeals.queries.scoped_facts import AppealFacts
from civicgrid.appeals.states import Satisfaction
from civicgrid.auth.actor import Actor
from civicgrid.insight import hotspots, places, topics, trends
from civicgrid.kit.periods import Period, local_date, local_day_start
from civicgrid.territory import queries as territory_queries

# How much an appeal's urgency level adds to a hot problem's severity (1 = ordinary).
SEVERITY: dict[str, float] = {
    UrgencyLevel.EMERGENCY.value: 3.0,
    UrgencyLevel.UTILITY.value: 2.0,
    UrgencyLevel.COMPLEX.value: 1.5,
    UrgencyLevel.GENERAL.value: 1.0,
}
AREA_DEPTH = 2
"""Hot problems never join appeals of different districts (path depth 2: city, district)."""
UNCATEGORISED = "未分类"
UNLOCATED = "未定位"


def _path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p.isdigit()]


def _path_prefix(path: str, depth: int) -> str:
    ids = _path_ids(path)
    if len(ids) < depth:
        return ""
    return "/" + "/".join(str(i) for i in ids[:depth]) + "/"


def district_path(path: str) -> str:
    """The district prefix of a region path ("/1/4/" of "/1/4/17/"); "" above district level."""
    return _path_prefix(path, AREA_DEPTH)


def _scope_path(session: Session, actor: Actor, region_code: str | None) -> tuple[str, str]:
    """(path, name) of the region the report is narrowed to; ("", "") for the whole scope."""
    if not region_code:
        return "", ""
    region = territory_queries.get_region_for(session, actor, region_code)
    return region.path, region.name


# --- hot problems --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HotspotReport:
    """The hot problems of one period within a scope, hottest first."""

    period: Period
    region_name: str
    appeals: int
    hotspots: list[hotspots.Hotspot]
    computed_at: datetime | None = None
    """When the hot problems were mined, for a report served from the cache; None when
    computed for this request."""


def _caller_of(row: AppealFacts) -> str:
    if row.caller_hash:
        return f"phone:{row.caller_hash}"
    if row.resident_user_id is not None:
        return f"user:{row.resident_user_id}"
    return ""


def appeal_item(row: AppealFacts) -> hotspots.HotspotItem:
    """The miner's view of one stored appeal: its district comes from its region (not from
    the text), its community or grid is a named place next to those found in the text."""
    text = f"{row.title} {row.content} {row.address}"
    found = places.extract(text)
    area = _path_prefix(row.region_path, AREA_DEPTH)
    region_ids = _path_ids(row.region_path)
    fine = {f"#{region_ids[-1]}"} if len(region_ids) > AREA_DEPTH else set()
    return hotspots.HotspotItem(
        key=row.number,
        title=row.title,
        text=f"{row.content} {row.address}".strip(),
        at=row.received_at,
        caller=_caller_of(row),
        areas=frozenset({area}) if area else found.areas,
        places=found.named | fine,
        severity=SEVERITY.get(row.level, 1.0),
    )


def _named(values: Iterable[str], names: dict[int, str]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        if v.startswith("#") and v[1:].isdigit():
            out.append(names.get(int(v[1:]), v))
        elif v.startswith("/"):
            ids = _path_ids(v)
            out.append(names.get(ids[-1], v) if ids else v)
        else:
            out.append(v)
    return tuple(out)


def find_in_facts(
    rows: Sequence[AppealFacts],
    *,
    period: Period,
    limit: int | None,
    config: hotspots.HotspotConfig | None = None,
) -> list[hotspots.Hotspot]:
    """The hot problems among ``rows`` (appeals of ``period``), hottest first, with area and
    place keys still as region ids and paths (:func:`with_region_names` shows them by name).
    Pure: no database access, so a job can run it with no transaction open."""
    return hotspots.find_hotspots(
        [appeal_item(r) for r in rows],
        config=config,
        span=(period.start_utc, period.end_utc),
        limit=limit,
    )


def with_region_names(
    session: Session, found: Sequence[hotspots.Hotspot]
) -> list[hotspots.Hotspot]:
    """``found`` with its area and place keys (``#id`` or a region path) shown by region
    name (one read of the regions they name)."""
    region_ids: set[int] = set()
    for h in found:
        for v in (*h.areas, *h.places):
            if v.startswith("#") and v[1:].isdigit():
                region_ids.add(int(v[1:]))
            elif v.startswith("/"):
                region_ids.update(_path_ids(v)[-1:])
    names = {i: r.name for i, r in territory_queries.regions_by_ids(session, region_ids).items()}
    return [replace(h, areas=_named(h.areas, names), places=_named(h.places, names)) for h in found]


def mine_facts(
    session: Session,
    rows: Sequence[AppealFacts],
    *,
    period: Period,
    limit: int | None,
    config: hotspots.HotspotConfig | None = None,
) -> list[hotspots.Hotspot]:
    """The hot problems among ``rows`` (appeals of ``period``), hottest first, with area and
    place keys shown by region name."""
    found = find_in_facts(rows, period=period, limit=limit, config=config)
    return with_region_names(session, found)


def hotspots_for(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    region_code: str | None = None,
    limit: int = 20,
    config: hotspots.HotspotConfig | None = None,
) -> HotspotReport:
    """The hot problems among the appeals ``actor`` may see, received in ``period`` (and in
    the region ``region_code`` when given), hottest first, computed now (seconds for a
    district-month; :mod:`civicgrid.insight.snapshots` keeps recent months ready). Area and
    place keys are shown by region name. An empty period gives an empty list."""
    path, region_name = _scope_path(session, actor, region_code)
    rows = scoped_facts.appeal_facts_for(
        session, actor, start=period.start_utc, end=period.end_utc, region_path=path or None
    )
    found = mine_facts(session, rows, period=period, limit=limit, config=config)
    return HotspotReport(period=period, region_name=region_name, appeals=len(rows), hotspots=found)


# --- trends and forecast -------------------------------------------------------------------


def _group_key(category: str, region: str, by: str) -> str:
    if by == "category":
        return category or UNCATEGORISED
    if by == "region":
        return region or UNLOCATED
    return f"{category or UNCATEGORISED} · {region or UNLOCATED}"


def _region_labeller(session: Session, paths: Iterable[str], depth: int) -> dict[str, str]:
    prefixes = {_path_prefix(p, depth) for p in paths}
    ids = {_path_ids(p)[-1] for p in prefixes if p}
    names = {i: r.name for i, r in territory_queries.regions_by_ids(session, ids).items()}
    return {p: names.get(_path_ids(p)[-1], p) for p in prefixes if p}


@dataclass(frozen=True, slots=True)
class TrendSeries:
    key: str
    total: int
    weeks: list[date]
    points: list[trends.WeekPoint]

    @property
    def spikes(self) -> list[tuple[date, trends.WeekPoint]]:
        return [(self.weeks[p.index], p) for p in self.points if p.spike]


@dataclass(frozen=True, slots=True)
class TrendReport:
    first_week: date
    last_week: date
    by: str
    series: list[TrendSeries]


def _grouped_events(
    session: Session,
    actor: Actor,
    *,
    start: datetime,
    end: datetime,
    by: str,
    region_path: str,
    depth: int,
) -> list[tuple[date, str]]:
    rows = scoped_facts.received_facts_for(
        session, actor, start=start, end=end, region_path=region_path or None
    )
    labels = _region_labeller(session, (p for _, _, p in rows), depth)
    return [
        (local_date(at), _group_key(cat, labels.get(_path_prefix(path, depth), ""), by))
        for at, cat, path in rows
    ]


def trends_for(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    weeks: int = 26,
    by: str = "category",
    region_code: str | None = None,
    region_depth: int = AREA_DEPTH,
    limit: int = 20,
    config: trends.SpikeConfig | None = None,
) -> TrendReport:
    """Weekly counts of the last ``weeks`` complete weeks before ``now`` per category, region
    or both (``by``), with baselines and spike flags; the ``limit`` busiest series plus the
    total ("全部"). Spike baselines read up to two years before the first week shown."""
    path, _ = _scope_path(session, actor, region_code)
    last_week = trends.week_start(local_date(now)) - timedelta(days=7)
    first_shown = last_week - timedelta(days=7 * (weeks - 1))
    history_start = first_shown - timedelta(days=7 * 2 * trends.SEASON_WEEKS + 7)
    events = _grouped_events(
        session,
        actor,
        start=local_day_start(history_start),
        end=local_day_start(last_week + timedelta(days=7)),
        by=by,
        region_path=path,
        depth=region_depth,
    )
    counts = trends.weekly_counts(events, first_week=history_start, last_week=last_week)
    counts["全部"] = trends.weekly_counts(
        ((d, "全部") for d, _ in events), first_week=history_start, last_week=last_week
    ).get("全部", [0] * ((last_week - history_start).days // 7 + 1))
    n_hist = len(counts["全部"])
    offset = n_hist - weeks
    week_dates = [history_start + timedelta(days=7 * (offset + i)) for i in range(weeks)]
    ranked = sorted(
        (k for k in counts if k != "全部"), key=lambda k: (-sum(counts[k][offset:]), k)
    )[:limit]
    series: list[TrendSeries] = []
    for key in ["全部", *ranked]:
        all_points = trends.spike_flags(counts[key], config)
        shown = [
            trends.WeekPoint(p.index - offset, p.count, p.baseline, p.z, p.spike)
            for p in all_points[offset:]
        ]
        series.append(TrendSeries(key, sum(counts[key][offset:]), week_dates, shown))
    return TrendReport(first_week=week_dates[0], last_week=last_week, by=by, series=series)


@dataclass(frozen=True, slots=True)
class ForecastSeries:
    key: str
    months: list[tuple[int, int]]
    history: list[int]
    forecast: float
    method: str
    backtest: trends.Backtest


@dataclass(frozen=True, slots=True)
class ForecastReport:
    target: tuple[int, int]
    by: str
    series: list[ForecastSeries]
    mape: float | None
    naive_mape: float | None


def forecast_for(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    months: int = 24,
    backtest_months: int = 6,
    by: str = "category",
    region_code: str | None = None,
    region_depth: int = AREA_DEPTH,
    limit: int = 20,
) -> ForecastReport:
    """The forecast for the first month not yet complete at ``now``, per category, region or
    both, from the ``months`` complete months before it, with a backtest over the last
    ``backtest_months`` of them; ``mape`` pools the backtests of the series shown (the total
    "全部" excluded)."""
    path, _ = _scope_path(session, actor, region_code)
    today = local_date(now)
    target = (today.year, today.month)
    first = target
    for _ in range(months):
        first = (first[0] - 1, 12) if first[1] == 1 else (first[0], first[1] - 1)
    last = (target[0] - 1, 12) if target[1] == 1 else (target[0], target[1] - 1)
    events = _grouped_events(
        session,
        actor,
        start=local_day_start(date(first[0], first[1], 1)),
        end=local_day_start(date(target[0], target[1], 1)),
        by=by,
        region_path=path,
        depth=region_depth,
    )
    counts = trends.monthly_counts(events, first=first, last=last)
    total = trends.monthly_counts(((d, "全部") for d, _ in events), first=first, last=last)
    month_keys = trends.month_range(first, last)
    ranked = sorted(counts, key=lambda k: (-sum(counts[k]), k))[:limit]
    series: list[ForecastSeries] = []
    for key in ["全部", *ranked]:
        history = (total if key == "全部" else counts).get(key, [0] * len(month_keys))
        values = [float(v) for v in history]
        series.append(
            ForecastSeries(
                key=key,
                months=month_keys,
                history=history,
                forecast=round(trends.forecast_next(values), 2),
                method=trends.forecast_method(len(values)),
                backtest=trends.backtest(values, months=backtest_months),
            )
        )
    mape, naive = trends.pooled_mape(s.backtest for s in series[1:])
    return ForecastReport(target=target, by=by, series=series, mape=mape, naive_mape=naive)


# --- monthly-topic candidates ----------------------------------------------------------------


def _unit_label(unit: str) -> str:
    return unit.split(":", 2)[2] if unit.count(":") >= 2 else unit


def _problem_records(
    rows: Sequence[AppealFacts],
    labels: dict[str, str],
    config: hotspots.HotspotConfig | None,
) -> list[topics.ProblemRecord]:
    uncategorised = [r for r in rows if not r.category]
    cluster_of: dict[str, tuple[str, str]] = {}
    if uncategorised:
        for h in hotspots.find_hotspots(
            [
                # Topics are city-wide problems: no district split for candidates.
                hotspots.HotspotItem(key=r.number, title=r.title, text=r.content, at=r.received_at)
                for r in uncategorised
            ],
            config=config,
        ):
            for key in h.members:
                cluster_of[key] = (f"hotspot:{h.members[0]}", f"热点：{h.label}")
    records: list[topics.ProblemRecord] = []
    for r in rows:
        if r.category:
            problem, label = f"category:{r.category}", r.category
        elif r.number in cluster_of:
            problem, label = cluster_of[r.number]
        else:
            continue
        records.append(
            topics.ProblemRecord(
                problem=problem,
                label=label,
                key=r.number,
                unit=_unit_label(r.lead_unit),
                region=labels.get(_path_prefix(r.region_path, AREA_DEPTH + 1), ""),
                dissatisfied=r.satisfaction == Satisfaction.DISSATISFIED.value,
                reopened=r.reopen_count > 0,
            )
        )
    return records


def topic_candidates_for(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    region_code: str | None = None,
    config: topics.TopicConfig | None = None,
    hotspot_config: hotspots.HotspotConfig | None = None,
) -> list[topics.TopicCandidate]:
    """Monthly-topic candidates among the appeals ``actor`` may see in ``period``: categories
    (and, for uncategorised appeals, hot-problem groups) that are frequent and cross units or
    streets, ranked (see :mod:`civicgrid.insight.topics`)."""
    path, _ = _scope_path(session, actor, region_code)
    rows = scoped_facts.appeal_facts_for(
        session,
        actor,
        start=period.start_utc,
        end=period.end_utc,
        region_path=path or None,
        with_units=True,
    )
    prev = period.previous()
    prev_rows = scoped_facts.received_facts_for(
        session, actor, start=prev.start_utc, end=prev.end_utc, region_path=path or None
    )
    previous_counts = Counter(f"category:{cat}" for _, cat, _ in prev_rows if cat)
    labels = _region_labeller(session, (r.region_path for r in rows), AREA_DEPTH + 1)
    records = _problem_records(rows, labels, hotspot_config)
    return topics.candidates(records, previous_counts=previous_counts, config=config)
