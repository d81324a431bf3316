"""The monthly assessment report: an Excel workbook with a summary sheet and one sheet per unit
type, or one CSV holding every unit type (UTF-8 with BOM so that Excel opens it as Chinese)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from civicgrid.assessment import service
from civicgrid.assessment.periods import Period
from civicgrid.assessment.ranking import RankClass, RankedUnit, UnitType, UnitWarning
from civicgrid.assessment.rates import DEFAULT_CONFIG, AssessmentConfig
from civicgrid.auth.actor import Actor

UNIT_HEADERS = (
    "名次",
    "单位",
    "综合分",
    "响应率",
    "解决率",
    "满意率",
    "类别",
    "预警",
    "上期综合分",
    "应响应",
    "及时响应",
    "有效回访",
    "已解决",
    "满意",
    "基本满意",
    "不满意",
    "剔除",
)

SUMMARY_HEADERS = (
    "单位类型",
    "单位数",
    "参与排名",
    "应响应",
    "及时响应",
    "有效回访",
    "已解决",
    "满意",
    "基本满意",
    "剔除",
    "响应率",
    "解决率",
    "满意率",
    "综合分",
    *(c.label for c in RankClass),
    *(w.label for w in UnitWarning),
)

_FILL = {
    UnitWarning.RED: PatternFill("solid", fgColor="F8CBAD"),
    UnitWarning.YELLOW: PatternFill("solid", fgColor="FFE699"),
    UnitWarning.GREEN: PatternFill("solid", fgColor="C6EFCE"),
}


def _pct(value: float) -> float:
    return round(value * 100, 2)


def unit_row(u: RankedUnit) -> list[object]:
    c, r = u.counts, u.rates
    return [
        u.rank if u.rank is not None else "",
        u.name,
        _pct(r.score) if r.has_data else "",
        _pct(r.response) if r.has_response else "",
        _pct(r.resolution) if r.has_callbacks else "",
        _pct(r.satisfaction) if r.has_callbacks else "",
        u.rank_class.label if u.rank_class else "无数据",
        u.warning.label if u.warning else "",
        _pct(u.previous_score) if u.previous_score is not None else "",
        c.response_due,
        c.response_on_time,
        c.valid_callbacks,
        c.resolved,
        c.satisfied,
        c.fairly_satisfied,
        c.dissatisfied,
        c.excluded,
    ]


def summary_row(table: service.Ranking) -> list[object]:
    t, r = table.totals, table.total_rates
    ranked = [u for u in table.units if u.rank is not None]
    return [
        table.unit_type.label,
        len(table.units),
        len(ranked),
        t.response_due,
        t.response_on_time,
        t.valid_callbacks,
        t.resolved,
        t.satisfied,
        t.fairly_satisfied,
        t.excluded,
        _pct(r.response),
        _pct(r.resolution),
        _pct(r.satisfaction),
        _pct(r.score),
        *(sum(1 for u in ranked if u.rank_class is c) for c in RankClass),
        *(sum(1 for u in ranked if u.warning is w) for w in UnitWarning),
    ]


def report_tables(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    config: AssessmentConfig = DEFAULT_CONFIG,
) -> list[service.Ranking]:
    """The ranking of every unit type for the period."""
    return [
        service.ranking(session, actor=actor, period=period, unit_type=t, config=config)
        for t in UnitType
    ]


def _fit(ws: object, widths: Sequence[int]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width  # type: ignore[attr-defined]


def to_xlsx(tables: Sequence[service.Ranking]) -> bytes:
    """Summary sheet first (rates in percent), then one sheet per unit type; rows are coloured
    by warning."""
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    period = tables[0].period if tables else None
    summary.title = "汇总"
    title = f"接诉即办三率考核 {period.label}" if period else "接诉即办三率考核"
    summary.append([title])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(list(SUMMARY_HEADERS))
    for cell in summary[2]:
        cell.font = Font(bold=True)
    for table in tables:
        summary.append(summary_row(table))
    if tables:
        cfg = tables[0].config
        summary.append([])
        summary.append(["参数", "取值"])
        for name, value in cfg.as_dict().items():
            summary.append([name, value])
    _fit(summary, [14] + [10] * (len(SUMMARY_HEADERS) - 1))
    for table in tables:
        ws = wb.create_sheet(table.unit_type.label)
        ws.append(list(UNIT_HEADERS))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for u in table.units:
            ws.append(unit_row(u))
            if u.warning is not None:
                for cell in ws[ws.max_row]:
                    cell.fill = _FILL[u.warning]
        ws.freeze_panes = "C2"
        _fit(ws, [6, 24] + [10] * (len(UNIT_HEADERS) - 2))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(tables: Sequence[service.Ranking]) -> bytes:
    """One CSV: a unit-type column followed by the unit columns, every unit type in turn."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["周期", "单位类型", *UNIT_HEADERS])
    for table in tables:
        for u in table.units:
            writer.writerow([table.period.key, table.unit_type.label, *unit_row(u)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
