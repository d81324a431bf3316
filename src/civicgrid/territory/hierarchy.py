"""Rules of the territory tree: which level sits under which, what a region code looks like and
how materialised paths are built and read. Pure: no I/O, no database, no clock.

Codes (DOMAIN §3.1, §4.1):

* city, district, street and community carry 12-digit division codes: 6 digits of GB/T 2260
  (province 2 + prefecture 2 + county 2), 3 digits for the street/township (乡级) and 3 for the
  community/village (村级);
* a grid carries a 15-digit code: the 12 digits of its community plus a 3-digit sequence
  (the Beijing unit-grid code: district 6 + street 3 + community 3 + sequence 3).

A city code ends in ``00`` + ``000000`` (e.g. ``330100000000``); a province-level municipality
(``110000000000``) is a city too, and its districts then share only the first two digits
(``110105000000``); a prefecture-level city's districts share the first four.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicgrid.territory.levels import RegionLevel

DIVISION_CODE_LENGTH = 12
GRID_CODE_LENGTH = 15


@dataclass(frozen=True)
class CodeParts:
    """A region code cut into its segments (empty strings for segments below the level)."""

    province: str
    prefecture: str
    county: str
    township: str
    village: str
    sequence: str


def code_length(level: RegionLevel) -> int:
    """The number of digits of a code at ``level``."""
    return GRID_CODE_LENGTH if level is RegionLevel.GRID else DIVISION_CODE_LENGTH


def split_code(code: str) -> CodeParts:
    """Cut a 12- or 15-digit code into its segments (no validation beyond slicing)."""
    return CodeParts(
        province=code[0:2],
        prefecture=code[2:4],
        county=code[4:6],
        township=code[6:9],
        village=code[9:12],
        sequence=code[12:15],
    )


def code_problem(code: str, level: RegionLevel) -> str | None:
    """Why ``code`` cannot be the code of a region at ``level``, or ``None`` when it can."""
    expected = code_length(level)
    if not code.isascii() or not code.isdigit():
        return f"编码“{code}”只能由数字组成"
    if len(code) != expected:
        return f"{level.label}编码应为 {expected} 位数字，实为 {len(code)} 位"
    parts = split_code(code)
    if parts.province == "00":
        return f"编码“{code}”的省级段不能为 00"
    if level is RegionLevel.CITY:
        if parts.county != "00" or parts.township != "000" or parts.village != "000":
            return f"市级编码“{code}”的第 5–12 位应全为 0"
    elif level is RegionLevel.DISTRICT:
        if parts.county == "00":
            return f"区级编码“{code}”的第 5–6 位（区县段）不能为 00"
        if parts.township != "000" or parts.village != "000":
            return f"区级编码“{code}”的第 7–12 位应全为 0"
    elif level is RegionLevel.STREET:
        if parts.township == "000":
            return f"街道编码“{code}”的第 7–9 位（乡级段）不能为 000"
        if parts.village != "000":
            return f"街道编码“{code}”的第 10–12 位应全为 0"
    elif level is RegionLevel.COMMUNITY:
        if parts.township == "000" or parts.village == "000":
            return f"社区编码“{code}”的乡级段和村级段都不能为 000"
    elif parts.township == "000" or parts.village == "000" or parts.sequence == "000":
        return f"网格编码“{code}”的街道、社区和序号段都不能为 000"
    return None


def shared_prefix_length(parent_code: str, parent_level: RegionLevel) -> int:
    """How many leading digits a child's code shares with its parent's code."""
    if parent_level is RegionLevel.CITY:
        # A municipality (xx00…) holds districts directly: only the province digits match.
        return 2 if split_code(parent_code).prefecture == "00" else 4
    return {
        RegionLevel.DISTRICT: 6,
        RegionLevel.STREET: 9,
        RegionLevel.COMMUNITY: 12,
    }.get(parent_level, DIVISION_CODE_LENGTH)


def parent_problem(
    *,
    code: str,
    level: RegionLevel,
    parent_code: str | None,
    parent_level: RegionLevel | None,
) -> str | None:
    """Why a region ``code`` at ``level`` cannot hang under the given parent, or ``None``.

    The city is the root and has no parent; every other level sits directly under the level
    above it (a grid always belongs to a community, never directly to a street: DOMAIN §3.2),
    and its code starts with the parent's significant digits.
    """
    if level is RegionLevel.CITY:
        if parent_code:
            return "市级区域不能有上级区域"
        return None
    if not parent_code or parent_level is None:
        return f"{level.label}必须指定上级区域（parent_code）"
    if level.parent is not parent_level:
        expected = level.parent.label if level.parent else "无"
        return f"{level.label}的上级必须是{expected}，而“{parent_code}”是{parent_level.label}"
    n = shared_prefix_length(parent_code, parent_level)
    if code[:n] != parent_code[:n]:
        return f"编码“{code}”的前 {n} 位应与上级编码“{parent_code}”一致"
    return None


def grid_code(community_code: str, sequence: int) -> str:
    """The 15-digit code of grid number ``sequence`` (1–999) in a community."""
    if not 1 <= sequence <= 999:
        raise ValueError(f"grid sequence {sequence} outside 1..999")
    return f"{community_code}{sequence:03d}"


def township_kind(code: str) -> str:
    """The kind of 乡级 unit a street code denotes (DOMAIN §4.1 ranges)."""
    n = int(split_code(code).township or "0")
    if 1 <= n <= 99:
        return "街道"
    if n <= 199:
        return "镇"
    if n <= 399:
        return "乡"
    if n <= 599:
        return "政企合一单位"
    return "其他"


def village_kind(code: str) -> str:
    """Whether a community code denotes a residents' (居委会) or a villagers' committee."""
    n = int(split_code(code).village or "0")
    if 1 <= n <= 199:
        return "居委会"
    if n <= 399:
        return "村委会"
    return "其他"


# --- materialised paths -------------------------------------------------------------------


def child_path(parent_path: str | None, region_id: int) -> str:
    """The path of region ``region_id`` under a parent with ``parent_path`` (root: ``None``)."""
    base = parent_path or "/"
    if not base.startswith("/") or not base.endswith("/"):
        raise ValueError(f"malformed region path {base!r}")
    return f"{base}{region_id}/"


def path_ids(path: str) -> tuple[int, ...]:
    """The region ids on a path, root first (``/1/4/17/`` → ``(1, 4, 17)``)."""
    return tuple(int(part) for part in path.strip("/").split("/") if part)


def ancestor_ids(path: str) -> tuple[int, ...]:
    """The ids of a region's ancestors, root first, without the region itself."""
    return path_ids(path)[:-1]


def depth(path: str) -> int:
    """How many regions the path holds (a city has depth 1)."""
    return len(path_ids(path))


def is_within(path: str, ancestor_path: str) -> bool:
    """Whether the region at ``path`` is ``ancestor_path`` itself or lies below it."""
    return path.startswith(ancestor_path)


def level_order_key(level: RegionLevel) -> int:
    """Sort key putting parents before children (city first, grid last)."""
    return level.rank
