"""Reading and writing tabular files (CSV, XLSX) with a header mapping. Domain-free.

The 台账 of community work live in Excel; the same columns are accepted as CSV (UTF-8, with or
without BOM, or GB18030 as saved by Chinese Excel). Headers are matched through an alias table
so that ``身份证号``, ``公民身份号码`` and ``id_no`` can all fill the same field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook


class SpreadsheetError(ValueError):
    """The file cannot be read as a table (unknown format, no header, bad encoding)."""


@dataclass(frozen=True)
class Table:
    """Rows of a file as dictionaries keyed by field name; ``row_numbers`` are the 1-based
    line/row numbers in the file (the header is row 1), for error reports."""

    fields: tuple[str, ...]
    unknown_headers: tuple[str, ...]
    rows: list[dict[str, str]]
    row_numbers: list[int]


def detect_format(filename: str) -> str:
    """``"csv"`` or ``"xlsx"`` from a file name."""
    lower = filename.lower()
    if lower.endswith(".csv") or lower.endswith(".txt"):
        return "csv"
    if lower.endswith(".xlsx") or lower.endswith(".xlsm"):
        return "xlsx"
    raise SpreadsheetError(f"不支持的文件格式: {filename}（仅支持 .csv 与 .xlsx）")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError("文件编码无法识别（请使用 UTF-8 或 GB18030）")


def _raw_rows(data: bytes, fmt: str) -> Iterator[list[str]]:
    if fmt == "csv":
        for row in csv.reader(io.StringIO(_decode(data), newline="")):
            yield [_cell_text(cell) for cell in row]
        return
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise SpreadsheetError("无法读取 Excel 文件") from exc
    sheet = book.worksheets[0]
    for values in sheet.iter_rows(values_only=True):
        yield ["" if v is None else _cell_text(v) for v in values]
    book.close()


def _cell_text(value: object) -> str:
    # Excel stores long digit strings as numbers when typed without a leading quote; render
    # integral floats without ".0" so that phones survive the round trip.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    # our own exports escape formula-like text with a leading "'" (safe_cell): undo it
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def read_table(data: bytes, fmt: str, aliases: Mapping[str, str]) -> Table:
    """Read ``data`` (a whole CSV or XLSX file). ``aliases`` maps header text (case- and
    space-insensitive) to field names; columns with unknown headers are ignored and listed."""
    norm = {k.strip().lower(): v for k, v in aliases.items()}
    rows_iter = _raw_rows(data, fmt)
    header: list[str] | None = None
    header_row = 0
    for raw in rows_iter:
        header_row += 1
        if any(raw):
            header = raw
            break
    if header is None:
        raise SpreadsheetError("文件为空或缺少表头")
    mapping: list[str | None] = [norm.get(h.strip().lower()) for h in header]
    unknown = tuple(h for h, m in zip(header, mapping, strict=True) if m is None and h)
    fields = tuple(m for m in mapping if m is not None)
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    for number, raw in enumerate(rows_iter, start=header_row + 1):
        if not any(raw):
            continue
        record: dict[str, str] = {}
        for i, field_name in enumerate(mapping):
            if field_name is not None:
                record[field_name] = raw[i] if i < len(raw) else ""
        rows.append(record)
        numbers.append(number)
    return Table(fields=fields, unknown_headers=unknown, rows=rows, row_numbers=numbers)


def read_file(path: Path, aliases: Mapping[str, str]) -> Table:
    """Read a CSV or XLSX file from disk (format from the extension)."""
    return read_table(path.read_bytes(), detect_format(path.name), aliases)


# A spreadsheet program reads a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text value that a spreadsheet would read as a formula gets a leading ``'`` (shown as
    text, the way Excel marks text); numbers and other values are returned as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV bytes in UTF-8 with BOM, which Excel opens correctly; text that would be read as a
    formula is escaped (:func:`safe_cell`)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[object]], title: str) -> bytes:
    """XLSX bytes with one sheet; every cell is written as text so IDs keep all digits, and
    text that would be read as a formula is escaped (:func:`safe_cell`)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Sheet1")
    sheet.append(list(headers))
    for row in rows:
        sheet.append(["" if v is None else str(safe_cell(v)) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
