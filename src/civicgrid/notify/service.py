"""Enqueueing and delivering notifications."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from sqlalchemy import Insert, Table, bindparam, insert, or_, select
from sqlalchemy.orm import Session

from civicgrid.db import use_case
from civicgrid.notify.models import OutboxMessage

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Recipient:
    """Who receives a message: a user (by id), a unit (``department:3``, ``region:12``,
    ``utility:2``) or a phone number (for SMS adapters)."""

    kind: str
    id: str


class Sender(Protocol):
    """Delivers one message on one channel; raises on failure (the job retries later)."""

    def send(self, message: OutboxMessage) -> None: ...


class InboxSender:
    """The default channel: the message stays in the outbox and the console shows it."""

    def send(self, message: OutboxMessage) -> None:
        return None


class RecordingSender:
    """Collects messages in memory; a fake for tests of SMS-like channels."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send(self, message: OutboxMessage) -> None:
        self.sent.append((message.recipient_id, message.subject, message.body))


def enqueue(
    session: Session,
    *,
    recipient: Recipient,
    subject: str,
    body: str = "",
    link: str = "",
    channel: str = "inbox",
    now: datetime,
) -> OutboxMessage:
    """Write one outbox row. Joins the caller's transaction (never commits)."""
    fields = enqueue_params(
        recipient=recipient, subject=subject, body=body, link=link, channel=channel, now=now
    )
    message = OutboxMessage(**fields)
    session.add(message)
    return message


_ENQUEUE_COLUMNS = (
    "created_at",
    "recipient_kind",
    "recipient_id",
    "channel",
    "subject",
    "body",
    "link",
    "status",
    "attempts",
    "last_error",
)


def enqueue_statement(prefix: str = "") -> Insert:
    """A Core INSERT of one outbox row whose values are bind parameters named ``prefix`` +
    column name (see :func:`enqueue_params`); a caller may compose it with other inserts in
    one statement. It never fetches the new id."""
    table = cast(Table, OutboxMessage.__table__)
    values = {c: bindparam(prefix + c, type_=table.c[c].type) for c in _ENQUEUE_COLUMNS}
    return insert(table).values(values).inline()


def enqueue_params(
    prefix: str = "",
    *,
    recipient: Recipient,
    subject: str,
    body: str = "",
    link: str = "",
    channel: str = "inbox",
    now: datetime,
) -> dict[str, object]:
    """The parameters of :func:`enqueue_statement` for one message (a pending message, never
    attempted); :func:`enqueue` builds its row from them too."""
    values: dict[str, object] = {
        "created_at": now,
        "recipient_kind": recipient.kind,
        "recipient_id": recipient.id,
        "channel": channel,
        "subject": subject[:200],
        "body": body,
        "link": link,
        "status": "pending",
        "attempts": 0,
        "last_error": "",
    }
    return {prefix + k: v for k, v in values.items()}


@use_case
def deliver_pending(
    session: Session, *, senders: Mapping[str, Sender], now: datetime, limit: int = 500
) -> int:
    """Hand pending messages to their channel's sender; failures are retried up to
    MAX_ATTEMPTS times. Returns the number delivered. Idempotent: delivered rows are skipped."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending")
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    delivered = 0
    for message in rows:
        sender = senders.get(message.channel)
        if sender is None:
            message.status = "failed"
            message.last_error = f"no sender for channel {message.channel!r}"
            continue
        message.attempts += 1
        try:
            sender.send(message)
        except Exception as exc:  # an adapter's failure must not stop the batch
            message.last_error = str(exc)[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
            continue
        message.status = "sent"
        message.sent_at = now
        delivered += 1
    return delivered


def inbox_for(
    session: Session, *, recipients: Sequence[Recipient], limit: int = 50
) -> Sequence[OutboxMessage]:
    """Newest inbox messages addressed to any of ``recipients``."""
    if not recipients:
        return []
    cond = or_(
        *[
            (OutboxMessage.recipient_kind == r.kind) & (OutboxMessage.recipient_id == r.id)
            for r in recipients
        ]
    )
    stmt = (
        select(OutboxMessage)
        .where(cond, OutboxMessage.channel == "inbox")
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return session.scalars(stmt).all()
