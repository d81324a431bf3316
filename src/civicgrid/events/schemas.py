"""JSON shapes of the webhook admin API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class EventTypeRead(BaseModel):
    code: str = Field(description="事件类型代码，也是消息队列的路由键")
    label: str


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description="接收事件的 http(s) 地址")
    event_types: list[str] = Field(min_length=1, max_length=50, description="订阅的事件类型")
    description: str = Field(default="", max_length=200)


class SubscriptionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2000)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=200)
    is_active: bool | None = None


class RotateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_hours: int = Field(default=24, ge=0, le=168, description="旧密钥继续签名的小时数")


class SubscriptionRead(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    created_at: datetime
    created_by: str
    secrets_live: int = Field(description="当前参与签名的密钥个数（轮换期间为 2 个及以上）")


class SubscriptionIssued(SubscriptionRead):
    secret: str = Field(description="签名密钥（whsec_ 开头），只显示这一次")


class AttemptRead(BaseModel):
    at: datetime
    ok: bool
    detail: str


class DeliveryRead(BaseModel):
    id: int
    subscription_id: int | None
    channel: str
    event_type: str
    webhook_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    log: list[AttemptRead]


class ReplayedRead(BaseModel):
    replayed: int
