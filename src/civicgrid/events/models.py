"""Webhook subscriptions and their signing secrets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicgrid.db import Base, UTCDateTime


class WebhookSubscription(Base):
    """Another system's URL that wants to hear about some appeal event types (appeal created,
    dispatched, replied, closed, overdue …). Each event of those types is posted to it, signed
    with the subscription's secret(s), as long as the subscription is active."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(200), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_label: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    secrets: Mapped[list[WebhookSecret]] = relationship(
        back_populates="subscription",
        cascade="all, delete-orphan",
        order_by="WebhookSecret.id",
    )


class WebhookSecret(Base):
    """A signing secret of a subscription, stored encrypted (the field key). The newest secret
    has no ``expires_at``; a rotation gives the previous ones an end of grace, until which
    messages carry a signature with each, so the receiver can switch without losing any."""

    __tablename__ = "webhook_secret"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE"), index=True
    )
    secret_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    subscription: Mapped[WebhookSubscription] = relationship(back_populates="secrets")
