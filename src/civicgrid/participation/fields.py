"""Checks of free-text fields shared by the participation use cases. Pure: no I/O."""

from __future__ import annotations

from civicgrid.errors import Invalid


def clean_text(value: str, what: str, max_len: int, *, required: bool = True) -> str:
    """``value`` stripped; Invalid when required and empty, or longer than ``max_len``."""
    value = value.strip()
    if required and not value:
        raise Invalid(f"{what}不能为空")
    if len(value) > max_len:
        raise Invalid(f"{what}不超过 {max_len} 个字")
    return value
