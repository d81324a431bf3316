"""User search text becomes a literal LIKE pattern."""

from __future__ import annotations

import pytest

from civicgrid.kit.search import contains_pattern


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("路灯", "%路灯%"),
        ("50%", "%50\\%%"),
        ("a_b", "%a\\_b%"),
        ("c:\\temp", "%c:\\\\temp%"),
    ],
)
def test_wildcards_and_the_escape_character_are_escaped(text: str, pattern: str) -> None:
    assert contains_pattern(text) == pattern
