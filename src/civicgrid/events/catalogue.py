"""Which outbound event an appeal change is, if any.

Pure: no I/O, no clock. The appeal use cases record every change as a timeline action; only the
changes other systems care about become events, and each change becomes at most one event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """An outbound event type; the code is the AMQP routing key and the payload's ``type``."""

    CREATED = "appeal.created"
    DISPATCHED = "appeal.dispatched"
    RETURNED = "appeal.returned"
    EXTENDED = "appeal.extended"
    REPLIED = "appeal.replied"
    CLOSED = "appeal.closed"
    REOPENED = "appeal.reopened"
    DUE_SOON = "appeal.due_soon"
    OVERDUE = "appeal.overdue"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


EVENT_LABELS: dict[EventType, str] = {
    EventType.CREATED: "诉求受理",
    EventType.DISPATCHED: "工单派发",
    EventType.RETURNED: "退单回中心",
    EventType.EXTENDED: "延期获批",
    EventType.REPLIED: "承办单位答复",
    EventType.CLOSED: "工单办结",
    EventType.REOPENED: "工单重办",
    EventType.DUE_SOON: "时限临近",
    EventType.OVERDUE: "工单超期",
}

_BY_ACTION: dict[str, EventType] = {
    "submit": EventType.CREATED,
    "dispatch": EventType.DISPATCHED,
    "approve_return": EventType.RETURNED,
    "approve_extension": EventType.EXTENDED,
    "reply": EventType.REPLIED,
    "reopen": EventType.REOPENED,
}
_CLOSED = "closed"
_REMIND_STAGES = {"overdue": EventType.OVERDUE, "due_soon": EventType.DUE_SOON}


def event_for(
    action: str, from_status: str, to_status: str, detail: Mapping[str, Any] | None = None
) -> EventType | None:
    """The event of one recorded change: the action's own event, else ``appeal.closed`` when
    the change closed the appeal, else the deadline sweep's reminder stage; ``None`` for
    changes that are not events (signing, contacting, notes …)."""
    found = _BY_ACTION.get(action)
    if found is not None:
        return found
    if to_status == _CLOSED and from_status != _CLOSED:
        return EventType.CLOSED
    if action == "remind" and detail is not None:
        return _REMIND_STAGES.get(str(detail.get("stage", "")))
    return None


def parse_event_types(values: Iterable[str]) -> tuple[EventType, ...]:
    """The event types named in ``values`` (deduplicated, in catalogue order); ValueError naming
    the unknown ones, or when none is given."""
    wanted = [v.strip() for v in values if v.strip()]
    unknown = [v for v in wanted if v not in EventType._value2member_map_]
    if unknown:
        known = ", ".join(t.value for t in EventType)
        raise ValueError(
            f"未知的事件类型：{', '.join(unknown)}；可订阅的类型：{known}"
            f" (unknown event type {', '.join(unknown)})"
        )
    if not wanted:
        raise ValueError("请至少订阅一种事件类型 (subscribe to at least one event type)")
    chosen = set(wanted)
    return tuple(t for t in EventType if t.value in chosen)
