"""Row-level validation of register imports: required fields, ID checksum, phone format,
residence kind, dates, duplicates within the file; phone and mask helpers."""

from __future__ import annotations

from datetime import date

import pytest

from civicgrid.kit.masking import mask_id_number, mask_phone
from civicgrid.register import idcard, rules
from civicgrid.register.rows import (
    RegisterRow,
    missing_columns,
    parse_tags,
    validate_row,
    validate_rows,
)

TODAY = date(2026, 11, 24)
GRID = "110105001001001"


def row(**over: str) -> dict[str, str]:
    base = {
        "name": "王芳",
        "id_no": idcard.make_number("110105", date(1980, 3, 4), 22),
        "phone": "138 1234 5678",
        "grid_code": GRID,
        "address": "幸福路12号院",
        "building": "3号楼",
        "unit": "2单元",
        "room": "501",
        "kind": "自住",
        "tags": "党员、低保",
    }
    base.update(over)
    return base


def test_a_good_row_is_parsed() -> None:
    parsed = validate_row(row(), 2, today=TODAY)
    assert isinstance(parsed, RegisterRow)
    assert parsed.phone == "13812345678"
    assert parsed.gender == "F"
    assert parsed.birth_on == date(1980, 3, 4)
    assert parsed.kind is rules.ResidenceKind.OWNER
    assert parsed.tags == ("党员", "低保")


@pytest.mark.parametrize(
    ("over", "field_name"),
    [
        ({"name": ""}, "name"),
        ({"id_no": "110105198003040221"}, "id_no"),
        ({"phone": "1381234567"}, "phone"),
        ({"phone": "23812345678"}, "phone"),
        ({"kind": "借住"}, "kind"),
        ({"grid_code": "1101"}, "grid_code"),
        ({"room": ""}, "room"),
        ({"from_on": "2026-13-01"}, "from_on"),
        ({"from_on": "2027-01-01"}, "from_on"),
    ],
)
def test_each_broken_field_is_reported(over: dict[str, str], field_name: str) -> None:
    errors = validate_row(row(**over), 7, today=TODAY)
    assert isinstance(errors, list)
    assert [(e.row, e.field) for e in errors] == [(7, field_name)]


def test_landline_and_plus86_are_accepted() -> None:
    assert isinstance(validate_row(row(phone="010-65123456"), 2, today=TODAY), RegisterRow)
    parsed = validate_row(row(phone="+8613912345678"), 2, today=TODAY)
    assert isinstance(parsed, RegisterRow)
    assert parsed.phone == "13912345678"


def test_duplicates_within_the_file_name_the_first_row() -> None:
    rows = [row(), row(name="另一人"), row(id_no=idcard.make_number("110105", date(1990, 1, 1), 5))]
    result = validate_rows(rows, [2, 3, 4], today=TODAY)
    assert [r for r, _ in result.valid] == [2, 4]
    (error,) = result.errors
    assert error.row == 3
    assert "第 2 行" in error.message


def test_missing_required_columns_are_named() -> None:
    assert missing_columns(["name", "id_no"]) == ["网格编码", "地址", "楼栋", "房号", "居住类型"]


def test_tags_are_split_on_chinese_and_ascii_separators() -> None:
    assert parse_tags("党员；低保,独居老人 | 党员") == ("党员", "低保", "独居老人")


def test_masks_keep_the_agreed_digits() -> None:
    assert mask_id_number("110105198003040221") == "110105********0221"
    assert mask_phone("13812345678") == "138****5678"


def test_residence_kind_accepts_codes_and_labels() -> None:
    assert rules.ResidenceKind.from_text("tenant") is rules.ResidenceKind.TENANT
    assert rules.ResidenceKind.from_text("寄住") is rules.ResidenceKind.LODGER
    with pytest.raises(ValueError, match="自住"):
        rules.ResidenceKind.from_text("借住")


def test_reason_must_have_substance() -> None:
    assert rules.reason_problem("  ") is not None
    assert rules.reason_problem("上门核实低保") is None
