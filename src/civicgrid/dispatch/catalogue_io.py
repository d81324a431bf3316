"""Catalogue files: CSV and Excel import/export with row-level errors. Pure (bytes in, bytes
out); validation is :func:`.catalogue.parse_catalogue`'s.

Accepted files: the shipped CSV format (``# version: X`` line, then the header of
:data:`.catalogue.COLUMNS`), or any CSV/XLSX whose first row holds those column names (English
or the Chinese headers of :data:`HEADERS`). The version comes from, in order: the caller, the
``# version`` line, a ``version`` column. Every problem is reported with the file's own row
number (the header is row 1).
"""

from __future__ import annotations

import re
from typing import Final

from civicgrid.dispatch.catalogue import COLUMNS, Catalogue, CatalogueItem, parse_catalogue
from civicgrid.errors import Invalid
from civicgrid.kit.spreadsheet import (
    SpreadsheetError,
    detect_format,
    read_table,
    write_csv,
    write_xlsx,
)

HEADERS: Final = {
    "code": "编码",
    "parent_code": "上级编码",
    "level": "层级",
    "name": "名称",
    "owner_rule": "承办规则",
    "owner_unit": "承办单位类别",
    "default_level": "默认响应级别",
    "default_finish_days": "默认办理天数",
    "requires_site_visit": "需现场处置",
    "whistle_candidate": "可吹哨报到",
    "keywords": "关键词",
    "is_active": "启用",
    "version": "版本",
}
EXPORT_COLUMNS: Final = (*COLUMNS, "is_active")
_ALIASES: Final = {
    **{c: c for c in HEADERS},
    **{label: c for c, label in HEADERS.items()},
}
_VERSION_LINE = re.compile(r"^\ufeff?#\s*version\s*[:=]\s*(\S+)", re.IGNORECASE)
_DATA_ROW = re.compile(r"第 (\d+) 行")
_FALSE: Final = frozenset({"false", "0", "no", "n", "否"})


def _split_comments(data: bytes) -> tuple[bytes, str, int]:
    """CSV bytes without leading ``#`` lines, the version they named and how many there were."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data, "", 0
    version = ""
    kept: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("#") and not kept:
            match = _VERSION_LINE.match(line)
            if match:
                version = match.group(1)
            continue
        kept.append(line)
    dropped = len(text.splitlines(keepends=True)) - len(kept)
    return "".join(kept).encode("utf-8"), version, dropped


def read_catalogue_file(
    data: bytes, filename: str, *, version: str = ""
) -> tuple[Catalogue, frozenset[str]]:
    """Parse an uploaded catalogue file into the catalogue and the codes marked inactive
    (``is_active`` false); ``Invalid`` lists every problem by file row."""
    try:
        fmt = detect_format(filename)
        found_version, skipped = "", 0
        if fmt == "csv":
            data, found_version, skipped = _split_comments(data)
        table = read_table(data, fmt, _ALIASES)
    except SpreadsheetError as exc:
        raise Invalid(f"派单目录文件无法读取: {exc}") from exc
    missing = [c for c in ("code", "name", "owner_rule") if c not in table.fields]
    if missing:
        raise Invalid(f"派单目录文件缺少列: {', '.join(missing)}")
    column_versions = [r.get("version", "").strip() for r in table.rows if r.get("version")]
    chosen = version.strip() or found_version or (column_versions[0] if column_versions else "")
    if not chosen:
        raise Invalid("派单目录文件未注明版本号（首行 “# version: 版本号”、version 列或导入参数）")
    try:
        catalogue = parse_catalogue(table.rows, version=chosen)
    except Invalid as exc:
        numbers = [n + skipped for n in table.row_numbers]

        def file_row(match: re.Match[str]) -> str:
            n = int(match.group(1))
            return f"第 {numbers[n - 1]} 行" if 0 < n <= len(numbers) else match.group(0)

        problems = [_DATA_ROW.sub(file_row, str(p)) for p in (exc.detail or [exc.message])]
        shown = "；".join(problems[:20])
        more = f"；另有 {len(problems) - 20} 个问题" if len(problems) > 20 else ""
        raise Invalid(f"派单目录校验失败: {shown}{more}", detail=problems) from exc
    inactive = frozenset(
        r.get("code", "").strip()
        for r in table.rows
        if r.get("is_active", "").strip().lower() in _FALSE
    )
    return catalogue, inactive


def _row(item: CatalogueItem, active: bool) -> list[str]:
    return [
        item.code,
        item.parent_code or "",
        str(item.level),
        item.name,
        item.owner_rule.value,
        item.owner_unit,
        item.default_level,
        str(item.default_finish_days),
        "true" if item.requires_site_visit else "false",
        "true" if item.whistle_candidate else "false",
        ";".join(item.keywords),
        "true" if active else "false",
    ]


def export_catalogue(
    catalogue: Catalogue, fmt: str, *, inactive: frozenset[str] = frozenset()
) -> bytes:
    """The catalogue as CSV (shipped format with the version line) or XLSX (a version column
    is added so the file carries its version)."""
    rows = [_row(i, i.code not in inactive) for i in catalogue.items]
    if fmt == "csv":
        body = write_csv(EXPORT_COLUMNS, rows).decode("utf-8").removeprefix("\ufeff")
        return ("\ufeff" + f"# version: {catalogue.version}\r\n" + body).encode("utf-8")
    if fmt == "xlsx":
        return write_xlsx(
            (*EXPORT_COLUMNS, "version"),
            [[*r, catalogue.version] for r in rows],
            title="派单目录",
        )
    raise Invalid(f"不支持的导出格式: {fmt}（应为 csv 或 xlsx）")
