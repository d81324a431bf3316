"""The 每月一题 brief as one A4 page of PDF for the leaders' meeting: title, area and month, each
candidate problem with its evidence (appeals, repeat callers, three-month trend, places, units,
tracking numbers) and the generated-at line.

Chinese text is set in the PDF standard's built-in CID font ``STSong-Light`` (Adobe-GB1): the
reader supplies the glyphs, so no font file ships with the platform. The page never overflows:
each candidate has a fixed budget of lines, long lists are cut with "等N处" (the total), and a
candidate that would not fit is left out with a line saying how many were left out.

The line fitting (:func:`wrap`, :func:`fit_list`) is pure and measures text with a function
given to it; :func:`to_pdf` draws with reportlab's canvas.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Final

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from civicgrid.clock import to_beijing
from civicgrid.insight import monthly_brief as rules
from civicgrid.insight.monthly_brief_service import (
    LEVEL_LABELS,
    Adopted,
    MonthlyBrief,
    source_text,
    trend_text,
    units_text,
)

FONT: Final = "STSong-Light"
MARGIN: Final = 48.0
BODY: Final = 10.0
LEADING: Final = 14.0
HEADING: Final = 12.0
TITLE: Final = 17.0
PLACE_LINES: Final = 2
UNIT_LINES: Final = 2
NUMBER_LINES: Final = 1
CANDIDATE_GAP: Final = 8.0

Measure = Callable[[str], float]
"""The width of a text in points at the size it will be drawn."""


NO_LINE_START: Final = frozenset("、，。；：！？）》」』”")
"""Punctuation a line must not begin with: the character before it moves down with it."""


def wrap(text: str, width: float, measure: Measure) -> list[str]:
    """``text`` broken into lines no wider than ``width``, character by character (Chinese
    has no spaces to break at; widths add up, as they do in one font without kerning), never
    starting a line with closing punctuation; at least one line."""
    lines: list[str] = []
    line, used = "", 0.0
    for ch in text:
        w = measure(ch)
        if not line or used + w <= width:
            line, used = line + ch, used + w
        elif ch in NO_LINE_START and len(line) > 1:
            lines.append(line[:-1])
            line = line[-1] + ch
            used = measure(line)
        else:
            lines.append(line)
            line = ch.lstrip()
            used = measure(line)
    lines.append(line)
    return lines


def fit_list(
    prefix: str,
    items: Sequence[str],
    *,
    unit: str,
    width: float,
    lines: int,
    measure: Measure,
    empty: str = "—",
) -> list[str]:
    """``prefix`` and as many of ``items`` (joined by "、") as fit in ``lines`` lines of
    ``width``, the rest summed up as "等N<unit>" (N the total); the first item is cut with "…"
    when even it alone does not fit. Binary search on how many are shown (more items never
    take fewer lines), so a list of thousands costs a dozen wraps."""
    if not items:
        return wrap(prefix + empty, width, measure)[:lines]

    def shown(n: int) -> list[str]:
        more = "" if n == len(items) else f"等{len(items)}{unit}"
        return wrap(prefix + "、".join(items[:n]) + more, width, measure)

    if len(shown(len(items))) <= lines:
        return shown(len(items))
    low, high = 0, len(items) - 1  # the most that fit lies in [low, high]
    while low < high:
        mid = (low + high + 1) // 2
        if len(shown(mid)) <= lines:
            low = mid
        else:
            high = mid - 1
    if low == 0:
        return [ellipsis(prefix + items[0], width, measure, f"…等{len(items)}{unit}")]
    return shown(low)


def ellipsis(text: str, width: float, measure: Measure, tail: str = "…") -> str:
    """``text`` on one line of ``width``, cut and ended with ``tail`` when too long."""
    if measure(text) <= width:
        return text
    while text and measure(text + tail) > width:
        text = text[:-1]
    return text + tail


def candidate_lines(
    brief: MonthlyBrief, c: rules.Candidate, width: float, measure: Measure
) -> list[str]:
    """The evidence lines of a candidate under its heading (at most
    2 + PLACE_LINES + UNIT_LINES + NUMBER_LINES lines)."""
    out = [
        f"诉求 {c.appeals} 件 · 重复来电 {c.repeat_callers} 人（按号码摘要计数，不含个人信息）",
        ellipsis(f"近三月趋势：{trend_text(brief, c)}", width, measure),
    ]
    out += fit_list(
        "涉及地点：", c.places, unit="处", width=width, lines=PLACE_LINES, measure=measure
    )
    units = [f"{name}（{n}）" for name, n in c.units]
    out += fit_list(
        "承办单位：",
        units,
        unit="个单位",
        width=width,
        lines=UNIT_LINES,
        measure=measure,
        empty=units_text(c),
    )
    out += fit_list(
        "诉求编号：",
        c.member_numbers,
        unit="件",
        width=width,
        lines=NUMBER_LINES,
        measure=measure,
    )
    return out


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def to_pdf(
    brief: MonthlyBrief,
    generated_at: datetime,
    adopted: Mapping[str, Adopted] | None = None,
    theme: str = "",
) -> bytes:
    """The brief on one A4 page (portrait). ``adopted`` marks the candidates already adopted
    (by label) and ``theme`` names the month's topic when it has one."""
    font = _font()
    adopted = adopted or {}
    out = io.BytesIO()
    page_w, page_h = A4
    width = page_w - 2 * MARGIN
    canvas = Canvas(out, pagesize=A4, invariant=True)
    title = f"每月一题候选问题 · {brief.area.name} · {brief.period.label}"
    canvas.setTitle(title)
    canvas.setAuthor("civicgrid")

    def measure(size: float) -> Measure:
        return lambda text: pdfmetrics.stringWidth(text, font, size)

    body = measure(BODY)
    y = page_h - MARGIN - TITLE
    canvas.setFont(font, TITLE)
    canvas.drawString(MARGIN, y, ellipsis(title, width, measure(TITLE)))
    y -= LEADING + 6
    canvas.setFont(font, BODY)
    meta = (
        f"{LEVEL_LABELS[brief.area.level]}：{brief.area.name}　月份：{brief.period.label}"
        f"　本月诉求 {brief.appeals} 件　候选问题 {len(brief.candidates)} 个"
    )
    canvas.drawString(MARGIN, y, ellipsis(meta, width, body))
    y -= LEADING
    if theme:
        canvas.drawString(MARGIN, y, ellipsis(f"本月主题：{theme}", width, body))
        y -= LEADING
    for line in wrap(
        f"{source_text(brief)}，按诉求件数、重复来电人数排序；趋势为前三个月同一地点、"
        "同类诉求的件数。",
        width,
        body,
    ):
        canvas.drawString(MARGIN, y, line)
        y -= LEADING
    y -= 2
    canvas.line(MARGIN, y, page_w - MARGIN, y)
    y -= LEADING + 4
    footer_y = MARGIN
    bottom = footer_y + LEADING * 2
    left_out = 0
    if not brief.candidates:
        canvas.drawString(MARGIN, y, "本月该区域没有可提议的问题。")
    for i, c in enumerate(brief.candidates):
        lines = candidate_lines(brief, c, width - 12, body)
        chosen = adopted.get(c.label)
        if chosen is not None:
            lines.append(f"已设为本月一题（治理任务 #{chosen.task_id}，{chosen.status}）")
        needed = HEADING + 4 + LEADING * len(lines)
        if y - needed < bottom:
            left_out = len(brief.candidates) - i
            break
        canvas.setFont(font, HEADING)
        heading = f"{c.rank}. {c.label}"
        canvas.drawString(MARGIN, y, ellipsis(heading, width, measure(HEADING)))
        y -= HEADING + 4
        canvas.setFont(font, BODY)
        for line in lines:
            canvas.drawString(MARGIN + 12, y, line)
            y -= LEADING
        y -= CANDIDATE_GAP
    if left_out:
        canvas.drawString(MARGIN, y, f"另有 {left_out} 个候选问题未列出，见系统页面。")
    canvas.setFont(font, 8)
    stamp = to_beijing(generated_at).strftime("%Y-%m-%d %H:%M")
    canvas.line(MARGIN, footer_y + LEADING, page_w - MARGIN, footer_y + LEADING)
    canvas.drawString(MARGIN, footer_y, f"生成于 {stamp}（北京时间） · 供领导会议研究使用")
    canvas.showPage()
    canvas.save()
    return out.getvalue()
