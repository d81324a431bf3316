"""Enqueueing and delivering notifications."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from sqlalchemy import Insert, Table, bindparam, delete, exists, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from civicgrid.db import use_case
from civicgrid.errors import Invalid
from civicgrid.notify.models import DeliveryAttempt, OutboxMessage
from civicgrid.notify.retry import RetryPolicy, backoff, is_exhausted

DEFAULT_POLICY = RetryPolicy()
# Jitter spreads retries; it is not a secret, so the standard generator is right here.
_jitter = random.Random()
jitter = _jitter.random


@dataclass(frozen=True)
class Recipient:
    """Who receives a message: a user (by id), a unit (``department:3``, ``region:12``,
    ``utility:2``) or a phone number (for SMS adapters)."""

    kind: str
    id: str


class Sender(Protocol):
    """Delivers one message on one channel; raises on failure (the job retries later).
    Returns what the other side said (for the delivery log) or ``None`` for nothing to log."""

    def send(self, message: OutboxMessage) -> str | None: ...


class InboxSender:
    """The default channel: the message stays in the outbox and the console shows it."""

    def send(self, message: OutboxMessage) -> str | None:
        return None


def enqueue(
    session: Session,
    *,
    recipient: Recipient,
    subject: str,
    body: str = "",
    link: str = "",
    channel: str = "inbox",
    now: datetime,
    source_id: int | None = None,
    status: str = "pending",
) -> OutboxMessage:
    """Write one outbox row. Joins the caller's transaction (never commits)."""
    fields = enqueue_params(
        recipient=recipient, subject=subject, body=body, link=link, channel=channel, now=now
    )
    message = OutboxMessage(**fields, source_id=source_id)
    message.status = status
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
    column name (see :func:`enqueue_params`); a caller may compose it with other inserts in one
    statement (one per message: SQLAlchemy does not cache a multi-row VALUES insert, it would
    compile it on every use). It never fetches the new id."""
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
    session: Session,
    *,
    senders: Mapping[str, Sender],
    now: datetime,
    policy: RetryPolicy = DEFAULT_POLICY,
    draw: Callable[[], float] = jitter,
    limit: int = 500,
) -> int:
    """Hand due pending messages of the channels in ``senders`` to their sender. A failure is
    retried after an exponential backoff with jitter (:mod:`civicgrid.notify.retry`); after
    ``policy.max_attempts`` failures the message is dead-lettered (``dead``) and waits for a
    replay. Every try a sender reports on goes to the delivery log. Returns the number
    delivered. Idempotent: sent rows are skipped; messages of other channels stay pending."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.channel.in_(sorted(senders)),
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    delivered = 0
    for message in rows:
        message.attempts += 1
        try:
            said = senders[message.channel].send(message)
        except Exception as exc:  # an adapter's failure must not stop the batch
            message.last_error = str(exc)[:2000] or type(exc).__name__
            session.add(
                DeliveryAttempt(message_id=message.id, at=now, ok=False, detail=message.last_error)
            )
            if is_exhausted(policy, message.attempts):
                message.status = "dead"
                message.next_attempt_at = None
            else:
                message.next_attempt_at = now + backoff(policy, message.attempts, draw())
            continue
        if said is not None:
            session.add(DeliveryAttempt(message_id=message.id, at=now, ok=True, detail=said))
        message.status = "sent"
        message.sent_at = now
        message.next_attempt_at = None
        delivered += 1
    return delivered


REPLAYABLE = frozenset({"dead", "sent"})


def reset_for_replay(session: Session, message: OutboxMessage, *, by: str, now: datetime) -> None:
    """Put a dead-lettered (or already sent) message back in the queue for an immediate try,
    with a fresh attempt budget; the delivery log keeps its history and notes the replay.
    Joins the caller's transaction."""
    if message.status not in REPLAYABLE:
        raise Invalid(
            f"只有已送达或已放弃的消息可以重发（当前状态：{message.status}）"
            f" (only sent or dead messages can be replayed; this one is {message.status})",
            detail={"field": "status"},
        )
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = None
    message.last_error = ""
    session.add(DeliveryAttempt(message_id=message.id, at=now, ok=True, detail=f"重发：{by}"))


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


def pending_on(session: Session, channel: str, *, limit: int) -> Sequence[OutboxMessage]:
    """The oldest pending messages of ``channel`` (for a job that handles them itself, such as
    the event fan-out)."""
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.status == "pending")
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()


def mark_all_done(session: Session, channel: str, *, now: datetime) -> int:
    """Mark every pending message of ``channel`` done in one statement (nothing to hand them
    to). Joins the caller's transaction; returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.status == "pending")
        .values(status="sent", sent_at=now, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def mark_done(message: OutboxMessage, *, now: datetime) -> None:
    """Record that a message handled outside :func:`deliver_pending` is done."""
    message.status = "sent"
    message.sent_at = now
    message.next_attempt_at = None


def skip_pending(session: Session, *, channel: str, recipient: Recipient, reason: str) -> int:
    """Mark every pending message of ``channel`` to ``recipient`` as ``skipped`` (its target
    went away). Joins the caller's transaction; returns how many were skipped."""
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.channel == channel,
            OutboxMessage.recipient_kind == recipient.kind,
            OutboxMessage.recipient_id == recipient.id,
            OutboxMessage.status == "pending",
        )
    ).all()
    for message in rows:
        message.status = "skipped"
        message.last_error = reason
        message.next_attempt_at = None
    return len(rows)


def messages_to(
    session: Session,
    *,
    channel: str,
    recipient_kind: str,
    recipient_id: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> Sequence[OutboxMessage]:
    """Newest messages of ``channel`` to recipients of one kind (the delivery log's list)."""
    stmt = select(OutboxMessage).where(
        OutboxMessage.channel == channel, OutboxMessage.recipient_kind == recipient_kind
    )
    if recipient_id is not None:
        stmt = stmt.where(OutboxMessage.recipient_id == recipient_id)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    return session.scalars(stmt.order_by(OutboxMessage.id.desc()).limit(limit)).all()


def attempts_of(session: Session, message_ids: Sequence[int]) -> dict[int, list[DeliveryAttempt]]:
    """The delivery log of each message, oldest try first."""
    found: dict[int, list[DeliveryAttempt]] = {i: [] for i in message_ids}
    if not message_ids:
        return found
    rows = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.message_id.in_(list(message_ids)))
        .order_by(DeliveryAttempt.id)
    ).all()
    for attempt in rows:
        found[attempt.message_id].append(attempt)
    return found


FINAL = ("sent", "skipped", "capped")
PURGED_CHANNELS = ("event", "webhook", "amqp", "sms", "email")


@use_case
def purge_delivered(session: Session, *, before: datetime) -> int:
    """Delete delivered (or skipped, capped) event, webhook, broker and notice messages created
    before ``before``, with their delivery log; then event rows left without copies. Messages
    still waiting or dead-lettered are never deleted, nor an event one of them came from; the
    inbox keeps its own history. Returns the number of rows deleted."""
    copies = session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.channel.in_(PURGED_CHANNELS[1:]),
            OutboxMessage.status.in_(FINAL),
            OutboxMessage.created_at < before,
        )
        .execution_options(synchronize_session=False)
    )
    child = aliased(OutboxMessage)
    events = session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.channel == "event",
            OutboxMessage.status.in_(FINAL),
            OutboxMessage.created_at < before,
            ~exists().where(child.source_id == OutboxMessage.id),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(copies, "rowcount", 0) or 0) + int(getattr(events, "rowcount", 0) or 0)
