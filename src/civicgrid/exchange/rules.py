"""Pure rules of the 12345 work-order exchange: the column mapping, cell parsing and the
handling history of one row. No database, no I/O beyond reading the shipped default mapping."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources

from civicgrid.appeals.channels import APPEAL_TYPE_LABELS, AppealType
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.states import AppealStatus, Satisfaction
from civicgrid.clock import BEIJING

# The civicgrid fields a mapping may fill, with their Chinese names for reports.
FIELDS: dict[str, str] = {
    "external_no": "工单编号",
    "received_at": "来电时间",
    "caller_name": "来电人",
    "caller_phone": "联系电话",
    "appeal_type": "诉求类型",
    "title": "诉求标题",
    "content": "诉求内容",
    "address": "事发地址",
    "district": "所属区/街道",
    "street": "所属街道",
    "urgency": "紧急程度",
    "category": "诉求分类",
    "units": "承办单位",
    "dispatched_at": "派单时间",
    "finish_due_at": "办理时限",
    "signed_at": "签收时间",
    "reply_text": "办理结果",
    "replied_at": "办结时间",
    "extensions": "延期记录",
    "returns": "退单记录",
    "supervisions": "督办记录",
    "callback_at": "回访时间",
    "resolved": "是否解决",
    "satisfaction": "满意度",
    "status": "工单状态",
}
REQUIRED = ("external_no", "received_at", "content")
# Fields the shipped mapping leaves out: the common layout has one 所属区/街道 column; a file
# with the street apart maps ``street`` in its own mapping.
OPTIONAL = ("street",)

URGENCY: dict[str, UrgencyLevel] = {
    "一般": UrgencyLevel.GENERAL,
    "紧急": UrgencyLevel.UTILITY,
    "特急": UrgencyLevel.EMERGENCY,
}
URGENCY_OUT: dict[UrgencyLevel, str] = {
    UrgencyLevel.GENERAL: "一般",
    UrgencyLevel.COMPLEX: "一般",
    UrgencyLevel.UTILITY: "紧急",
    UrgencyLevel.EMERGENCY: "特急",
}
APPEAL_TYPES: dict[str, AppealType] = {label: t for t, label in APPEAL_TYPE_LABELS.items()}
SATISFACTION: dict[str, Satisfaction] = {
    "满意": Satisfaction.SATISFIED,
    "基本满意": Satisfaction.FAIRLY_SATISFIED,
    "不满意": Satisfaction.DISSATISFIED,
}
SATISFACTION_OUT: dict[str, str] = {s.value: label for label, s in SATISFACTION.items()}
YES = frozenset({"是", "已解决", "解决", "Y", "y", "1"})
NO = frozenset({"否", "未解决", "N", "n", "0"})

_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)
_RECORD_SPLIT = re.compile(r"[\n；;]+")
_RECORD_HEAD = re.compile(
    r"^\s*(\d{4}[-/]\d{1,2}[-/]\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?)\s*(.*)$"
)


class MappingError(ValueError):
    """The mapping file is unusable (bad TOML, unknown field, a column missing from the file)."""


@dataclass(frozen=True)
class ColumnMapping:
    """civicgrid field → column header in the file."""

    columns: dict[str, str]

    def headers(self) -> list[str]:
        """The mapped headers in the order of :data:`FIELDS` (the export layout)."""
        return [self.columns[f] for f in FIELDS if f in self.columns]


def parse_mapping(text: str) -> ColumnMapping:
    """Read a TOML mapping (``[columns] field = "表头"``); MappingError names what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"映射文件不是有效的 TOML：{exc}") from exc
    columns = data.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise MappingError("映射文件缺少 [columns] 表")
    out: dict[str, str] = {}
    for name, header in columns.items():
        if name not in FIELDS:
            raise MappingError(f"映射文件中的字段“{name}”无法识别（可用字段：{'、'.join(FIELDS)}）")
        if not isinstance(header, str) or not header.strip():
            raise MappingError(f"映射文件中字段“{name}”的列名必须是非空文本")
        out[name] = header.strip()
    for name in REQUIRED:
        if name not in out:
            raise MappingError(f"映射文件必须给出字段“{name}”（{FIELDS[name]}）的列名")
    return ColumnMapping(out)


def default_mapping_text() -> str:
    """The shipped mapping for the common 12345 export layout."""
    return resources.files("civicgrid.exchange").joinpath("default_mapping.toml").read_text("utf-8")


def default_mapping() -> ColumnMapping:
    return parse_mapping(default_mapping_text())


def aliases(mapping: ColumnMapping) -> dict[str, str]:
    """Header → field, for :func:`civicgrid.kit.spreadsheet.read_table`."""
    return {header: name for name, header in mapping.columns.items()}


def check_headers(mapping: ColumnMapping, fields: tuple[str, ...]) -> None:
    """Every mapped column must be in the file's header row (``fields`` are the fields the
    file's headers filled); MappingError names the first one that is not."""
    present = set(fields)
    for name, header in mapping.columns.items():
        if name not in present:
            raise MappingError(f"映射的列“{header}”（字段 {name}）在文件表头中不存在")


def parse_time(text: str) -> datetime | None:
    """A local (Beijing) date-time cell as an aware UTC datetime; None when empty.
    ValueError when the text is not a date."""
    value = text.strip()
    if not value:
        return None
    for fmt in _DATE_FORMATS:
        try:
            local = datetime.strptime(value, fmt)  # noqa: DTZ007 - Beijing time, zoned below
        except ValueError:
            continue
        return local.replace(tzinfo=BEIJING).astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"“{value}”不是有效的时间（应为 2024-05-01 09:30 这样的格式）") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BEIJING)
    return parsed.astimezone(UTC)


def format_time(value: datetime | None) -> str:
    """The export form of a time: Beijing local ``YYYY-MM-DD HH:MM:SS``."""
    if value is None:
        return ""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class HistoryStep:
    """One step of the handling history: an action at a time with a note."""

    action: str
    at: datetime
    note: str = ""


@dataclass(frozen=True)
class WorkOrder:
    """One validated row of a 12345 export."""

    row: int
    external_no: str
    received_at: datetime
    title: str
    content: str
    appeal_type: AppealType = AppealType.OTHER
    level: UrgencyLevel = UrgencyLevel.GENERAL
    caller_name: str = ""
    caller_phone: str = ""
    address: str = ""
    district: str = ""
    street: str = ""
    category_text: str = ""
    units: tuple[str, ...] = ()
    finish_due_at: datetime | None = None
    reply_text: str = ""
    resolved: bool | None = None
    satisfaction: Satisfaction | None = None
    source_status: str = ""
    history: tuple[HistoryStep, ...] = ()

    @property
    def status(self) -> AppealStatus:
        """Where the order stands, from the furthest step of its history."""
        actions = {h.action for h in self.history}
        if "callback" in actions:
            return AppealStatus.CLOSED
        if "reply" in actions:
            return AppealStatus.REPLIED
        if "sign" in actions:
            return AppealStatus.SIGNED
        if "dispatch" in actions:
            return AppealStatus.DISPATCHED
        return AppealStatus.RECEIVED

    def time_of(self, action: str) -> datetime | None:
        return next((h.at for h in self.history if h.action == action), None)


@dataclass(frozen=True)
class CellError:
    """One problem of one row: the field and a Chinese message."""

    field: str
    message: str


@dataclass
class _Row:
    cells: Mapping[str, str]
    errors: list[CellError] = field(default_factory=list)

    def text(self, name: str) -> str:
        return self.cells.get(name, "").strip()

    def time(self, name: str) -> datetime | None:
        try:
            return parse_time(self.text(name))
        except ValueError as exc:
            self.errors.append(CellError(name, f"{FIELDS[name]}：{exc}"))
            return None

    def choice(self, name: str, table: Mapping[str, object]) -> object | None:
        value = self.text(name)
        if not value:
            return None
        if value not in table:
            self.errors.append(
                CellError(name, f"{FIELDS[name]}“{value}”无法识别（可用：{'、'.join(table)}）")
            )
            return None
        return table[value]

    def records(self, name: str, action: str) -> list[HistoryStep]:
        """延期/退单/督办 records: entries separated by line breaks or ；, each starting with
        its time (``2024-05-02 10:00 理由``)."""
        steps: list[HistoryStep] = []
        for raw in _RECORD_SPLIT.split(self.text(name)):
            entry = raw.strip()
            if not entry:
                continue
            match = _RECORD_HEAD.match(entry)
            at = None
            if match:
                try:
                    at = parse_time(match.group(1))
                except ValueError:
                    at = None
            if at is None or match is None:
                self.errors.append(
                    CellError(
                        name,
                        f"{FIELDS[name]}“{entry[:40]}”须以时间开头（如 2024-05-02 10:00 理由）",
                    )
                )
                continue
            steps.append(HistoryStep(action, at, match.group(2).strip()))
        return steps


def parse_order(cells: Mapping[str, str], row: int) -> tuple[WorkOrder | None, list[CellError]]:
    """One file row (cells keyed by field) → a work order, or the list of what is wrong."""
    r = _Row(cells)
    external_no = r.text("external_no")
    if not external_no:
        r.errors.append(CellError("external_no", "工单编号不能为空"))
    elif len(external_no) > 64:
        r.errors.append(CellError("external_no", "工单编号超过 64 个字符"))
    received_at = r.time("received_at")
    if received_at is None and r.text("received_at") == "":
        r.errors.append(CellError("received_at", "来电时间不能为空"))
    content = r.text("content")
    if not content:
        r.errors.append(CellError("content", "诉求内容不能为空"))
    appeal_type = r.choice("appeal_type", APPEAL_TYPES)
    level = r.choice("urgency", URGENCY)
    satisfaction = r.choice("satisfaction", SATISFACTION)
    resolved_text = r.text("resolved")
    resolved: bool | None = None
    if resolved_text in YES:
        resolved = True
    elif resolved_text in NO:
        resolved = False
    elif resolved_text:
        r.errors.append(CellError("resolved", f"是否解决“{resolved_text}”应为“是”或“否”"))
    history: list[HistoryStep] = []
    for name, action in (
        ("dispatched_at", "dispatch"),
        ("signed_at", "sign"),
        ("replied_at", "reply"),
        ("callback_at", "callback"),
    ):
        at = r.time(name)
        if at is not None:
            history.append(
                HistoryStep(action, at, r.text("reply_text") if action == "reply" else "")
            )
    history += r.records("extensions", "extension")
    history += r.records("returns", "return")
    history += r.records("supervisions", "supervise")
    finish_due_at = r.time("finish_due_at")
    if r.errors or received_at is None:
        return None, r.errors
    for step in history:
        if step.at < received_at:
            r.errors.append(
                CellError("received_at", f"处理记录的时间 {format_time(step.at)} 早于来电时间")
            )
            return None, r.errors
    units = tuple(u.strip() for u in re.split(r"[、,，;；]+", r.text("units")) if u.strip())
    title = r.text("title") or content[:30]
    order = WorkOrder(
        row=row,
        external_no=external_no,
        received_at=received_at,
        title=title[:200],
        content=content,
        appeal_type=appeal_type if isinstance(appeal_type, AppealType) else AppealType.OTHER,
        level=level if isinstance(level, UrgencyLevel) else UrgencyLevel.GENERAL,
        caller_name=r.text("caller_name"),
        caller_phone=r.text("caller_phone"),
        address=r.text("address"),
        district=r.text("district"),
        street=r.text("street"),
        category_text=r.text("category"),
        units=units,
        finish_due_at=finish_due_at,
        reply_text=r.text("reply_text"),
        resolved=resolved,
        satisfaction=satisfaction if isinstance(satisfaction, Satisfaction) else None,
        source_status=r.text("status"),
        history=tuple(sorted(history, key=lambda h: h.at)),
    )
    return order, []


def category_levels(text: str) -> list[str]:
    """``城乡建设-市容环境-占道经营`` (or with / > ＞ separators) → its level names."""
    return [p.strip() for p in re.split(r"\s*[-/>＞—]+\s*", text) if p.strip()]


def match_category(text: str, paths: Mapping[tuple[str, ...], str]) -> str | None:
    """The catalogue code whose name path ends with the given levels (all of them must match
    the path's tail); None when no item or more than one matches — never a guess."""
    levels = tuple(category_levels(text))
    if not levels:
        return None
    found = [code for path, code in paths.items() if path[-len(levels) :] == levels]
    return found[0] if len(found) == 1 else None
