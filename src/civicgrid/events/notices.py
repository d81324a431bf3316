"""Notices to people derived from events: the caller's tracking number when an appeal is taken
in, a notice when the reply is ready, and deadline warnings to the staff of the order's units
who asked for them.

No notice goes to an anonymous or confidential caller, nor to a caller without a phone; the
texts carry the order's number, never a name (``notify.templates``). Opt-outs and the daily
cap are applied by :func:`civicgrid.notify.notices.enqueue_notice`.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.appeals import queries as appeal_queries
from civicgrid.auth.actor import Actor
from civicgrid.clock import BEIJING
from civicgrid.errors import NotFound
from civicgrid.events.catalogue import EventType
from civicgrid.notify import notices
from civicgrid.notify.addresses import SMS
from civicgrid.notify.models import OutboxMessage
from civicgrid.notify.templates import NoticeKind

READER = Actor.system("notices")
CALLER_NOTICES = {
    EventType.CREATED.value: NoticeKind.TRACKING_NUMBER,
    EventType.REPLIED.value: NoticeKind.REPLY_READY,
}
WARNINGS = {EventType.DUE_SOON.value: "临期", EventType.OVERDUE.value: "已超期"}
DEADLINE_LABELS = {"dispatch": "派单", "response": "响应", "feedback": "办结"}


@dataclass(frozen=True, slots=True)
class NoticePolicy:
    """Which notice channels are configured, and the per-address daily cap."""

    channels: Collection[str]
    daily_cap: int


def notices_for(
    session: Session, event: OutboxMessage, *, policy: NoticePolicy, now: datetime
) -> int:
    """Queue the notices one event calls for; returns how many rows were written. Joins the
    caller's transaction."""
    if not policy.channels:
        return 0
    data = json.loads(event.body).get("data", {})
    try:
        appeal = appeal_queries.by_id_for(session, READER, int(data["appeal_id"]))
    except (KeyError, ValueError, NotFound):
        return 0
    params = {"number": appeal.number}
    kind = CALLER_NOTICES.get(event.subject)
    if kind is not None:
        if SMS not in policy.channels or appeal.anonymous or appeal.confidential:
            return 0
        if not appeal.caller_phone_enc or not appeal.caller_phone_hash:
            return 0
        notices.enqueue_notice(
            session,
            kind=kind,
            channel=SMS,
            address_enc=appeal.caller_phone_enc,
            address_hash=appeal.caller_phone_hash,
            params=params,
            daily_cap=policy.daily_cap,
            now=now,
        )
        return 1
    stage = WARNINGS.get(event.subject)
    if stage is None:
        return 0
    units = [f"{u.unit_kind}:{u.unit_id}" for u in appeal_queries.active_units(appeal)]
    due = str(data.get("due", ""))
    warning = {
        **params,
        "stage": stage,
        "deadline": DEADLINE_LABELS.get(str(data.get("deadline", "")), ""),
        "due": _beijing(due),
    }
    wanted = notices.preferences_for_units(session, units, sorted(policy.channels))
    for preference in wanted:
        notices.enqueue_notice(
            session,
            kind=NoticeKind.DEADLINE_WARNING,
            channel=preference.channel,
            address_enc=preference.address_enc,
            address_hash=preference.address_hash,
            params=warning,
            daily_cap=policy.daily_cap,
            now=now,
            link=f"/appeals/{appeal.id}",
        )
    return len(wanted)


def _beijing(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return ""
