"""Search text as a literal ``LIKE`` pattern: ``%`` and ``_`` typed by a user are characters to
find, not wildcards."""

from __future__ import annotations

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """``%text%`` with the text's ``\\``, ``%`` and ``_`` escaped by :data:`LIKE_ESCAPE`; use it
    as ``column.like(contains_pattern(text), escape=LIKE_ESCAPE)``."""
    escaped = (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"
