"""Address text → a place in the territory, in two stages. Pure: the caller supplies the
regions and addresses.

1. **Divisions** (:mod:`.divisions`, cpca): province, city and county named in the text, from
   the national table, and the rest of the text after them. They are mapped to the
   territory's own regions by name (the full name, or the short name when the territory's
   full name is in the text — the demo city's 临江区 is not 吉林's 临江市). A county or city of
   the territory becomes the *anchor*: the next stage looks only below it and only in the
   rest of the text. A text that names two levels of divisions none of which is the
   territory's (上海市浦东新区…, or 北京市西城区 in a territory without 西城区) is *outside*:
   no place, the dispatcher decides.
2. **Regions below** — every street, community and grid name (below the anchor, or all of
   them when there is none) is searched in the text, in full ("建外街道") and short ("建外":
   the level suffix removed, at least two characters left). Full names of four characters or
   more are also matched fuzzily (rapidfuzz ``partial_ratio`` ≥ 90: one wrong or missing
   character). Matches that lie on one chain (district → street → community) support each
   other; the deepest region with the most support wins.
3. **Addresses** — standard addresses (幸福路12号院) under the winning region (all of them when
   no region was found) are scored with ``partial_ratio`` against the rest of the text; an
   address counts only when every number in its name appears in the text (12号院 ≠ 13号院)
   and the score reaches the threshold.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz, process

from civicgrid.dispatch.divisions import NOTHING, Divisions, county_name, parse_divisions
from civicgrid.dispatch.routing import Place, RegionRef

LEVEL_RANK: Final = {"city": 0, "district": 1, "street": 2, "community": 3, "grid": 4}
_SUFFIXES: Final = (
    "街道办事处",
    "街道",
    "社区",
    "网格",
    "地区",
    "市",
    "区",
    "县",
    "镇",
    "乡",
    "村",
)
FUZZY_REGION_MIN_LEN: Final = 4
FUZZY_REGION_CUTOFF: Final = 90.0
ADDRESS_CUTOFF: Final = 80.0
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """NFKC (full-width digits → ASCII), whitespace removed."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True, slots=True)
class RegionName:
    """A region as the parser sees it."""

    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    path: str


@dataclass(frozen=True, slots=True)
class AddressRef:
    """A standard address of the register (not personal data: a door plate or compound)."""

    id: int
    name: str
    grid_id: int
    region_path: str
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True, slots=True)
class RegionHit:
    """A region named in the text and how well (1.0 = exact full name)."""

    region: RegionName
    score: float
    matched: str


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    """The regions found in a text, the chosen (deepest well-supported) one and its support;
    the divisions of the first stage, the rest of the text below them, and ``outside`` (the
    divisions' name) when the text places itself outside the territory."""

    hits: tuple[RegionHit, ...]
    region: RegionName | None
    confidence: float
    divisions: Divisions = NOTHING
    remainder: str = ""
    outside: str = ""


@dataclass(frozen=True, slots=True)
class AddressMatch:
    """The standard address matching a text, with the rapidfuzz score (0–100)."""

    address: AddressRef
    score: float


def short_name(name: str) -> str:
    """The name without its level suffix, or "" when fewer than two characters would remain."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return ""


class _Names:
    """Region names ready to be searched in a text: full, short and the fuzzy candidates."""

    def __init__(self, regions: Iterable[RegionName]) -> None:
        self.full: dict[str, list[RegionName]] = {}
        self.short: dict[str, list[RegionName]] = {}
        for region in regions:
            self.full.setdefault(region.name, []).append(region)
            short = short_name(region.name)
            if short:
                self.short.setdefault(short, []).append(region)
        self.fuzzy = [n for n in self.full if len(n) >= FUZZY_REGION_MIN_LEN]


class RegionIndex:
    """Region names of one territory, ready to parse texts and to give a region's chain."""

    def __init__(self, regions: Iterable[RegionName]) -> None:
        self.by_id: dict[int, RegionName] = {r.id: r for r in regions}
        self._names = _Names(self.by_id.values())
        self._full = self._names.full
        self._short = self._names.short
        self._below: dict[int, _Names] = {}
        self._prefer: dict[str, str] | None = None

    def _preferred_counties(self) -> dict[str, str]:
        """County name → adcode for the territory's districts that carry their national code
        (a text naming only 朝阳区 means the territory's 朝阳区, not Changchun's)."""
        if self._prefer is None:
            self._prefer = {
                r.name: r.code[:6]
                for r in self.by_id.values()
                if r.level == "district" and county_name(r.code[:6]) == r.name
            }
        return self._prefer

    def chain(self, region_id: int) -> list[RegionName]:
        """The region and its ancestors, root first."""
        out: list[RegionName] = []
        current = self.by_id.get(region_id)
        while current is not None:
            out.insert(0, current)
            current = self.by_id.get(current.parent_id) if current.parent_id else None
        return out

    def _names_below(self, anchor: RegionName | None) -> _Names:
        """The names of the regions strictly below ``anchor`` (all names when None)."""
        if anchor is None:
            return self._names
        found = self._below.get(anchor.id)
        if found is None:
            found = _Names(
                r
                for r in self.by_id.values()
                if r.id != anchor.id and r.path.startswith(anchor.path)
            )
            self._below[anchor.id] = found
        return found

    def _hits(self, text: str, below: RegionName | None = None) -> list[RegionHit]:
        """Regions named in ``text`` (only those strictly below ``below`` when given)."""
        names = self._names_below(below)
        hits: dict[int, RegionHit] = {}

        def add(region: RegionName, score: float, matched: str) -> None:
            old = hits.get(region.id)
            if old is None or old.score < score:
                hits[region.id] = RegionHit(region, score, matched)

        for name, regions in names.full.items():
            if name in text:
                for region in regions:
                    add(region, 1.0, name)
        for short, regions in names.short.items():
            if short in text:
                for region in regions:
                    add(region, 0.85, short)
        found = process.extract(
            text,
            names.fuzzy,
            scorer=fuzz.partial_ratio,
            score_cutoff=FUZZY_REGION_CUTOFF,
            limit=20,
        )
        for name, score, _ in found:
            for region in names.full[name]:
                add(region, round(0.8 * score / 100.0, 4), name)
        return list(hits.values())

    def _division(self, name: str, level: str, text: str) -> RegionName | None:
        """The territory's region of ``level`` that the division ``name`` denotes, if one."""
        if not name:
            return None
        found = [r for r in self._full.get(name, []) if r.level == level]
        if not found:
            short = short_name(name) or name
            found = [r for r in self._short.get(short, []) if r.level == level and r.name in text]
        return found[0] if len(found) == 1 else None

    def _anchor(self, divisions: Divisions, text: str) -> tuple[RegionName | None, bool]:
        """The territory's county or city named by the divisions, and whether the text
        places itself outside the territory (see the module docstring)."""
        if not divisions.found:
            return None, False
        county = self._division(divisions.county, "district", text)
        # A district with a national code is only the county of that code: 吉林省长春市朝阳区
        # is a namesake of Beijing's 朝阳区, not it.
        if county is not None and self._preferred_counties().get(county.name) in (
            None,
            divisions.adcode,
        ):
            return county, False
        city = self._division(divisions.city_name, "city", text)
        if (
            divisions.county
            and divisions.county_named
            and (city is not None or divisions.named_levels >= 2)
        ):
            return None, True
        if city is not None:
            return city, False
        return None, divisions.named_levels >= 2

    def parse(self, text: str) -> ParsedAddress:
        """Regions named in ``text`` and the best supported, deepest one."""
        cleaned = clean(text)
        if not cleaned:
            return ParsedAddress((), None, 0.0)
        divisions = parse_divisions(cleaned, prefer=self._preferred_counties())
        anchor, outside = self._anchor(divisions, cleaned)
        if outside:
            return ParsedAddress((), None, 0.0, divisions, cleaned, divisions.label)
        remainder = cleaned
        if anchor is not None:
            cut = cleaned.rfind(anchor.name)
            remainder = cleaned[cut + len(anchor.name) :] if cut >= 0 else divisions.remainder
            above = [
                RegionHit(r, 1.0 if r.name in cleaned else 0.85, r.name)
                for r in self.chain(anchor.id)[:-1]
                if r.name in cleaned or (short_name(r.name) or r.name) in cleaned
            ]
            hits = [*above, RegionHit(anchor, 1.0, anchor.name), *self._hits(remainder, anchor)]
        else:
            hits = self._hits(cleaned)
        if not hits:
            return ParsedAddress((), None, 0.0, divisions, remainder)
        by_id = {h.region.id: h for h in hits}
        best: tuple[float, int, str] | None = None
        chosen: RegionHit | None = None
        for hit in hits:
            on_chain = [by_id[r.id] for r in self.chain(hit.region.id) if r.id in by_id]
            support = sum(h.score for h in on_chain)
            key = (round(support, 6), LEVEL_RANK.get(hit.region.level, 0), hit.region.code)
            if best is None or key[:2] > best[:2] or (key[:2] == best[:2] and key[2] < best[2]):
                best, chosen = key, hit
        assert chosen is not None
        assert best is not None
        rivals = [
            h
            for h in hits
            if h.region.id != chosen.region.id
            and h.region.level == chosen.region.level
            and h.region.id not in {r.id for r in self.chain(chosen.region.id)}
            and sum(by_id[r.id].score for r in self.chain(h.region.id) if r.id in by_id) >= best[0]
        ]
        confidence = min(0.95, 0.6 + 0.2 * best[0])
        if rivals:
            confidence *= 0.6
        return ParsedAddress(tuple(hits), chosen.region, round(confidence, 4), divisions, remainder)


def match_address(
    text: str, addresses: Sequence[AddressRef], *, cutoff: float = ADDRESS_CUTOFF
) -> AddressMatch | None:
    """The standard address best matching ``text`` (see the module docstring), or None."""
    cleaned = clean(text)
    if not cleaned or not addresses:
        return None
    numbers_in_text = set(_DIGITS.findall(cleaned))
    names = [clean(a.name) for a in addresses]
    found = process.extract(
        cleaned, names, scorer=fuzz.partial_ratio, score_cutoff=cutoff, limit=10
    )
    best: AddressMatch | None = None
    for _name, score, index in found:
        address = addresses[index]
        if not set(_DIGITS.findall(names[index])) <= numbers_in_text:
            continue
        # A longer name matched at the same score is the more specific address.
        if best is None or (score, len(names[index])) > (best.score, len(clean(best.address.name))):
            best = AddressMatch(address, float(score))
    return best


def place_from_region(
    index: RegionIndex,
    region_id: int,
    *,
    source: str,
    confidence: float,
    detail: str = "",
) -> Place:
    """A :class:`Place` for a region (any level) with its street, district and city."""
    chain = index.chain(region_id)
    if not chain:
        return Place(source="none", confidence=0.0)
    refs = {r.level: RegionRef(r.id, r.code, r.name) for r in chain}
    return Place(
        source=source,
        confidence=round(confidence, 4),
        street=refs.get("street"),
        district=refs.get("district"),
        city=refs.get("city"),
        region_id=chain[-1].id,
        region_path=chain[-1].path,
        detail=detail,
    )


def place_from_text(
    index: RegionIndex,
    text: str,
    addresses: Sequence[AddressRef],
    *,
    parsed: ParsedAddress | None = None,
) -> tuple[Place, ParsedAddress, AddressMatch | None]:
    """Parse ``text`` (or take ``parsed``, its parse) and match it to a standard address; the
    place is the address's grid when one matched, else the parsed region, else unknown (with
    the reason when the text is outside the territory). ``addresses`` should be those under
    the parsed region (the caller narrows them with :meth:`RegionIndex.parse` first)."""
    parsed = parsed or index.parse(text)
    if parsed.outside:
        detail = f"地址位于{parsed.outside}，不在本辖区"
        return Place(source="none", confidence=0.0, detail=detail), parsed, None
    match = match_address(parsed.remainder or text, addresses)
    if match is not None:
        region_conf = parsed.confidence if parsed.region is not None else 0.7
        confidence = min(0.98, 0.5 * region_conf + 0.5 * match.score / 100.0 + 0.1)
        place = place_from_region(
            index,
            match.address.grid_id,
            source="address",
            confidence=confidence,
            detail=f"标准地址“{match.address.name}”，匹配度 {match.score:.0f}",
        )
        if place.known:
            return place, parsed, match
    if parsed.region is not None:
        names = "、".join(sorted({h.matched for h in parsed.hits}))
        place = place_from_region(
            index,
            parsed.region.id,
            source="address",
            confidence=parsed.confidence,
            detail=f"识别到“{names}”",
        )
        return place, parsed, None
    return Place(source="none", confidence=0.0), parsed, None
