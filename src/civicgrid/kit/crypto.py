"""Field-level encryption and keyed hashing for sensitive columns. Domain-free.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) so that a
copy of the database alone does not disclose them (等保 2.0 保密性, PIPL Art. 51). Because Fernet
tokens are randomised, equality lookups go through a keyed hash: HMAC-SHA256 with a separate key
derived from the configured Fernet key by HKDF, so the hash cannot be recomputed by anyone who
holds the database but not the key (a plain SHA-256 of an 18-digit ID number is trivially
brute-forced).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_HASH_KEY_INFO = b"civicgrid keyed hash v1"


class DecryptionError(ValueError):
    """A stored value cannot be decrypted with the configured key."""


class FieldCipher:
    """Encrypts, decrypts and hashes short text values with one configured key."""

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("an encryption key is required")
        try:
            self._fernet = Fernet(key.encode("ascii"))
        except (ValueError, TypeError) as exc:
            raise ValueError("the field key is not a valid Fernet key") from exc
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
        self._hash_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_HASH_KEY_INFO
        ).derive(raw)

    def encrypt(self, value: str) -> str:
        """A Fernet token (URL-safe base64 text) for ``value``."""
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plain text behind a token made by :meth:`encrypt`."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise DecryptionError("stored value cannot be decrypted with this key") from exc

    def keyed_hash(self, value: str) -> str:
        """HMAC-SHA256 of ``value`` as 64 lowercase hex characters (stable for lookups)."""
        return hmac.new(self._hash_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def encrypt_many(self, values: list[str]) -> list[str]:
        """Encrypt a batch (bulk imports)."""
        enc = self._fernet.encrypt
        return [enc(v.encode("utf-8")).decode("ascii") for v in values]

    def keyed_hash_many(self, values: list[str]) -> list[str]:
        """Hash a batch (bulk imports and duplicate checks)."""
        key = self._hash_key
        new = hmac.new
        sha = hashlib.sha256
        return [new(key, v.encode("utf-8"), sha).hexdigest() for v in values]
