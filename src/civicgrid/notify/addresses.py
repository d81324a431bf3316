"""Where a notice to a person goes: a mainland mobile number (SMS) or an e-mail address.

Pure: no I/O. Values are normalised so that the keyed hash of one address is always the same
(caps and opt-outs count by it).
"""

from __future__ import annotations

import re

SMS = "sms"
EMAIL = "email"
CHANNELS = (SMS, EMAIL)
CHANNEL_LABELS = {SMS: "短信", EMAIL: "电子邮件"}

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")


def normalise(channel: str, text: str) -> str:
    """The address in its stored form, or ValueError saying what is wrong."""
    value = text.strip()
    if channel == SMS:
        digits = re.sub(r"[\s-]", "", value).removeprefix("+86")
        if not _MOBILE.match(digits):
            raise ValueError(f"手机号码格式不对：{value} (a mainland mobile number has 11 digits)")
        return digits
    if channel == EMAIL:
        if len(value) > 254 or not _EMAIL.match(value):
            raise ValueError(f"电子邮件地址格式不对：{value} (not an e-mail address)")
        return value.lower()
    raise ValueError(f"未知的通知渠道：{channel}；可选：短信 sms、电子邮件 email (unknown channel)")
