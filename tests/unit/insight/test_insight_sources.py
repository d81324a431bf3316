"""Reading messages from CSV and the analysis periods."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from civicgrid.clock import BEIJING
from civicgrid.errors import Invalid
from civicgrid.insight import periods, sources
from civicgrid.insight.sources import CsvColumns, read_csv_items

HEADER = "留言编号,留言用户,留言主题,留言时间,留言详情,反对数,点赞数\n"


def test_reads_the_default_columns_with_votes_and_places() -> None:
    data = (
        HEADER + '1,u1,A2区丽发新城噪音,2019/2/28 11:25:05,"A市A2区丽发新城噪音",1,5\n'
    ).encode()

    (item,) = read_csv_items(data).items

    assert item.key == "1"
    assert item.caller == "u1"
    assert item.at == datetime(2019, 2, 28, 11, 25, 5, tzinfo=BEIJING)
    assert (item.support, item.oppose) == (5, 1)
    assert item.areas == {"A2区"}
    assert "丽发新城" in item.places


def test_named_columns_that_are_missing_are_an_error_naming_them() -> None:
    data = "id,content\n1,停水\n".encode()

    with pytest.raises(Invalid, match="缺少列 “text”、“when”"):
        read_csv_items(data, columns=CsvColumns(text="text", time="when"))


def test_optional_columns_are_used_only_when_present() -> None:
    data = "body,at\n小区停水,2019-08-19 11:34\n".encode()

    (item,) = read_csv_items(data, columns=CsvColumns(text="body", time="at")).items

    assert item.key == "2"  # the line number
    assert item.caller == ""
    assert item.title == "小区停水"


def test_rows_without_a_time_are_skipped_and_counted() -> None:
    data = "body,at\n停水,2019-08-19\n停电,\n,2019-08-20\n".encode()

    read = read_csv_items(data, columns=CsvColumns(text="body", time="at"))

    assert [i.text for i in read.items] == ["停水"]
    assert read.skipped_without_time == 1


def test_a_bad_time_names_its_line() -> None:
    data = "body,at\n停水,2019-08-19\n停电,昨天\n".encode()

    with pytest.raises(Invalid, match="第 3 行"):
        read_csv_items(data, columns=CsvColumns(text="body", time="at"))


def test_non_utf8_files_are_refused() -> None:
    with pytest.raises(Invalid, match="UTF-8"):
        read_csv_items("留言详情,留言时间\n".encode("gbk"))


@pytest.mark.parametrize(
    "text", ["2019/2/28 11:25:05", "2019-02-28T11:25:05", "2019年2月28日 11:25:05"]
)
def test_time_formats(text: str) -> None:
    assert sources.parse_local_time(text).date() == date(2019, 2, 28)


def test_month_period_bounds_are_beijing_days() -> None:
    p = periods.parse_period("2026-10")

    assert (p.first, p.last) == (date(2026, 10, 1), date(2026, 10, 31))
    assert p.start_utc == datetime(2026, 10, 1, tzinfo=BEIJING)
    assert p.previous().key == "2026-09"
    assert p.label == "2026年10月"


def test_range_period_and_its_previous() -> None:
    p = periods.parse_period("2026-10-01..2026-10-10")

    assert p.days == 10
    assert p.previous().key == "2026-09-21..2026-09-30"


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026/10",
        "",
        "2026-10-05..2026-10-01",
        "2025-01-01..2026-12-31",
        "9999-12",
        "0001-01",
        "9999-12-01..9999-12-31",
    ],
)
def test_bad_periods_are_invalid(text: str) -> None:
    with pytest.raises(Invalid, match="统计周期"):
        periods.parse_period(text)
