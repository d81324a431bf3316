"""Exports escape text a spreadsheet would run as a formula; our imports undo the escape."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from civicgrid.kit.spreadsheet import read_table, safe_cell, write_csv, write_xlsx

DANGEROUS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_like_text_gets_a_leading_quote(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["王五", "13800002222", 3, -3.5, None, "a=b"])
def test_other_values_are_kept(value: object) -> None:
    assert safe_cell(value) == value


def test_csv_and_xlsx_exports_hold_no_formula_and_read_back_unchanged() -> None:
    rows = [[text, "平常文本", -1] for text in DANGEROUS]
    exported_csv = write_csv(["备注", "名称", "数值"], rows)
    cells = list(csv.reader(io.StringIO(exported_csv.decode("utf-8-sig"))))[1:]
    assert all(row[0].startswith("'") for row in cells)
    assert [row[2] for row in cells] == ["-1"] * len(DANGEROUS)

    exported_xlsx = write_xlsx(["备注", "名称", "数值"], rows, title="导出")
    sheet = load_workbook(io.BytesIO(exported_xlsx)).active
    assert sheet is not None
    first_column = [sheet.cell(row=r, column=1) for r in range(2, 2 + len(DANGEROUS))]
    assert all(c.data_type == "s" and str(c.value).startswith("'") for c in first_column)

    aliases = {"备注": "note", "名称": "name", "数值": "value"}
    for data, fmt in ((exported_csv, "csv"), (exported_xlsx, "xlsx")):
        table = read_table(data, fmt, aliases)
        assert [r["note"] for r in table.rows] == DANGEROUS
