"""Pure rules of the 12345 exchange: the mapping file, Beijing times, history records, the
status a history reaches and category matching that never guesses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from civicgrid.appeals.states import AppealStatus
from civicgrid.exchange import rules

PATHS = {
    ("城市管理与市容环境",): "01",
    ("城市管理与市容环境", "环境卫生"): "0101",
    ("城市管理与市容环境", "环境卫生", "暴露垃圾"): "010101",
    ("住房", "物业管理", "暴露垃圾"): "990101",
    ("住房", "物业管理", "电梯故障"): "990102",
}


def test_the_default_mapping_covers_every_field() -> None:
    assert set(rules.default_mapping().columns) == set(rules.FIELDS) - set(rules.OPTIONAL)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns = 3", "缺少 [columns]"),
        ("[columns\n", "不是有效的 TOML"),
        ('[columns]\nexternal_no = "编号"\nmood = "心情"\n', "“mood”无法识别"),
        ('[columns]\nexternal_no = "编号"\nreceived_at = ""\ncontent = "内容"\n', "非空文本"),
        ('[columns]\nexternal_no = "编号"\ncontent = "内容"\n', "received_at"),
    ],
)
def test_bad_mappings_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(rules.MappingError, match=message.replace("[", r"\[")):
        rules.parse_mapping(text)


def test_a_mapped_column_missing_from_the_file_is_named() -> None:
    mapping = rules.parse_mapping(
        '[columns]\nexternal_no = "工单号"\nreceived_at = "受理时间"\ncontent = "内容"\n'
    )
    with pytest.raises(rules.MappingError, match="“受理时间”"):
        rules.check_headers(mapping, ("external_no", "content"))


@pytest.mark.parametrize(
    "text",
    ["2024-05-01 09:30:00", "2024-05-01 09:30", "2024/05/01 09:30", "2024年05月01日 09:30"],
)
def test_beijing_times_in_common_forms(text: str) -> None:
    assert rules.parse_time(text) == datetime(2024, 5, 1, 1, 30, tzinfo=UTC)


def test_bad_times_and_empty_cells() -> None:
    assert rules.parse_time("  ") is None
    with pytest.raises(ValueError, match="不是有效的时间"):
        rules.parse_time("2024-13-45")


def _cells(**values: str) -> dict[str, str]:
    base = {"external_no": "GD1", "received_at": "2024-05-01 09:00", "content": "路灯不亮"}
    return {**base, **values}


def test_history_records_and_the_status_they_reach() -> None:
    order, errors = rules.parse_order(
        _cells(
            dispatched_at="2024-05-01 10:00",
            signed_at="2024-05-01 11:00",
            supervisions="2024-05-02 08:00 督办一次；2024-05-03 08:00 再次督办",
        ),
        2,
    )
    assert errors == []
    assert order is not None
    assert [h.action for h in order.history] == ["dispatch", "sign", "supervise", "supervise"]
    assert order.history[-1].note == "再次督办"
    assert order.status is AppealStatus.SIGNED
    assert order.title == "路灯不亮"


def test_row_errors_are_collected_per_field() -> None:
    order, errors = rules.parse_order(
        _cells(
            received_at="",
            urgency="很急",
            satisfaction="还行",
            resolved="也许",
            returns="没有时间的退单",
        ),
        5,
    )
    assert order is None
    assert {e.field for e in errors} == {
        "received_at",
        "urgency",
        "satisfaction",
        "resolved",
        "returns",
    }


def test_history_before_the_call_is_refused() -> None:
    order, errors = rules.parse_order(_cells(dispatched_at="2024-04-30 10:00"), 2)
    assert order is None
    assert "早于来电时间" in errors[0].message


def test_categories_match_by_path_tail_and_never_guess() -> None:
    assert rules.match_category("城市管理与市容环境-环境卫生-暴露垃圾", PATHS) == "010101"
    assert rules.match_category("物业管理/电梯故障", PATHS) == "990102"
    assert rules.match_category("暴露垃圾", PATHS) is None  # two items end so: ambiguous
    assert rules.match_category("环境卫生-电梯故障", PATHS) is None
    assert rules.match_category("", PATHS) is None
