"""The notification outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime


class OutboxMessage(Base):
    """A message to a user, a unit or a phone number, written in the same transaction as the
    change that caused it and delivered afterwards by a sender. ``channel`` "inbox" messages are
    shown in the web console; other channels are handed to their adapter by the delivery job.

    Statuses: ``pending`` (to send; not before ``next_attempt_at`` when a retry waits out its
    backoff), ``sent``, ``dead`` (dead-lettered after the last attempt; an admin may replay it),
    ``capped`` (a notice over the recipient's daily cap, never sent) and ``skipped`` (nothing
    to send, e.g. an anonymous caller). Rows fanned out from an outbound event (``channel``
    "event") carry the event's id in ``source_id``: it is the ``webhook-id`` and the AMQP
    message id, the same on every retry and replay."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_status", "status"),
        Index("ix_outbox_message_recipient", "recipient_kind", "recipient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recipient_kind: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16), default="inbox")
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True
    )


class DeliveryAttempt(Base):
    """One try at delivering an outbox message (the delivery log): when, whether it worked,
    and what the other side said (HTTP status, SMTP reply, broker error) or "replayed by …"."""

    __tablename__ = "outbox_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    ok: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str] = mapped_column(Text, default="")
