"""Emitting outbound events: the one place an appeal change becomes an event row.

A joiner: it writes into the caller's transaction (never commits). The event row is an outbox
message on channel ``event`` whose body is the exact JSON every sink will send; the fan-out job
copies it per webhook subscription and to the broker.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from civicgrid.events.catalogue import EventType, event_for
from civicgrid.notify.models import OutboxMessage
from civicgrid.notify.service import Recipient, enqueue, enqueue_params

CHANNEL = "event"
# Deadline facts a reminder carries; nothing else of a change's detail leaves the system.
_PUBLIC_DETAIL = ("deadline", "stage", "due")


@dataclass(frozen=True, slots=True)
class AppealChange:
    """One recorded appeal change as the events see it (the body carries only public facts:
    no caller, no note, no content; of ``detail`` only the deadline facts)."""

    appeal_id: int
    number: str
    action: str
    from_status: str
    to_status: str
    detail: Mapping[str, Any] | None
    now: datetime


def body_for(event_type: EventType, change: AppealChange) -> str:
    """The event's JSON: ``type``, ``timestamp`` and ``data`` (Standard Webhooks' payload
    shape). Only public facts: no caller, no note, no content."""
    data: dict[str, Any] = {
        "appeal_id": change.appeal_id,
        "number": change.number,
        "action": change.action,
        "status": change.to_status,
        "previous_status": change.from_status,
    }
    detail = change.detail or {}
    for key in _PUBLIC_DETAIL:
        if key in detail:
            data[key] = detail[key]
    payload = {
        "type": event_type.value,
        "timestamp": change.now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def event_params(prefix: str, event_type: EventType, change: AppealChange) -> dict[str, object]:
    """The bind parameters of an event row for :func:`civicgrid.notify.service.
    enqueue_statement` (intake writes its rows with Core statements)."""
    return enqueue_params(
        prefix,
        recipient=Recipient(CHANNEL, event_type.value),
        subject=event_type.value,
        body=body_for(event_type, change),
        channel=CHANNEL,
        now=change.now,
    )


def emit_change(session: Session, change: AppealChange) -> OutboxMessage | None:
    """Write the event row of one recorded appeal change, if the change is an event
    (:func:`civicgrid.events.catalogue.event_for`). Joins the caller's transaction."""
    event_type = event_for(change.action, change.from_status, change.to_status, change.detail)
    if event_type is None:
        return None
    params = event_params("", event_type, change)
    return enqueue(
        session,
        recipient=Recipient(str(params["recipient_kind"]), str(params["recipient_id"])),
        subject=str(params["subject"]),
        body=str(params["body"]),
        channel=CHANNEL,
        now=change.now,
    )
