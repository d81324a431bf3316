"""Rules of the caller's self-service (自助服务): tracking an appeal by its number and the last four
digits of the caller's phone (查询进度), the limit on failed tracking attempts, and the caller's own
rating after the reply (自助评价). Pure: no I/O, no clock, no database.

The number together with the phone's last four digits is the caller's proof; four digits are only
10 000 guesses, so failed attempts are counted per number over a sliding window and tracking that
number is refused for the rest of the window once the limit is reached. The failed attempts are
kept only as long as they can count: older ones are deleted by a periodic job, after a retention
that may be longer than the window but never shorter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from civicgrid.errors import DomainError, Invalid

PHONE_TAIL = 4
MAX_TRACKING_FAILURES = 5
TRACKING_WINDOW = timedelta(hours=1)
# How long failed tracking attempts are kept (default: exactly the window they count in).
TRACKING_FAILURE_RETENTION = TRACKING_WINDOW
NO_MATCH_MESSAGE = "没有找到匹配的诉求，请核对工单编号和手机号码后四位"


class CallbackChannel(StrEnum):
    """How a caller's answer (回访) came in; stored on the callback row."""

    PHONE = "phone"
    SELF_SERVICE = "self_service"

    @property
    def label(self) -> str:
        return CALLBACK_CHANNEL_LABELS[self]


CALLBACK_CHANNEL_LABELS: dict[CallbackChannel, str] = {
    CallbackChannel.PHONE: "电话回访",
    CallbackChannel.SELF_SERVICE: "自助评价",
}


class TooManyAttempts(DomainError):
    """Too many failed tracking attempts for one number within the window (HTTP 429)."""

    status_code = 429


@dataclass(frozen=True, slots=True)
class TrackingProof:
    """What a visitor without a login gives to prove being the caller: the appeal number and
    the last four digits of the phone given at intake."""

    number: str
    phone_last4: str


def normalise_number(number: str) -> str:
    """The number as stored and counted: surrounding spaces removed, at most 20 characters."""
    return number.strip()[:20]


def is_phone_tail(value: str) -> bool:
    """Exactly four digits (what the tracking form asks for)."""
    return len(value) == PHONE_TAIL and value.isascii() and value.isdigit()


def phone_last4(phone: str) -> str:
    """The last four digits of a phone number, ignoring spaces, dashes and a country prefix's
    plus sign; "" when the phone has fewer than four digits."""
    digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
    return digits[-PHONE_TAIL:] if len(digits) >= PHONE_TAIL else ""


def tracking_window_start(now: datetime) -> datetime:
    """Failed attempts at or after this instant count towards the limit."""
    return now - TRACKING_WINDOW


def check_tracking_allowed(failures: int) -> None:
    """Raise :class:`TooManyAttempts` once ``failures`` within the window reach the limit."""
    if failures >= MAX_TRACKING_FAILURES:
        minutes = int(TRACKING_WINDOW.total_seconds() // 60)
        raise TooManyAttempts(
            f"该工单编号查询失败次数过多，请 {minutes} 分钟后再试"
            f" (too many failed attempts for this number; try again in {minutes} minutes)",
            detail={"limit": MAX_TRACKING_FAILURES, "window_minutes": minutes},
        )


def tracking_purge_cutoff(
    now: datetime, retention: timedelta = TRACKING_FAILURE_RETENTION
) -> datetime:
    """Failed attempts before this instant may be deleted. Invalid when ``retention`` is
    shorter than :data:`TRACKING_WINDOW`: deleting attempts that still count would lift the
    limit early."""
    if retention < TRACKING_WINDOW:
        minutes = int(TRACKING_WINDOW.total_seconds() // 60)
        raise Invalid(
            f"查询失败记录的保留时长不能短于 {minutes} 分钟的计数窗口",
            detail={"field": "retention", "window_minutes": minutes},
        )
    return now - retention
