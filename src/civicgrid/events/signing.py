"""Standard Webhooks signatures: secrets, signing and verification.

Pure: no I/O, no clock, no randomness of its own (callers pass fresh bytes and the time).

A secret is ``whsec_`` + base64 of 24–64 random bytes. The signed content is
``{webhook-id}.{webhook-timestamp}.{body}``; a signature is ``v1,`` + base64 of its
HMAC-SHA256. During a secret rotation a message carries one signature per live secret,
space-separated, so receivers holding either secret accept it. Receivers reject timestamps more
than five minutes away from their clock (replay protection).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

PREFIX = "whsec_"
MIN_BYTES = 24
MAX_BYTES = 64
TOLERANCE_SECONDS = 5 * 60


class InvalidSecret(ValueError):
    """A text that is not a ``whsec_`` secret of an acceptable length."""


def secret_from_bytes(raw: bytes) -> str:
    """The textual form of a secret made of ``raw`` random bytes."""
    if not MIN_BYTES <= len(raw) <= MAX_BYTES:
        raise InvalidSecret(f"a secret needs {MIN_BYTES}–{MAX_BYTES} bytes, got {len(raw)}")
    return PREFIX + base64.b64encode(raw).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key behind a ``whsec_`` secret."""
    if not secret.startswith(PREFIX):
        raise InvalidSecret("a webhook secret starts with whsec_")
    try:
        raw = base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSecret("a webhook secret is whsec_ followed by base64") from exc
    if not MIN_BYTES <= len(raw) <= MAX_BYTES:
        raise InvalidSecret(f"a webhook secret holds {MIN_BYTES}–{MAX_BYTES} bytes")
    return raw


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of the message."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per live secret, space-separated."""
    if not secrets:
        raise InvalidSecret("a message needs at least one secret to be signed")
    return " ".join(sign(s, msg_id, timestamp, body) for s in secrets)


def verify(secret: str, msg_id: str, timestamp: int, body: bytes, header: str, *, now: int) -> bool:
    """What a receiver checks: the timestamp lies within the tolerance of ``now`` and one of
    the header's ``v1`` signatures matches (compared in constant time)."""
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, msg_id, timestamp, body)
    return any(hmac.compare_digest(expected, part) for part in header.split(" ") if part)
