"""The notification outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
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
    # A notice to a person outside the system (SMS, e-mail): the phone or address, encrypted
    # with the field key; ``recipient_id`` then holds its keyed hash (caps, opt-out).
    address_enc: Mapped[str | None] = mapped_column(Text)


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


class NoticeTemplate(Base):
    """An admin's wording of one kind of notice (受理回执, 答复通知, 时限预警), replacing the
    built-in Chinese default. Placeholders are limited to facts about the appeal."""

    __tablename__ = "notice_template"
    __table_args__ = (UniqueConstraint("kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_label: Mapped[str] = mapped_column(String(200), default="")


class NoticeOptOut(Base):
    """A phone number or e-mail address that asked for no more notices (退订); kept only as
    its keyed hash."""

    __tablename__ = "notice_opt_out"
    __table_args__ = (UniqueConstraint("address_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_label: Mapped[str] = mapped_column(String(200), default="")


class NoticePreference(Base):
    """How a staff member wants deadline warnings of the orders of their units: by SMS or
    e-mail to an address (encrypted), or not at all. ``units`` are the ``kind:id`` of the units
    the user held posts at when saving (``region:12``, ``department:3``)."""

    __tablename__ = "notice_preference"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    address_enc: Mapped[str] = mapped_column(Text)
    address_hash: Mapped[str] = mapped_column(String(64))
    deadline_warnings: Mapped[bool] = mapped_column(Boolean, default=True)
    units: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
