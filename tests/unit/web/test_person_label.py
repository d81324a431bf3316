"""People are shown by name, never by login name (UX "people by name and unit")."""

from __future__ import annotations

import pytest

from civicgrid.web.shared.templating import person


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("street(街道承办人赵静)", "街道承办人赵静"),
        ("grid_139902001002001(网格员钱梅丽)", "网格员钱梅丽"),
        ("系统", "系统"),
        ("", ""),
        (None, ""),
        ("open311 客户端(甲)(乙)", "open311 客户端(甲)(乙)"),
    ],
)
def test_person_drops_the_login_name(label: str | None, shown: str) -> None:
    assert person(label) == shown
