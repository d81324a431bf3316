"""Reading messages for hot-problem mining from a CSV file (an export of another hotline, a
message board, the 2020 Teddy Cup data). Pure apart from reading the given file; no database.

The columns are named by the caller. The text and time columns are required; title, id, user
and vote columns are used when named (or, for the defaults, when present). Rows without text or
without a time are skipped (and counted): a message without a time cannot be placed in a time
window. A missing named column, an unreadable time or a file that is not UTF-8 CSV raises
:class:`~civicgrid.errors.Invalid` with a sentence saying what to fix.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from civicgrid.clock import BEIJING
from civicgrid.errors import Invalid
from civicgrid.insight.hotspots import HotspotItem, item_from_text

_TIME = re.compile(
    r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?)?\s*$"
)


def parse_local_time(text: str) -> datetime:
    """A Beijing-time timestamp written as ``2019/2/28 11:25:05``, ``2019-08-19 11:34``,
    ``2019年8月19日`` …, as an aware datetime. :class:`Invalid` when it is none of these."""
    m = _TIME.match(text)
    if m is None:
        raise Invalid(
            f"无法识别的时间“{text.strip()}”：应为 2019/2/28 11:25:05 或 2019-02-28 这样的格式"
        )
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    hour, minute, second = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)
    except ValueError:
        raise Invalid(f"时间“{text.strip()}”不存在（日期或时刻超出范围）") from None


def _int(text: str) -> int:
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else 0


@dataclass(frozen=True, slots=True)
class CsvColumns:
    """Which columns hold what. ``text`` and ``time`` are required; the others are optional
    (empty = not used; a name given explicitly must exist)."""

    text: str = "留言详情"
    time: str = "留言时间"
    title: str = "留言主题"
    key: str = "留言编号"
    user: str = "留言用户"
    support: str = "点赞数"
    oppose: str = "反对数"


DEFAULT_COLUMNS = CsvColumns()


@dataclass(frozen=True, slots=True)
class CsvItems:
    """The items read from a CSV file and how many rows were skipped for lack of a time."""

    items: list[HotspotItem]
    skipped_without_time: int


def _check_columns(header: Sequence[str], columns: CsvColumns, required: Sequence[str]) -> None:
    missing = [name for name in required if name and name not in header]
    if missing:
        shown = "、".join(f"“{m}”" for m in missing)
        have = "、".join(header) if header else "（无表头）"
        raise Invalid(f"CSV 文件缺少列 {shown}；文件中的列为：{have}")


def read_csv_items(
    data: bytes,
    *,
    columns: CsvColumns = DEFAULT_COLUMNS,
    explicit: frozenset[str] = frozenset({"text", "time"}),
) -> CsvItems:
    """Items for :func:`~civicgrid.insight.hotspots.find_hotspots` from CSV bytes.

    ``explicit`` names the fields of ``columns`` that the caller chose: those must exist;
    the other optional columns are used only when the file has them. Rows with an empty text
    or an empty time are skipped; a row with an unreadable time is an error naming its line.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("CSV 文件不是 UTF-8 编码；请另存为 UTF-8 后重试") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    required = [columns.text, columns.time]
    required += [getattr(columns, f) for f in sorted(explicit) if f not in ("text", "time")]
    _check_columns(header, columns, required)

    def optional(name: str) -> str:
        return name if name and name in header else ""

    title_col, key_col = optional(columns.title), optional(columns.key)
    user_col, sup_col, opp_col = (
        optional(columns.user),
        optional(columns.support),
        optional(columns.oppose),
    )
    items: list[HotspotItem] = []
    skipped = 0
    for line, row in enumerate(reader, start=2):
        body = (row.get(columns.text) or "").strip()
        title = (row.get(title_col) or "").strip() if title_col else ""
        if not body and not title:
            continue
        raw_time = (row.get(columns.time) or "").strip()
        if not raw_time:
            skipped += 1
            continue
        try:
            at = parse_local_time(raw_time)
        except Invalid as exc:
            raise Invalid(f"第 {line} 行：{exc.message}") from None
        items.append(
            item_from_text(
                key=(row.get(key_col) or "").strip() if key_col else str(line),
                title=title or body[:30],
                text=body,
                at=at,
                caller=(row.get(user_col) or "").strip() if user_col else "",
                support=_int(row.get(sup_col) or "") if sup_col else 0,
                oppose=_int(row.get(opp_col) or "") if opp_col else 0,
            )
        )
    return CsvItems(items, skipped)


def read_csv_file(
    path: Path,
    *,
    columns: CsvColumns = DEFAULT_COLUMNS,
    explicit: frozenset[str] = frozenset({"text", "time"}),
) -> CsvItems:
    """:func:`read_csv_items` over a file; :class:`Invalid` when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Invalid(f"无法读取文件 {path}：{exc.strerror or exc}") from None
    return read_csv_items(data, columns=columns, explicit=explicit)
