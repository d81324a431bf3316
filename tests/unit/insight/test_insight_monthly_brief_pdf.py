"""The one-page PDF brief (每月一题): line wrapping and list fitting ("等N处"), and a brief whose
lists and labels are far too long for a page still drawn on exactly one A4 page, cut where the
rules say (reportlab's own output, read back with tests/builders/pdf_text.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.builders.pdf_text import page_count, text_lines

from civicgrid.insight import monthly_brief_pdf as pdf
from civicgrid.insight.monthly_brief import Candidate
from civicgrid.insight.monthly_brief_service import Area, MonthlyBrief
from civicgrid.insight.periods import parse_period


def one_per_char(text: str) -> float:
    return float(len(text))


def test_wrap_breaks_by_character_within_the_width() -> None:
    assert pdf.wrap("一二三四五六七", 3, one_per_char) == ["一二三", "四五六", "七"]
    assert pdf.wrap("", 3, one_per_char) == [""]
    assert pdf.wrap("一二三、四", 3, one_per_char) == ["一二", "三、四"]


@pytest.mark.parametrize(
    ("items", "lines", "expected"),
    [
        ([], 1, ["地点：—"]),
        (["甲", "乙"], 1, ["地点：甲、乙"]),
        # 3 + 2·5 + 4 = 17 > 12 chars: keep as many as fit, then the total
        (["甲甲甲甲", "乙乙乙乙", "丙丙丙丙"], 1, ["地点：甲甲甲甲等3处"]),
        # a line never starts with "、": the character before it moves down with it
        (["甲甲甲甲", "乙乙乙乙", "丙丙丙丙"], 2, ["地点：甲甲甲甲、乙乙乙", "乙、丙丙丙丙"]),
        # even the first item alone is too long: cut it
        (["甲" * 30, "乙"], 1, ["地点：甲甲甲甲甲…等2处"]),
    ],
)
def test_fit_list_keeps_what_fits_and_counts_the_rest(
    items: list[str], lines: int, expected: list[str]
) -> None:
    got = pdf.fit_list("地点：", items, unit="处", width=12, lines=lines, measure=one_per_char)
    assert got == expected
    assert all(len(line) <= 12 for line in got)


def test_ellipsis_cuts_a_long_line() -> None:
    assert pdf.ellipsis("一二三", 3, one_per_char) == "一二三"
    assert pdf.ellipsis("一二三四五", 3, one_per_char) == "一二…"


def _huge(rank: int) -> Candidate:
    return Candidate(
        label=f"第{rank}个问题" + "夜间施工噪音扰民" * 12,
        terms=("噪音",),
        places=tuple(f"第{i}号小区" for i in range(60)),
        appeals=900 - rank,
        repeat_callers=40,
        units=tuple((f"第{i}街道办事处", 30 - i) for i in range(25)),
        first_at=datetime(2026, 11, 1, tzinfo=UTC),
        member_ids=tuple(range(900)),
        member_numbers=tuple(f"2026110{i:05d}" for i in range(900)),
        trend=(100, 200, 300),
        rank=rank,
    )


def test_a_brief_far_too_long_still_fits_one_page() -> None:
    period = parse_period("2026-11")
    months = (parse_period("2026-08"), parse_period("2026-09"), parse_period("2026-10"))
    brief = MonthlyBrief(
        period=period,
        area=Area("110105000000", "朝阳区"),
        appeals=10_000,
        trend_months=months,
        candidates=[_huge(r) for r in range(1, 6)],
    )

    out = pdf.to_pdf(brief, datetime(2026, 12, 1, 1, 30, tzinfo=UTC))

    assert page_count(out) == 1
    lines = text_lines(out)
    headings = [line for line in lines if line[:2] in {f"{r}." for r in range(1, 6)}]
    assert len(headings) == 5
    assert all(h.endswith("…") for h in headings)
    places = [i for i, line in enumerate(lines) if line.startswith("涉及地点：第0号小区")]
    assert len(places) == 5  # two lines each, the second ending with the total
    assert all(lines[i + 1].endswith("等60处") for i in places)
    assert any(line.endswith("等25个单位") for line in lines)
    assert any(line.startswith("诉求编号：") and line.endswith("等900件") for line in lines)
    assert "近三月趋势：8月 100，9月 200，10月 300" in lines
    assert lines[-1] == "生成于 2026-12-01 09:30（北京时间） · 供领导会议研究使用"


def test_candidates_that_cannot_fit_are_counted_not_drawn() -> None:
    brief = MonthlyBrief(
        period=parse_period("2026-11"),
        area=Area("110105001000", "建外街道", "street"),
        appeals=10_000,
        trend_months=(parse_period("2026-08"), parse_period("2026-09"), parse_period("2026-10")),
        candidates=[_huge(r) for r in range(1, 13)],
    )

    out = pdf.to_pdf(brief, datetime(2026, 12, 1, tzinfo=UTC))

    assert page_count(out) == 1
    lines = text_lines(out)
    assert lines[1].startswith("街道：建外街道")
    drawn = sum(1 for line in lines if line.startswith("诉求 "))
    assert 5 <= drawn < 12
    assert f"另有 {12 - drawn} 个候选问题未列出，见系统页面。" in lines
