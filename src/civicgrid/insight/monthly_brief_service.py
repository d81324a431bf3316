"""每月一题 proposals for a district-month (use case): the miner's groups among the appeals the
reader may see in the district and month, as ranked candidates with their evidence (rules in
:mod:`civicgrid.insight.monthly_brief`), and the one-page Excel brief for the leaders' meeting.

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
from civicgrid.errors import NotFound
from civicgrid.insight import analysis, hotspots
from civicgrid.insight import monthly_brief as rules
from civicgrid.kit.periods import Period, local_date
from civicgrid.kit.spreadsheet import safe_cell
from civicgrid.territory import queries as territory_queries

DISTRICT: str = "district"


@dataclass(frozen=True, slots=True)
class District:
    """A district a reader may pick: its code and name."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class MonthlyBrief:
    """The top candidate problems of one district-month; ``trend_months`` names the previous
    months of each candidate's trend (oldest first)."""

    period: Period
    district: District
    appeals: int
    trend_months: tuple[Period, ...]
    candidates: list[rules.Candidate]


def districts_for(session: Session, actor: Actor) -> list[District]:
    """The districts whose whole area lies in ``actor``'s data scope, by code."""
    found = territory_queries.regions_at_level(session, DISTRICT)
    regions = territory_queries.regions_by_ids(session, [rid for rid, _, _ in found])
    return sorted(
        (
            District(regions[rid].code, name)
            for rid, name, path in found
            if actor.scope.covers_path(path)
        ),
        key=lambda d: d.code,
    )


def _unit_name(unit: str) -> str:
    return unit.split(":", 2)[2] if unit.count(":") >= 2 else unit


def _previous_months(period: Period) -> tuple[Period, ...]:
    months = [period.previous()]
    while len(months) < rules.TREND_MONTHS:
        months.append(months[-1].previous())
    return tuple(reversed(months))


def _earlier(rows: Sequence[AppealFacts], months: Sequence[Period]) -> list[rules.EarlierAppeal]:
    out: list[rules.EarlierAppeal] = []
    for r in rows:
        index = next(
            (i for i, m in enumerate(months) if m.start_utc <= r.received_at < m.end_utc), -1
        )
        item = analysis.appeal_item(r)
        out.append(rules.EarlierAppeal(index, item.places, f"{r.title} {item.text}"))
    return out


def monthly_brief_for(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    district_code: str,
    limit: int = rules.TOP,
    config: hotspots.HotspotConfig | None = None,
) -> MonthlyBrief:
    """The top ``limit`` candidate problems of ``period`` in the district ``district_code``
    among the appeals ``actor`` may see. Raises NotFound for a code that is not a district
    of the reader's scope (the same answer as for an unknown code)."""
    region = territory_queries.get_region_for(session, actor, district_code)
    if region.level != DISTRICT:
        raise NotFound(f"“{district_code}”不是您数据范围内的区")
    rows = scoped_facts.appeal_facts_for(
        session,
        actor,
        start=period.start_utc,
        end=period.end_utc,
        region_path=region.path,
        with_units=True,
    )
    found = analysis.find_in_facts(rows, period=period, limit=None, config=config)
    named = analysis.with_region_names(session, found)
    by_number = {r.number: r for r in rows}
    months = _previous_months(period)
    earlier_rows = scoped_facts.appeal_facts_for(
        session, actor, start=months[0].start_utc, end=period.start_utc, region_path=region.path
    )
    earlier = _earlier(earlier_rows, months)
    candidates: list[rules.Candidate] = []
    keys: dict[tuple[int, ...], rules.TrendInput] = {}
    for raw, shown in zip(found, named, strict=True):
        members = [by_number[k] for k in raw.members]
        c = rules.candidate(
            label=shown.label,
            terms=shown.terms,
            places=shown.places or shown.areas,
            first_at=raw.first_at,
            members=[
                rules.MemberFacts(analysis.appeal_item(m).caller, _unit_name(m.lead_unit))
                for m in members
            ],
            member_ids=[m.id for m in members],
            member_numbers=[m.number for m in members],
        )
        candidates.append(c)
        keys[c.member_ids] = rules.TrendInput(raw.terms, frozenset(raw.places))
    top = [
        rules.with_trend(c, rules.trend_counts(keys[c.member_ids], earlier))
        for c in rules.rank(candidates, limit)
    ]
    return MonthlyBrief(
        period=period,
        district=District(region.code, region.name),
        appeals=len(rows),
        trend_months=months,
        candidates=top,
    )


# --- the one-page Excel brief ----------------------------------------------------------------

HEADERS = ("序号", "问题", "诉求件数", "涉及地点", "近三月趋势", "重复来电人数", "承办单位")


def _month_label(p: Period) -> str:
    return f"{p.first.month}月"


def brief_row(brief: MonthlyBrief, c: rules.Candidate) -> list[object]:
    """One row of the brief: a candidate and its evidence."""
    trend = "，".join(
        f"{_month_label(m)} {n}" for m, n in zip(brief.trend_months, c.trend, strict=True)
    )
    units = "、".join(f"{name}（{n}）" for name, n in c.units) or "未派单"
    return [
        c.rank,
        c.label,
        c.appeals,
        "、".join(c.places) or "—",
        trend,
        c.repeat_callers,
        units,
    ]


def to_xlsx(brief: MonthlyBrief, generated_at: datetime) -> bytes:
    """The brief as a one-sheet workbook set to print on one landscape page: a title row, the
    month and district, the header and one row per candidate."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "每月一题"
    sheet.append([f"每月一题候选问题 · {brief.district.name} · {brief.period.label}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(
        [
            f"月份：{brief.period.label}",
            "",
            f"区：{brief.district.name}",
            "",
            f"本月诉求 {brief.appeals} 件",
            "",
            f"生成于 {local_date(generated_at).isoformat()}",
        ]
    )
    sheet.append(list(HEADERS))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for c in brief.candidates:
        sheet.append([safe_cell(v) for v in brief_row(brief, c)])
    if not brief.candidates:
        sheet.append(["", "本月该区没有可提议的问题"])
    for column, width in zip("ABCDEFG", (6, 40, 10, 28, 22, 12, 32), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
