"""Open311 GeoReport v2 rules. Pure: no I/O, no clock (``now`` is passed in), no database.

Decides how the workflow's statuses read as Open311 ``open``/``closed`` and as FixMyStreet's
extended statuses, which catalogue items are services and which extra data (attributes) an item
asks for, and checks every parameter a client sends (dates and their window, description,
media link, attributes, jurisdiction). What it refuses raises :class:`~civicgrid.errors.Invalid`
(HTTP 400 in the protocol), :class:`~civicgrid.errors.NotFound` (404) or
:class:`~civicgrid.errors.Forbidden` (403) with a sentence saying what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from civicgrid.appeals.channels import AppealType
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.states import AppealStatus
from civicgrid.dispatch.catalogue import CatalogueItem, OwnerRule
from civicgrid.errors import Invalid, NotFound

SPECIFICATION: Final = "http://wiki.open311.org/GeoReport_v2"
MAX_DESCRIPTION: Final = 4000
MAX_WINDOW: Final = timedelta(days=90)
MAX_PAGE_SIZE: Final = 1000
MAX_IDS: Final = 1000
MAX_MEDIA_URL: Final = 1000
MAX_NAME: Final = 50
MAX_PHONE: Final = 30
MAX_EMAIL: Final = 254
MAX_CLIENT_ID: Final = 100
MAX_ADDRESS: Final = 255
MAX_ATTRIBUTE_VALUE: Final = 500
# An HTML tag (name, then attributes with ASCII names) or comment; "a<b 且 c>d" is not one.
_HTML_TAG = re.compile(
    r"<!--|<\s*/?\s*[A-Za-z][A-Za-z0-9-]*"
    r"(?:\s+[A-Za-z_:][-A-Za-z0-9_:.]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*\s*/?>"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


class Format(StrEnum):
    """The answer format, chosen by the path's suffix (``.json`` / ``.xml``)."""

    JSON = "json"
    XML = "xml"


def answer_format(suffix: str) -> Format:
    """The format of a path suffix; NotFound for any other suffix (no such resource)."""
    try:
        return Format(suffix.lower())
    except ValueError:
        raise NotFound(
            f"不支持的格式 .{suffix}，请用 .json 或 .xml (format must be json or xml)"
        ) from None


# --- statuses -----------------------------------------------------------------------------

CLOSED_STATUSES: Final = frozenset(
    {
        AppealStatus.REPLIED,
        AppealStatus.CLOSED,
        AppealStatus.TERMINATED,
        AppealStatus.MERGED,
        AppealStatus.ANSWERED_DIRECTLY,
        AppealStatus.TRANSFERRED_EMERGENCY,
        AppealStatus.REDIRECTED_LEGAL_ROUTE,
        AppealStatus.EXPLAINED,
        AppealStatus.REFERRED_POLICE,
    }
)
"""Statuses a plain Open311 client sees as ``closed``: the caller has the answer (the unit's
reply, an answer or disposition at intake) or the order ended. A reopened order goes back to
``in_progress`` and so reads ``open`` again."""


class RequestStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def request_status(status: str) -> RequestStatus:
    """``open`` or ``closed`` for a workflow status."""
    return RequestStatus.CLOSED if AppealStatus(status) in CLOSED_STATUSES else RequestStatus.OPEN


def statuses_for(wanted: Iterable[RequestStatus]) -> frozenset[str]:
    """The workflow statuses that read as any of ``wanted``."""
    chosen = set(wanted)
    return frozenset(s.value for s in AppealStatus if request_status(s.value) in chosen)


_EXTENDED: Final[dict[AppealStatus, str]] = {
    AppealStatus.RECEIVED: "OPEN",
    AppealStatus.PENDING_DISPATCH: "INVESTIGATING",
    AppealStatus.DISPATCHED: "ACTION_SCHEDULED",
    AppealStatus.SIGNED: "ACTION_SCHEDULED",
    AppealStatus.IN_PROGRESS: "IN_PROGRESS",
    AppealStatus.RETURN_REQUESTED: "INVESTIGATING",
    AppealStatus.EXTENSION_REQUESTED: "IN_PROGRESS",
    AppealStatus.TERMINATION_REQUESTED: "IN_PROGRESS",
    AppealStatus.PARK_REQUESTED: "IN_PROGRESS",
    AppealStatus.PARKED: "ACTION_SCHEDULED",
    AppealStatus.PENDING_VERIFICATION: "IN_PROGRESS",
    AppealStatus.REPLIED: "FIXED",
    AppealStatus.CLOSED: "CLOSED",
    AppealStatus.TERMINATED: "NO_FURTHER_ACTION",
    AppealStatus.MERGED: "DUPLICATE",
    AppealStatus.ANSWERED_DIRECTLY: "CLOSED",
    AppealStatus.TRANSFERRED_EMERGENCY: "INTERNAL_REFERRAL",
    AppealStatus.REDIRECTED_LEGAL_ROUTE: "NOT_COUNCILS_RESPONSIBILITY",
    AppealStatus.EXPLAINED: "NO_FURTHER_ACTION",
    AppealStatus.REFERRED_POLICE: "INTERNAL_REFERRAL",
}


def extended_status(action: str, to_status: str) -> str:
    """FixMyStreet's extended status of one step: ``REOPEN`` for a reopen, else the status's
    (FIXED, IN_PROGRESS, ACTION_SCHEDULED, INVESTIGATING, DUPLICATE, …, OPEN, CLOSED)."""
    if action == "reopen":
        return "REOPEN"
    return _EXTENDED[AppealStatus(to_status)]


# --- services -------------------------------------------------------------------------------


class Datatype(StrEnum):
    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLE = "singlevaluelist"
    MULTI = "multivaluelist"


@dataclass(frozen=True, slots=True)
class Attribute:
    """One extra datum a service asks for (Open311 ``attribute``)."""

    code: str
    datatype: Datatype
    required: bool
    description: str
    datatype_description: str
    order: int
    values: tuple[tuple[str, str], ...] = ()
    variable: bool = True


SITE_DETAIL: Final = Attribute(
    code="site_detail",
    datatype=Datatype.STRING,
    required=True,
    description="具体位置（楼栋、单元、门牌号或附近地标），便于现场核查",
    datatype_description="不超过 500 字",
    order=1,
)
ACCOUNT_NO: Final = Attribute(
    code="account_no",
    datatype=Datatype.STRING,
    required=False,
    description="公共服务用户户号（水、电、气、热等缴费户号，如有）",
    datatype_description="缴费单上的户号",
    order=2,
)


def attributes_for(item: CatalogueItem) -> tuple[Attribute, ...]:
    """The extra data an item asks for: where exactly, when a handler must go on site
    (``requires_site_visit``); the customer account, when a utility handles it."""
    out: list[Attribute] = []
    if item.requires_site_visit:
        out.append(SITE_DETAIL)
    if item.owner_rule is OwnerRule.UTILITY:
        out.append(ACCOUNT_NO)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Service:
    """A catalogue item as an Open311 service: the level-3 items appeals are classified into;
    the group is the item's first-level category."""

    code: str
    name: str
    description: str
    group: str
    keywords: tuple[str, ...]
    attributes: tuple[Attribute, ...]

    @property
    def metadata(self) -> bool:
        return bool(self.attributes)


def services_of(items: Sequence[CatalogueItem]) -> list[Service]:
    """The services of the (active) catalogue ``items``, by code."""
    by_code = {i.code: i for i in items}
    out = []
    for item in sorted(items, key=lambda i: i.code):
        if item.level != 3:
            continue
        path = [by_code.get(item.code[:2]), by_code.get(item.code[:4])]
        names = [p.name for p in path if p is not None]
        out.append(
            Service(
                code=item.code,
                name=item.name,
                description=" / ".join([*names, item.name]),
                group=names[0] if names else "",
                keywords=item.keywords,
                attributes=attributes_for(item),
            )
        )
    return out


def appeal_type_for(item: CatalogueItem) -> AppealType:
    """A report through an app asks for something to be fixed (求助); items answered from the
    knowledge base are questions (咨询)."""
    return AppealType.INQUIRY if item.owner_rule is OwnerRule.KNOWLEDGE_BASE else AppealType.HELP


def urgency_for(item: CatalogueItem) -> UrgencyLevel:
    """The item's default response level (L1–L4 → the four levels)."""
    return {level.code: level for level in UrgencyLevel}.get(
        item.default_level, UrgencyLevel.GENERAL
    )


# --- parameters -----------------------------------------------------------------------------


def check_jurisdiction(given: str, configured: str, *, required: bool) -> None:
    """``jurisdiction_id``: missing where required → Invalid (400); one this endpoint does not
    serve → NotFound (404)."""
    given = given.strip()
    if not given:
        if required:
            raise Invalid("缺少参数 jurisdiction_id (jurisdiction_id is required)")
        return
    if given != configured:
        raise NotFound(f"未知的 jurisdiction_id：{given} (unknown jurisdiction_id)")


def parse_time(text: str, name: str) -> datetime:
    """An ISO 8601 date-time with its zone (a ``Z`` suffix is read as UTC)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            f"{name} 不是 ISO 8601 时间：{text!r} ({name} must be an ISO 8601 date-time)"
        ) from None
    if parsed.tzinfo is None:
        raise Invalid(f"{name} 须带时区，如 +08:00 ({name} needs a time zone)")
    return parsed


def request_window(
    start: datetime | None, end: datetime | None, *, now: datetime
) -> tuple[datetime, datetime]:
    """The ``[start, end]`` of a requests query: both given → at most 90 days apart; one
    given → 90 days from or to it; none → the last 90 days."""
    if start is None and end is None:
        end = now
    if start is None:
        assert end is not None
        start = end - MAX_WINDOW
    if end is None:
        end = start + MAX_WINDOW
    if end < start:
        raise Invalid("end_date 早于 start_date (end_date is before start_date)")
    if end - start > MAX_WINDOW:
        raise Invalid("start_date 与 end_date 相隔不得超过 90 天 (at most 90 days apart)")
    return start, end


def parse_positive(text: str, name: str, *, maximum: int) -> int:
    value = text.strip()
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= maximum:
        raise Invalid(f"{name} 须为 1–{maximum} 的整数 ({name} must be 1–{maximum})")
    return int(value)


def parse_statuses(text: str) -> frozenset[RequestStatus]:
    """``open``, ``closed`` or both, comma-separated."""
    out = set()
    for part in text.split(","):
        try:
            out.add(RequestStatus(part.strip().lower()))
        except ValueError:
            raise Invalid(
                f"status 只能是 open 或 closed，收到 {part.strip()!r} (status: open or closed)"
            ) from None
    return frozenset(out)


def split_list(text: str, name: str, *, maximum: int = MAX_IDS) -> list[str]:
    """A comma-separated list without blanks, at most ``maximum`` entries."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise Invalid(f"{name} 为空 ({name} is empty)")
    if len(parts) > maximum:
        raise Invalid(f"{name} 最多 {maximum} 项 ({name}: at most {maximum} values)")
    return parts


def check_description(text: str) -> str:
    """The description: required, at most 4,000 characters, no HTML."""
    value = text.strip()
    if not value:
        raise Invalid("请填写 description（问题描述） (description is required)")
    if len(value) > MAX_DESCRIPTION:
        raise Invalid(
            f"description 超过 {MAX_DESCRIPTION} 字（{len(value)} 字） "
            f"(description longer than {MAX_DESCRIPTION} characters)"
        )
    if _HTML_TAG.search(value):
        raise Invalid("description 不能包含 HTML 标签 (description must not contain HTML)")
    return value


def check_text(text: str, name: str, maximum: int) -> str:
    value = text.strip()
    if len(value) > maximum:
        raise Invalid(f"{name} 超过 {maximum} 字 ({name} longer than {maximum} characters)")
    return value


def check_email(text: str) -> str:
    value = check_text(text, "email", MAX_EMAIL)
    if value and not _EMAIL.match(value):
        raise Invalid(f"email 格式不正确：{value!r} (not an e-mail address)")
    return value


def check_media_url(text: str) -> str:
    value = check_text(text, "media_url", MAX_MEDIA_URL)
    if value and not value.lower().startswith(("http://", "https://")):
        raise Invalid("media_url 须为 http(s) 链接 (media_url must be an http(s) URL)")
    return value


def parse_coordinate(text: str, name: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise Invalid(f"{name} 不是数字：{text!r} ({name} must be a number)") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise Invalid(f"{name} 不是有限数字 ({name} must be finite)")
    return value


def caller_name(first: str, last: str) -> str:
    """The caller's name from first and last name: family name first for Chinese names
    (张 + 三 → 张三), "First Last" otherwise."""
    first, last = first.strip(), last.strip()
    if not first or not last:
        return first or last
    if all(ord(ch) > 0x2E80 for ch in first + last):
        return last + first
    return f"{first} {last}"


def attribute_values(form: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """``attribute[code]`` and ``attribute[code][]`` fields of a form → code → values."""
    out: dict[str, list[str]] = {}
    for key, value in form:
        match = _ATTRIBUTE_KEY.match(key)
        if match:
            out.setdefault(match.group(1), []).append(value)
    return out


def check_attributes(
    definitions: Sequence[Attribute], given: Mapping[str, Sequence[str]]
) -> dict[str, str | list[str]]:
    """The attribute values checked against the service's definitions: every required one
    present, no unknown code, one value for single-valued types, values from the list for
    list types, numbers and date-times parseable."""
    defined = {a.code: a for a in definitions}
    unknown = sorted(set(given) - set(defined))
    if unknown:
        raise Invalid(
            f"该服务没有属性 {', '.join(unknown)} (unknown attribute {', '.join(unknown)})"
        )
    out: dict[str, str | list[str]] = {}
    for attribute in sorted(definitions, key=lambda a: a.order):
        values = [v.strip() for v in given.get(attribute.code, ()) if v.strip()]
        if not values:
            if attribute.required:
                raise Invalid(
                    f"缺少必填属性 attribute[{attribute.code}]（{attribute.description}） "
                    f"(attribute {attribute.code} is required)"
                )
            continue
        out[attribute.code] = _attribute_value(attribute, values)
    return out


def _attribute_value(attribute: Attribute, values: list[str]) -> str | list[str]:
    code = attribute.code
    if any(len(v) > MAX_ATTRIBUTE_VALUE for v in values):
        raise Invalid(f"属性 {code} 超过 {MAX_ATTRIBUTE_VALUE} 字 (attribute {code} too long)")
    keys = {k for k, _ in attribute.values}
    if attribute.datatype is Datatype.MULTI:
        bad = [v for v in values if v not in keys]
        if bad:
            raise Invalid(f"属性 {code} 的取值无效：{', '.join(bad)} (invalid value)")
        return values
    if len(values) > 1:
        raise Invalid(f"属性 {code} 只能有一个值 (attribute {code} takes one value)")
    value = values[0]
    if attribute.datatype is Datatype.SINGLE and value not in keys:
        raise Invalid(f"属性 {code} 的取值无效：{value} (invalid value)")
    if attribute.datatype is Datatype.NUMBER:
        parse_coordinate(value, f"attribute[{code}]")
    if attribute.datatype is Datatype.DATETIME:
        parse_time(value, f"attribute[{code}]")
    return value


def attribute_lines(definitions: Sequence[Attribute], values: Mapping[str, object]) -> str:
    """The attribute values as lines for the appeal's content, so the handling unit reads
    them with the description (``具体位置：3号楼2单元``)."""
    labels = {a.code: a.description.split("（")[0] for a in definitions}
    lines = []
    for code, value in values.items():
        shown = "、".join(value) if isinstance(value, list) else str(value)
        lines.append(f"{labels.get(code, code)}：{shown}")
    return "\n".join(lines)
