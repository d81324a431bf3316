"""Administrative divisions named in an address (province, city, county), by cpca.

cpca matches the national division names of its bundled table (GB/T 2260, down to the
county) with an Aho-Corasick automaton: full names, and provinces and cities also without
their 省/市 suffix. It stops at the county, so it is the first stage of address parsing only;
streets, communities and standard addresses below it are the territory's and the register's
own (:mod:`.places`). Pure: no database, no clock; cpca is imported on first use (it loads
its table, about a tenth of a second).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

# cpca's names for the "city" level of municipalities and of counties directly under a
# province; the province is then the city as people name it (北京市, 上海市).
_NO_CITY: Final = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


@dataclass(frozen=True, slots=True)
class Divisions:
    """The divisions cpca found in a text, the rest of the text after the last of them, and
    how many levels the text names itself (the others cpca inferred from the table)."""

    province: str = ""
    city: str = ""
    county: str = ""
    adcode: str = ""
    remainder: str = ""
    named_levels: int = 0
    county_named: bool = False

    @property
    def found(self) -> bool:
        return bool(self.adcode)

    @property
    def city_name(self) -> str:
        """The city as people name it: the province for a municipality."""
        if self.city and self.city not in _NO_CITY:
            return self.city
        return self.province if self.province.endswith("市") else ""

    @property
    def label(self) -> str:
        """The divisions as one name (上海市浦东新区)."""
        parts = [self.province]
        if self.city and self.city not in _NO_CITY and self.city != self.province:
            parts.append(self.city)
        parts.append(self.county)
        return "".join(p for p in parts if p)


NOTHING: Final = Divisions()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _position(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def parse_divisions(text: str, *, prefer: Mapping[str, str] | None = None) -> Divisions:
    """The divisions named in ``text``. ``prefer`` maps a county name shared by several
    places (朝阳区: Beijing and Changchun) to the adcode meant when the text names no
    province or city — the territory's own counties."""
    if not text.strip():
        return NOTHING
    import cpca  # loads the national table: only when addresses are parsed

    frame = cpca.transform([text], pos_sensitive=True, umap=dict(prefer or {}))
    row = frame.to_dict("records")[0]
    adcode = _text(row.get("adcode"))
    if not adcode:
        return NOTHING
    positions = [_position(row.get(k)) for k in ("省_pos", "市_pos", "区_pos")]
    return Divisions(
        province=_text(row.get("省")),
        city=_text(row.get("市")),
        county=_text(row.get("区")),
        adcode=adcode,
        remainder=_text(row.get("地址")),
        named_levels=sum(1 for p in positions if p >= 0),
        county_named=positions[2] >= 0,
    )


def county_name(adcode: str) -> str | None:
    """The national name of a six-digit county adcode, or None when cpca does not know it."""
    if len(adcode) != 6 or not adcode.isdigit():
        return None
    import cpca

    name = cpca.adcode_name(adcode)
    return name if isinstance(name, str) else None
