"""Masking of personal data for display (DOMAIN §4.2). Pure; knows no domain package."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """Keep the first 6 and last 4 characters of an ID number: ``110105********1234``."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """Keep the first 3 and last 4 digits of a phone number: ``138****5678``."""
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """Keep the family name: ``张**``."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)
