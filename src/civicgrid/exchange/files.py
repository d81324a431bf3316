"""Reading an uploaded 12345 export with its column mapping, for the edges that receive files
(the JSON API and the admin page): the mapping TOML (or the shipped default), the table read
through it and its header row checked. No database."""

from __future__ import annotations

from civicgrid.exchange import rules
from civicgrid.kit import spreadsheet

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_MAPPING_BYTES = 64 * 1024


def read_mapping(raw: bytes) -> rules.ColumnMapping:
    """An uploaded mapping TOML (UTF-8, a BOM allowed); the default when empty. MappingError
    says what is wrong."""
    if not raw:
        return rules.default_mapping()
    if len(raw) > MAX_MAPPING_BYTES:
        raise rules.MappingError("映射文件过大（上限 64 KB）")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise rules.MappingError("映射文件须为 UTF-8 编码") from None
    return rules.parse_mapping(text)


def read_orders(raw: bytes, filename: str, mapping: rules.ColumnMapping) -> spreadsheet.Table:
    """The uploaded file (``.csv`` in UTF-8 or GBK, or ``.xlsx``) read through ``mapping``.
    Raises SpreadsheetError (unreadable, too large) or MappingError (a mapped column missing)."""
    if not raw:
        raise spreadsheet.SpreadsheetError("请选择要导入的工单文件")
    if len(raw) > MAX_FILE_BYTES:
        raise spreadsheet.SpreadsheetError("文件过大（上限 100 MB）")
    fmt = spreadsheet.detect_format(filename)
    table = spreadsheet.read_table(raw, fmt, rules.aliases(mapping))
    rules.check_headers(mapping, table.fields)
    return table
