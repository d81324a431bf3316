"""The dispatch catalogue (派单目录): three levels of appeal categories with routing defaults.

Pure: parses and validates rows; the only I/O is :func:`load_default_catalogue`, which reads
the versioned file shipped in ``dispatch/data/catalogue.csv`` (DOMAIN.md §7). The same
:func:`parse_catalogue` serves imports of a city's own catalogue (CSV or spreadsheet rows as
mappings of column name → cell text).

Rules checked (each failure is an :class:`~civicgrid.errors.Invalid` listing every problem):

- codes are unique and have 2 (level 1), 4 (level 2) or 6 (level 3) digits; the ``level``
  column agrees with the code length;
- every level-2/3 item has a parent that exists, one level up, whose code is its prefix;
- ``owner_rule`` is one of :class:`OwnerRule`; department items name a department kind,
  utility items one of :data:`UTILITY_SERVICES`;
- items below a department- or utility-owned level-2 item are never owned by the street:
  national rule, functional departments' matters must not be pushed down to 基层
  (国办函〔2025〕66号, DOMAIN.md §1.4, §2.2);
- ``default_level`` is L1–L4 and ``default_finish_days`` a positive integer.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Final

from civicgrid.errors import Invalid

COLUMNS: Final = (
    "code",
    "parent_code",
    "level",
    "name",
    "owner_rule",
    "owner_unit",
    "default_level",
    "default_finish_days",
    "requires_site_visit",
    "whistle_candidate",
    "keywords",
)
UTILITY_SERVICES: Final = frozenset(
    {"water", "power", "gas", "heating", "telecom", "drainage", "transit"}
)
URGENCY_LEVELS: Final = ("L1", "L2", "L3", "L4")
_CODE = re.compile(r"^(?:\d{2}){1,3}$")
_VERSION_LINE = re.compile(r"^#\s*version\s*[:=]\s*(\S+)", re.IGNORECASE)
_TRUE = frozenset({"true", "1", "yes", "y", "是"})
_FALSE = frozenset({"false", "0", "no", "n", "否", ""})


class OwnerRule(StrEnum):
    """Who handles items of a category by default (DOMAIN.md §7)."""

    STREET = "street"
    """属地: the 街乡 whose territory contains the appeal's location (via grid/address)."""
    DEPARTMENT = "department"
    """A district functional department of the kind named in ``owner_unit``."""
    UTILITY = "utility"
    """A public-service enterprise by service area; ``owner_unit`` names the service."""
    KNOWLEDGE_BASE = "knowledge_base"
    """Answered directly from the knowledge base by the hotline (咨询)."""
    NONE = "none"
    """No owner of its own: a grouping level, or decided per child item."""

    @property
    def label(self) -> str:
        """The rule in Chinese, as pages show it."""
        return OWNER_RULE_LABELS[self]


OWNER_RULE_LABELS: Final = {
    OwnerRule.STREET: "属地街乡",
    OwnerRule.DEPARTMENT: "职能部门",
    OwnerRule.UTILITY: "公共服务企业",
    OwnerRule.KNOWLEDGE_BASE: "知识库答复",
    OwnerRule.NONE: "分组",
}


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    """One category of the dispatch catalogue, at level 1, 2 or 3."""

    code: str
    parent_code: str | None
    level: int
    name: str
    owner_rule: OwnerRule
    owner_unit: str
    """Department kind (e.g. 城市管理委) or utility service (water, power, …); else empty."""
    default_level: str
    """Default urgency level L1–L4 (DOMAIN.md §1.3)."""
    default_finish_days: int
    requires_site_visit: bool
    whistle_candidate: bool
    """Typical ground for 吹哨报到 (DOMAIN.md §1.8)."""
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A validated catalogue with its version, indexed by code."""

    version: str
    items: tuple[CatalogueItem, ...]
    by_code: dict[str, CatalogueItem] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_code", {i.code: i for i in self.items})

    def get(self, code: str) -> CatalogueItem:
        """The item with ``code``; ``Invalid`` when unknown."""
        item = self.by_code.get(code)
        if item is None:
            raise Invalid(f"派单目录中没有编码为 {code} 的事项")
        return item

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    def children(self, code: str | None) -> list[CatalogueItem]:
        """Direct children of ``code`` (``None`` = the level-1 items)."""
        return [i for i in self.items if i.parent_code == code]

    def path(self, code: str) -> list[CatalogueItem]:
        """The item and its ancestors, level 1 first."""
        out = [self.get(code)]
        while out[0].parent_code:
            out.insert(0, self.get(out[0].parent_code))
        return out

    def leaves(self) -> list[CatalogueItem]:
        """The level-3 items, the ones appeals are classified into."""
        return [i for i in self.items if i.level == 3]

    def branch_names(self, code: str) -> list[str]:
        """Names of the catalogue branch of ``code`` that can appear in an appeal's text: the
        item and its ancestors below level 1, then everything under it (a level-1 label gets
        its level-2/3 names). Level-1 names are left out: they are headings (城乡建设), not
        words residents write. Unknown codes have none."""
        if code not in self.by_code:
            return []
        names = [i.name for i in self.path(code) if i.level > 1]
        frontier = [code]
        while frontier:
            below = [i for c in frontier for i in self.children(c)]
            names.extend(i.name for i in below)
            frontier = [i.code for i in below]
        return names


def _flag(value: str, column: str, where: str, problems: list[str]) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v not in _FALSE:
        problems.append(f"{where}: {column} 应为 true/false，实际为 {value!r}")
    return False


def _parse_row(row: Mapping[str, str], where: str, problems: list[str]) -> CatalogueItem | None:
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    code, name = cell("code"), cell("name")
    start = len(problems)
    if not _CODE.match(code):
        problems.append(f"{where}: 编码 {code!r} 应为 2、4 或 6 位数字")
    if not name:
        problems.append(f"{where}: 名称为空")
    level_text = cell("level") or str(len(code) // 2)
    if level_text != str(len(code) // 2):
        problems.append(f"{where}: 层级 {level_text} 与编码 {code} 的长度不符")
    try:
        owner = OwnerRule(cell("owner_rule") or "none")
    except ValueError:
        problems.append(
            f"{where}: owner_rule {cell('owner_rule')!r} 无效，"
            f"应为 {', '.join(r.value for r in OwnerRule)} 之一"
        )
        owner = OwnerRule.NONE
    unit = cell("owner_unit")
    if owner is OwnerRule.DEPARTMENT and not unit:
        problems.append(f"{where}: 部门承办的事项必须填写 owner_unit（部门类别）")
    if owner is OwnerRule.UTILITY and unit not in UTILITY_SERVICES:
        problems.append(
            f"{where}: 公共服务企业承办的事项 owner_unit 应为 "
            f"{', '.join(sorted(UTILITY_SERVICES))} 之一，实际为 {unit!r}"
        )
    urgency = cell("default_level") or "L3"
    if urgency not in URGENCY_LEVELS:
        problems.append(f"{where}: default_level {urgency!r} 应为 L1–L4")
    days_text = cell("default_finish_days") or "7"
    days = int(days_text) if days_text.isdigit() else 0
    if days <= 0:
        problems.append(f"{where}: default_finish_days {days_text!r} 应为正整数")
    site = _flag(cell("requires_site_visit"), "requires_site_visit", where, problems)
    whistle = _flag(cell("whistle_candidate"), "whistle_candidate", where, problems)
    if len(problems) > start:
        return None
    keywords = tuple(k.strip() for k in re.split(r"[;；、]", cell("keywords")) if k.strip())
    return CatalogueItem(
        code=code,
        parent_code=cell("parent_code") or None,
        level=len(code) // 2,
        name=name,
        owner_rule=owner,
        owner_unit=unit,
        default_level=urgency,
        default_finish_days=days,
        requires_site_visit=site,
        whistle_candidate=whistle,
        keywords=keywords,
    )


def _check_tree(items: list[CatalogueItem], problems: list[str]) -> None:
    by_code: dict[str, CatalogueItem] = {}
    for item in items:
        if item.code in by_code:
            problems.append(f"编码 {item.code} 重复（{by_code[item.code].name} / {item.name}）")
        by_code.setdefault(item.code, item)
    for item in items:
        if item.level == 1:
            if item.parent_code:
                problems.append(f"一级事项 {item.code} 不应有上级编码")
            continue
        parent = by_code.get(item.parent_code or "")
        if parent is None:
            problems.append(f"事项 {item.code} 的上级 {item.parent_code or '（空）'} 不存在")
            continue
        if parent.level != item.level - 1 or not item.code.startswith(parent.code):
            problems.append(f"事项 {item.code} 的编码与上级 {parent.code} 的编码前缀或层级不一致")
        owned_above = parent.owner_rule in (OwnerRule.DEPARTMENT, OwnerRule.UTILITY)
        if owned_above and item.owner_rule is OwnerRule.STREET:
            problems.append(
                f"事项 {item.code} {item.name} 的上级由{parent.owner_unit or '部门'}承办，"
                "不得默认下派到街乡（职能部门事项不得推给基层）"
            )


def parse_catalogue(rows: Iterable[Mapping[str, str]], *, version: str) -> Catalogue:
    """Validate ``rows`` (column name → cell text) into a :class:`Catalogue`.

    Raises ``Invalid`` listing every problem found (row numbers count data rows from 1).
    """
    if not version.strip():
        raise Invalid("派单目录缺少版本号")
    problems: list[str] = []
    items: list[CatalogueItem] = []
    for n, row in enumerate(rows, start=1):
        item = _parse_row(row, f"第 {n} 行", problems)
        if item is not None:
            items.append(item)
    if not items and not problems:
        problems.append("派单目录为空")
    _check_tree(items, problems)
    if problems:
        shown = problems[:20]
        more = f"；另有 {len(problems) - 20} 个问题" if len(problems) > 20 else ""
        raise Invalid("派单目录校验失败: " + "；".join(shown) + more, detail=problems)
    return Catalogue(version=version.strip(), items=tuple(items))


def read_catalogue_csv(lines: Iterable[str]) -> Catalogue:
    """Parse catalogue CSV text: leading ``# version: X`` comment, then a header row."""
    version = ""

    def data_lines() -> Iterator[str]:
        nonlocal version
        for line in lines:
            if line.startswith("#"):
                match = _VERSION_LINE.match(line)
                if match:
                    version = match.group(1)
                continue
            yield line

    reader = csv.DictReader(data_lines())
    rows = list(reader)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise Invalid(f"派单目录缺少列: {', '.join(missing)}")
    return parse_catalogue(rows, version=version)


def load_default_catalogue() -> Catalogue:
    """The catalogue shipped with civicgrid (``dispatch/data/catalogue.csv``)."""
    path = resources.files("civicgrid.dispatch").joinpath("data/catalogue.csv")
    with path.open(encoding="utf-8") as handle:
        return read_catalogue_csv(handle)
