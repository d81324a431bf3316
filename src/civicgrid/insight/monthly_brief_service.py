"""每月一题 proposals for a district-month or a street-month: the miner's groups among the
appeals the reader may see in the area and month, as ranked candidates with their evidence
(rules in :mod:`civicgrid.insight.monthly_brief`), the one-page Excel brief for the leaders'
meeting (the PDF is in :mod:`civicgrid.insight.monthly_brief_pdf`), and the use case that
adopts a candidate as a problem of the month's topic (:func:`adopt_candidate`, through the
governance service :func:`civicgrid.insight.service.add_task`).

Mined on read (seconds for a district-month, like
:func:`civicgrid.insight.analysis.hotspots_for`): a brief is opened for a meeting, not on
every dashboard view. No personal data leaves this module: repeat callers are counted by the
keyed phone hash or the resident's user id, never shown.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.orm import Session

from civicgrid.appeals.queries import scoped_facts
from civicgrid.appeals.queries.scoped_facts import AppealFacts
from civicgrid.auth.actor import Actor
from civicgrid.clock import to_beijing
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Forbidden, NotFound
from civicgrid.insight import analysis, hotspots, snapshots
from civicgrid.insight import monthly_brief as rules
from civicgrid.insight import queries as insight_queries
from civicgrid.insight import service as insight_service
from civicgrid.insight.governance import MAX_TASKS_PER_TOPIC, TaskStatus
from civicgrid.insight.models import GovernanceTask
from civicgrid.kit.periods import Period, local_date
from civicgrid.kit.spreadsheet import safe_cell
from civicgrid.territory import queries as territory_queries

DISTRICT: str = "district"
STREET: str = "street"
AREA_LEVELS = frozenset({DISTRICT, STREET})
LEVEL_LABELS = {DISTRICT: "区", STREET: "街道"}


@dataclass(frozen=True, slots=True)
class Area:
    """A district or a street a reader may pick: its code, name and level."""

    code: str
    name: str
    level: str = DISTRICT
    path: str = ""


@dataclass(frozen=True, slots=True)
class MonthlyBrief:
    """The top candidate problems of one area-month; ``trend_months`` names the previous
    months of each candidate's trend (oldest first)."""

    period: Period
    area: Area
    appeals: int
    trend_months: tuple[Period, ...]
    candidates: list[rules.Candidate]
    computed_at: datetime | None = None
    """When the hot problems the candidates come from were mined (the snapshot's time)."""


def areas_for(session: Session, actor: Actor) -> list[Area]:
    """The areas ``actor`` may pick: the districts whose whole area lies in the data scope, then
    the streets of the scope that lie in no such district (a street leader's own streets), each
    by code."""
    districts = [
        (Area(code, name), path)
        for code, name, path in _regions_at(session, DISTRICT)
        if actor.scope.covers_path(path)
    ]
    if actor.scope.is_global:
        return [a for a, _ in districts]
    covered = tuple(path for _, path in districts)
    streets = [
        Area(code, name, STREET)
        for code, name, path in _regions_at(session, STREET)
        if actor.scope.covers_path(path) and not any(path.startswith(c) for c in covered)
    ]
    return [a for a, _ in districts] + streets


def _regions_at(session: Session, level: str) -> list[tuple[str, str, str]]:
    """(code, name, path) of every region of ``level``, by code."""
    found = territory_queries.regions_at_level(session, level)
    regions = territory_queries.regions_by_ids(session, [rid for rid, _, _ in found])
    return [(regions[rid].code, name, path) for rid, name, path in found]


def _unit_name(unit: str) -> str:
    return unit.split(":", 2)[2] if unit.count(":") >= 2 else unit


def _previous_months(period: Period) -> tuple[Period, ...]:
    months = [period.previous()]
    while len(months) < rules.TREND_MONTHS:
        months.append(months[-1].previous())
    return tuple(reversed(months))


def _earlier(
    rows: Sequence[AppealFacts], months: Sequence[Period], wanted: Sequence[rules.TrendInput]
) -> list[rules.EarlierAppeal]:
    """The earlier appeals the trend matcher sees; only those whose text could match one of
    ``wanted`` (:func:`rules.may_match`) have their places extracted, which is the costly step."""
    out: list[rules.EarlierAppeal] = []
    for r in rows:
        if not any(rules.may_match(w.terms, f"{r.title} {r.content} {r.address}") for w in wanted):
            continue
        index = next(
            (i for i, m in enumerate(months) if m.start_utc <= r.received_at < m.end_utc), -1
        )
        item = analysis.appeal_item(r)
        out.append(rules.EarlierAppeal(index, item.places, f"{r.title} {item.text}"))
    return out


def _visible_top(
    session: Session, actor: Actor, ranked: Sequence[rules.Candidate], limit: int
) -> list[rules.Candidate]:
    """The first ``limit`` of ``ranked`` whose every member appeal ``actor`` may see, ranked
    from 1: the scope is checked for the best candidates only, ``limit`` at a time, rather than
    for every group of the district (a group straddling the reader's scope is left out)."""
    if actor.scope.is_global:
        return rules.rank(ranked, limit)
    kept: list[rules.Candidate] = []
    for start in range(0, len(ranked), max(limit, 1)):
        if len(kept) >= limit:
            break
        batch = ranked[start : start + limit]
        visible = scoped_facts.visible_ids_for(
            session, actor, (i for c in batch for i in c.member_ids)
        )
        kept.extend(c for c in batch if all(i in visible for i in c.member_ids))
    return rules.rank(kept, limit)


def monthly_brief_for(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    area_code: str,
    now: datetime,
    write: Session | None = None,
    limit: int = rules.TOP,
    config: hotspots.HotspotConfig | None = None,
) -> MonthlyBrief:
    """The top ``limit`` candidate problems of ``period`` in the district or street
    ``area_code`` among the appeals ``actor`` may see. Raises NotFound for a code that is not a
    district or street of the reader's scope (the same answer as for an unknown code).

    The candidates are the groups of the district-month's hot-problem snapshot
    (:func:`civicgrid.insight.service.district_hotspots`: the hourly job's, or mined now and
    stored through ``write`` when there is none that serves) lying wholly in the area and in
    the reader's scope; only their lead units (which change as appeals are dispatched) and
    their trend are read for the request."""
    region = territory_queries.get_region_for(session, actor, area_code)
    if region.level not in AREA_LEVELS:
        raise NotFound(f"“{area_code}”不是您数据范围内的区或街道")
    area = Area(region.code, region.name, region.level, region.path)
    district = insight_service.district_hotspots(
        session,
        period=period,
        district_path=analysis.district_path(region.path),
        now=now,
        write=write,
        config=config,
    )
    groups = snapshots.groups_under(district.groups, region.path)
    appeals = scoped_facts.count_received_in(
        session, actor, start=period.start_utc, end=period.end_utc, region_path=region.path
    )
    keys: dict[tuple[int, ...], rules.TrendInput] = {}
    candidates: list[rules.Candidate] = []
    for g in groups:
        h = g.hotspot
        candidates.append(
            rules.Candidate(
                label=h.label,
                terms=h.terms,
                places=h.places or h.areas,
                appeals=len(g.member_ids),
                repeat_callers=g.repeat_callers or 0,
                units=(),
                first_at=h.first_at,
                member_ids=g.member_ids,
                member_numbers=h.members,
            )
        )
        keys[g.member_ids] = rules.TrendInput(h.terms, frozenset(g.place_keys or ()))
    top = _visible_top(session, actor, rules.rank(candidates, len(candidates)), limit)
    months = _previous_months(period)
    earlier = _earlier(
        scoped_facts.appeal_facts_for(
            session, actor, start=months[0].start_utc, end=period.start_utc, region_path=region.path
        ),
        months,
        [keys[c.member_ids] for c in top],
    )
    leads = scoped_facts.lead_units(session, (i for c in top for i in c.member_ids))
    return MonthlyBrief(
        period=period,
        area=area,
        appeals=appeals,
        trend_months=months,
        candidates=[
            rules.with_units(
                rules.with_trend(c, rules.trend_counts(keys[c.member_ids], earlier)),
                (_unit_name(leads.get(i, "")) for i in c.member_ids),
            )
            for c in top
        ],
        computed_at=district.computed_at,
    )


# --- adopting a candidate as a problem of the month's topic ---------------------------------

SOURCE = "monthly_brief"
"""``source_stats["source"]`` of a task adopted from a brief."""
MAX_NUMBERS_KEPT = 200
"""Tracking numbers kept in a task's evidence (every member is linked to the task anyway)."""


def problem_key(brief: MonthlyBrief, label: str) -> str:
    """The task's ``problem_key`` for a candidate: month, area and label, so that the page can
    tell which candidate was adopted and the same one is not adopted twice."""
    return f"每月一题:{brief.period.key}:{brief.area.code}:{label}"[:200]


def evidence(brief: MonthlyBrief, c: rules.Candidate) -> dict[str, object]:
    """What made ``c`` a candidate, kept with the task (``source_stats``): counts, places,
    trend, units and the member appeals' tracking numbers (never callers)."""
    return {
        "source": SOURCE,
        "period": brief.period.key,
        "area_code": brief.area.code,
        "area_name": brief.area.name,
        "rank": c.rank,
        "appeals": c.appeals,
        "repeat_callers": c.repeat_callers,
        "places": list(c.places),
        "trend": [
            {"month": m.key, "appeals": n} for m, n in zip(brief.trend_months, c.trend, strict=True)
        ],
        "units": [[name, n] for name, n in c.units],
        "appeal_numbers": list(c.member_numbers[:MAX_NUMBERS_KEPT]),
    }


@dataclass(frozen=True, slots=True)
class Adopted:
    """A candidate of the brief already adopted: its task and the month's theme."""

    task_id: int
    status: str
    theme: str


@dataclass(frozen=True, slots=True)
class MonthTopic:
    """The month's topic of the brief's district as the brief shows it: the theme ("" before
    the first adoption), the topic's active tasks, and the brief's candidates adopted (by
    label)."""

    theme: str
    active_tasks: int
    adopted: dict[str, Adopted]

    @property
    def full(self) -> bool:
        return self.active_tasks >= MAX_TASKS_PER_TOPIC


def month_topic_for(session: Session, brief: MonthlyBrief) -> MonthTopic:
    """The month's topic of the district of ``brief``'s area and which of the candidates were
    adopted under it (a cancelled task no longer counts)."""
    topic = insight_queries.find_topic(
        session,
        brief.period.first.year,
        brief.period.first.month,
        analysis.district_path(brief.area.path),
    )
    if topic is None:
        return MonthTopic("", 0, {})
    active = [t for t in topic.tasks if t.status != TaskStatus.CANCELLED.value]
    keys = {problem_key(brief, c.label): c.label for c in brief.candidates}
    adopted = {
        keys[t.problem_key]: Adopted(t.id, TaskStatus(t.status).label, topic.theme)
        for t in active
        if t.problem_key in keys
    }
    return MonthTopic(topic.theme, len(active), adopted)


@use_case
def adopt_candidate(
    session: Session,
    *,
    brief: MonthlyBrief,
    label: str,
    theme: str,
    lead_department_code: str,
    actor: Actor,
    now: datetime,
) -> GovernanceTask:
    """设为本月一题: adopt the candidate ``label`` of ``brief`` (computed for ``actor`` just
    before, outside this transaction) as a governance task of the brief's month under the topic
    of the brief's district (not the city-wide topic: districts' topics do not clash), with its
    evidence (:func:`evidence`), its area as the task's region and its member
    appeals linked. The governance rules apply (:func:`civicgrid.insight.service.add_task`:
    leaders and admins, the month's theme, at most three problems). Conflict when the candidate
    is no longer among the brief's (the appeals changed) or was adopted already (one task per
    candidate and month: adopting twice changes nothing)."""
    if not actor.has_role(*insight_service.ADOPTING_ROLES):
        labels = "、".join(r.label for r in sorted(insight_service.ADOPTING_ROLES))
        raise Forbidden(f"没有权限设为本月一题：需要以下角色之一：{labels}")
    chosen = next((c for c in brief.candidates if c.label == label), None)
    if chosen is None:
        raise Conflict(f"候选问题“{label}”已不在本月候选之列，请刷新页面后重试")
    key = problem_key(brief, chosen.label)
    done = month_topic_for(session, brief).adopted.get(chosen.label)
    if done is not None:
        raise Conflict(
            f"“{chosen.label}”已设为{brief.period.label}的每月一题（治理任务 #{done.task_id}）"
        )
    task = insight_service.add_task(
        session,
        data=insight_service.NewTask(
            year=brief.period.first.year,
            month=brief.period.first.month,
            theme=theme,
            title=chosen.label,
            lead_department_code=lead_department_code,
            problem_key=key,
            region_code=brief.area.code,
            district_topic=True,
            source_stats=evidence(brief, chosen),
        ),
        actor=actor,
        now=now,
    )
    insight_service.add_links(
        session, task=task, appeal_ids=chosen.member_ids, actor=actor, now=now, source=SOURCE
    )
    return task


# --- the one-page Excel brief ----------------------------------------------------------------

HEADERS = ("序号", "问题", "诉求件数", "涉及地点", "近三月趋势", "重复来电人数", "承办单位")


def source_text(brief: MonthlyBrief) -> str:
    """Where the candidates come from and when they were mined, for the page, the PDF and the
    Excel file: "候选问题取自 2026-11-23 10:00（北京时间）的热点问题聚类"."""
    if brief.computed_at is None:
        return "候选问题取自热点问题聚类"
    stamp = to_beijing(brief.computed_at).strftime("%Y-%m-%d %H:%M")
    return f"候选问题取自 {stamp}（北京时间）的热点问题聚类"


def _month_label(p: Period) -> str:
    return f"{p.first.month}月"


def trend_text(brief: MonthlyBrief, c: rules.Candidate) -> str:
    """A candidate's trend as "8月 1，9月 2，10月 0"."""
    return "，".join(
        f"{_month_label(m)} {n}" for m, n in zip(brief.trend_months, c.trend, strict=True)
    )


def units_text(c: rules.Candidate) -> str:
    """A candidate's lead units with their counts, "未派单" when none."""
    return "、".join(f"{name}（{n}）" for name, n in c.units) or "未派单"


def brief_row(brief: MonthlyBrief, c: rules.Candidate) -> list[object]:
    """One row of the brief: a candidate and its evidence."""
    return [
        c.rank,
        c.label,
        c.appeals,
        "、".join(c.places) or "—",
        trend_text(brief, c),
        c.repeat_callers,
        units_text(c),
    ]


def to_xlsx(brief: MonthlyBrief, generated_at: datetime) -> bytes:
    """The brief as a one-sheet workbook set to print on one landscape page: a title row, the
    month and area, the header and one row per candidate."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "每月一题"
    sheet.append([f"每月一题候选问题 · {brief.area.name} · {brief.period.label}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(
        [
            f"月份：{brief.period.label}",
            "",
            f"{LEVEL_LABELS[brief.area.level]}：{brief.area.name}",
            "",
            f"本月诉求 {brief.appeals} 件",
            "",
            f"生成于 {local_date(generated_at).isoformat()}",
        ]
    )
    sheet.append([f"{source_text(brief)}，按诉求件数、重复来电人数排序"])
    sheet.append(list(HEADERS))
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for c in brief.candidates:
        sheet.append([safe_cell(v) for v in brief_row(brief, c)])
    if not brief.candidates:
        sheet.append(["", "本月该区域没有可提议的问题"])
    for column, width in zip("ABCDEFG", (6, 40, 10, 28, 22, 12, 32), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
