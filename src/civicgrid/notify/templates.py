"""Notice texts: the kinds of notice to people, their default Chinese templates and the
placeholders each may use.

Pure: no I/O, no clock. A template names only facts about the appeal (its number, the deadline
…) — there is no placeholder for a caller's name or phone, so no template an admin writes can
put a caller's identity into a text.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from enum import StrEnum


class NoticeKind(StrEnum):
    """What a notice tells its recipient."""

    TRACKING_NUMBER = "tracking_number"
    REPLY_READY = "reply_ready"
    DEADLINE_WARNING = "deadline_warning"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS: dict[NoticeKind, str] = {
    NoticeKind.TRACKING_NUMBER: "受理回执（工单编号）",
    NoticeKind.REPLY_READY: "答复通知",
    NoticeKind.DEADLINE_WARNING: "时限预警（工作人员）",
}

PLACEHOLDERS: dict[NoticeKind, dict[str, str]] = {
    NoticeKind.TRACKING_NUMBER: {"number": "工单编号"},
    NoticeKind.REPLY_READY: {"number": "工单编号"},
    NoticeKind.DEADLINE_WARNING: {
        "number": "工单编号",
        "deadline": "时限类别（派单/响应/办结）",
        "stage": "临期或超期",
        "due": "到期时间（北京时间）",
    },
}


@dataclass(frozen=True, slots=True)
class NoticeText:
    """A subject (e-mail) and a body (SMS and e-mail) with ``{placeholder}`` fields."""

    subject: str
    body: str


DEFAULTS: dict[NoticeKind, NoticeText] = {
    NoticeKind.TRACKING_NUMBER: NoticeText(
        "您的诉求已受理",
        "您的诉求已受理，工单编号{number}，可凭此编号查询办理进度。",
    ),
    NoticeKind.REPLY_READY: NoticeText(
        "您的诉求已有答复",
        "您的诉求（工单编号{number}）已有答复，可凭编号查询答复内容，欢迎评价。",
    ),
    NoticeKind.DEADLINE_WARNING: NoticeText(
        "工单{number}{stage}提醒",
        "工单{number}的{deadline}时限{stage}（到期：{due}），请及时办理。",
    ),
}
MAX_SUBJECT = 200
MAX_BODY = 500


def fields_of(text: str) -> list[str]:
    """The placeholder names in ``text``; ValueError for a malformed one (``{``, ``{0}``)."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValueError(f"模板中的花括号不成对 (unbalanced braces: {exc})") from exc
    names = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"模板占位符写法不对：{{{name}}} (placeholders are {{name}})")
        names.append(name)
    return names


def check_text(kind: NoticeKind, text: NoticeText) -> NoticeText:
    """The text trimmed, or ValueError saying what is wrong: empty, too long, or a placeholder
    the kind does not offer."""
    subject, body = text.subject.strip(), text.body.strip()
    if not subject or not body:
        raise ValueError("请填写标题和正文 (subject and body are required)")
    if len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
        raise ValueError(
            f"标题不超过 {MAX_SUBJECT} 字、正文不超过 {MAX_BODY} 字"
            f" (subject ≤ {MAX_SUBJECT}, body ≤ {MAX_BODY} characters)"
        )
    allowed = PLACEHOLDERS[kind]
    unknown = sorted({n for n in fields_of(subject) + fields_of(body) if n not in allowed})
    if unknown:
        offered = "、".join(f"{{{k}}}" for k in allowed)
        raise ValueError(
            f"未知的占位符：{'、'.join('{' + u + '}' for u in unknown)}；此类通知可用：{offered}"
            f" (unknown placeholder {', '.join(unknown)})"
        )
    return NoticeText(subject, body)


def render(text: NoticeText, params: dict[str, str]) -> NoticeText:
    """The text with its placeholders filled (a missing value renders empty)."""

    class _Blank(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return ""

    values = _Blank(params)
    return NoticeText(text.subject.format_map(values), text.body.format_map(values))
