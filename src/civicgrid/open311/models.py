"""Tables of the Open311 server: the client applications holding API keys, and the record of
each request an application filed (which application, what it sent beside the appeal)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime


class Open311Client(Base):
    """A client application (an app, a city portal, a FixMyStreet install) allowed to file
    requests. Its API key is shown once at creation and stored only as a SHA-256 hash;
    ``key_prefix`` (the first characters) lets an administrator tell keys apart. Each key has
    its own rate limit. A revoked client keeps its row so that its requests still name it."""

    __tablename__ = "open311_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_label: Mapped[str] = mapped_column(String(200))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Open311Request(Base):
    """What a client application sent with one request, beside the appeal that the intake use
    case recorded: the application, the appeal's number (the ``service_request_id``), the
    service code, the reporter's own description (what the protocol gives back, never the
    caller's identity), media link, address id, attributes and the client's device and account
    ids. The e-mail is sealed like the caller's phone."""

    __tablename__ = "open311_request"
    __table_args__ = (
        Index("ix_open311_request_requested_at", "requested_at"),
        Index("ix_open311_request_client_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"), unique=True)
    service_request_id: Mapped[str] = mapped_column(String(20), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("open311_client.id"))
    service_code: Mapped[str] = mapped_column(String(6))
    description: Mapped[str] = mapped_column(Text)
    media_url: Mapped[str] = mapped_column(String(1000), default="")
    address_id: Mapped[int | None] = mapped_column(Integer)
    email_enc: Mapped[str] = mapped_column(Text, default="")
    device_id: Mapped[str] = mapped_column(String(100), default="")
    account_id: Mapped[str] = mapped_column(String(100), default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
