"""Two-factor authentication rules: RFC 6238 time-based codes (via ``pyotp``) and one-time
recovery codes. Pure: the time is passed in, nothing is stored here."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp

ISSUER = "civicgrid"
CODE_DIGITS = 6
# Codes of the previous and the next 30-second step are accepted too (clock drift, RFC 6238 §6).
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10

_CODE_RE = re.compile(r"^\d{6}$")
_RECOVERY_RE = re.compile(r"^[0-9a-f]{4}(-[0-9a-f]{4}){3}$")


def new_secret() -> str:
    """A fresh random base32 secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (usually from a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def code_at(secret: str, at: datetime) -> str:
    """The code an authenticator shows at ``at`` (used by tests and by nothing else)."""
    return pyotp.TOTP(secret).at(at)


def is_code_format(code: str) -> bool:
    """Whether ``code`` looks like a six-digit TOTP code (otherwise it may be a recovery code)."""
    return bool(_CODE_RE.match(code.strip()))


def matching_step(secret: str, code: str, *, now: datetime, last_step: int | None) -> int | None:
    """The time step whose code equals ``code``, within ±``DRIFT_STEPS`` of ``now`` and later
    than ``last_step`` (a code is accepted only once, RFC 6238 §5.2); None when none matches."""
    code = code.strip()
    if not _CODE_RE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Fresh one-time recovery codes such as ``3f9a-10c2-d7e4-8b05`` (64 random bits each, so
    that their unsalted SHA-256 hashes cannot be reversed by trying them all)."""
    return [_grouped(secrets.token_hex(8)) for _ in range(count)]


def _grouped(compact: str) -> str:
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def normalise_recovery_code(code: str) -> str | None:
    """A typed recovery code in stored form (lower case, hyphen in the middle), or None when it
    cannot be one."""
    candidate = _grouped(re.sub(r"[\s-]", "", code).lower())
    return candidate if _RECOVERY_RE.match(candidate) else None


def recovery_code_hash(code: str) -> str:
    """The stored SHA-256 hash of a normalised recovery code."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()
