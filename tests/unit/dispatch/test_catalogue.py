"""The shipped dispatch catalogue and the catalogue validator."""

from __future__ import annotations

import pytest

from civicgrid.dispatch.catalogue import (
    COLUMNS,
    OwnerRule,
    load_default_catalogue,
    parse_catalogue,
    read_catalogue_csv,
)
from civicgrid.errors import Invalid

# Level-2 codes of DOMAIN.md §7.
DOMAIN_L2 = {
    "01": 6, "02": 5, "03": 4, "04": 6, "05": 5, "06": 5, "07": 5, "08": 5,
    "09": 4, "10": 4, "11": 5, "12": 6, "13": 4, "14": 5, "15": 5, "99": 3,
}  # fmt: skip


def row(code: str, parent: str = "", **cells: str) -> dict[str, str]:
    base = dict.fromkeys(COLUMNS, "")
    base.update(code=code, parent_code=parent, name=f"事项{code}", level=str(len(code) // 2))
    base.update(cells)
    return base


def test_default_catalogue_covers_domain_section_7() -> None:
    catalogue = load_default_catalogue()
    assert catalogue.version
    level1 = catalogue.children(None)
    assert {i.code for i in level1} == set(DOMAIN_L2)
    for item in level1:
        level2 = catalogue.children(item.code)
        assert len(level2) == DOMAIN_L2[item.code], item.code
        for sub in level2:
            assert 3 <= len(catalogue.children(sub.code)) <= 6, sub.code


def test_default_catalogue_rules() -> None:
    catalogue = load_default_catalogue()
    for leaf in catalogue.leaves():
        assert leaf.keywords, leaf.code
        assert leaf.default_level in {"L1", "L2", "L3", "L4"}
        parent = catalogue.get(leaf.parent_code or "")
        if parent.owner_rule in (OwnerRule.DEPARTMENT, OwnerRule.UTILITY):
            assert leaf.owner_rule is not OwnerRule.STREET, leaf.code
    gas_leak = next(i for i in catalogue.leaves() if i.name == "燃气泄漏")
    assert gas_leak.default_level == "L1"
    assert gas_leak.owner_rule is OwnerRule.UTILITY
    assert gas_leak.owner_unit == "gas"
    assert [i.code for i in catalogue.path(gas_leak.code)] == ["04", "0403", "040301"]


def test_valid_minimal_catalogue() -> None:
    catalogue = parse_catalogue(
        [
            row("01"),
            row("0101", "01", owner_rule="department", owner_unit="城市管理委"),
            row("010101", "0101", owner_rule="utility", owner_unit="power", keywords="停电;断电"),
        ],
        version="t1",
    )
    item = catalogue.get("010101")
    assert item.keywords == ("停电", "断电")
    assert item.default_level == "L3"
    assert item.default_finish_days == 7
    assert "010101" in catalogue
    with pytest.raises(Invalid, match="没有编码"):
        catalogue.get("999999")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([row("01"), row("01")], "重复"),
        ([row("01"), row("010101", "0101")], "不存在"),
        ([row("01"), row("02"), row("0201", "01")], "前缀"),
        ([row("1")], "2、4 或 6 位"),
        ([row("01", level="2")], "层级"),
        ([row("01", owner_rule="council")], "owner_rule"),
        ([row("01", owner_rule="department")], "owner_unit"),
        ([row("01", owner_rule="utility", owner_unit="coal")], "owner_unit"),
        ([row("01", default_level="L5")], "default_level"),
        ([row("01", default_finish_days="0")], "default_finish_days"),
        ([row("01", requires_site_visit="maybe")], "requires_site_visit"),
        (
            [
                row("01"),
                row("0101", "01", owner_rule="department", owner_unit="生态环境局"),
                row("010101", "0101", owner_rule="street"),
            ],
            "不得默认下派到街乡",
        ),
        ([], "为空"),
    ],
)
def test_invalid_catalogues(rows: list[dict[str, str]], message: str) -> None:
    with pytest.raises(Invalid, match=message):
        parse_catalogue(rows, version="t")


def test_csv_needs_version_and_columns() -> None:
    header = ",".join(COLUMNS)
    with pytest.raises(Invalid, match="版本"):
        read_catalogue_csv([header + "\n", "01,,1,甲,none,,L3,7,false,false,\n"])
    with pytest.raises(Invalid, match="缺少列"):
        read_catalogue_csv(["# version: 1\n", "code,name\n", "01,甲\n"])
    catalogue = read_catalogue_csv(
        ["# version: 2\n", header + "\n", "01,,1,甲,none,,L3,7,false,false,\n"]
    )
    assert catalogue.version == "2"


def test_branch_names_are_the_words_of_a_category_not_its_heading() -> None:
    catalogue = load_default_catalogue()
    assert catalogue.branch_names("040101") == ["供水", "停水"]
    level_1 = catalogue.branch_names("01")
    assert "城市管理与市容环境" not in level_1
    assert {"环境卫生", "暴露垃圾", "垃圾清运不及时"} <= set(level_1)
    assert catalogue.branch_names("999999") == []
