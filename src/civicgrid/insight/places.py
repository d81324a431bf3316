"""Place strings found in the free text of an appeal. Pure: no I/O, no clock.

Two kinds of place are told apart, because hot-problem mining uses them differently:

* **Areas** — administrative units at district / county level ("A2区", "朝阳区", "A7县"). Two
  appeals that name different areas are about different places, so clustering never joins
  them. Only unambiguous forms count: the anonymised "A市A2区" / "A2区" style of the published
  12345 data, and real names written after their city ("北京市朝阳区"). A bare "X区" is not an
  area, because 小区, 社区, 城区, 园区 … end the same way.
* **Named places** — compounds, roads, villages, schools ("丽发新城", "联丰路", "金鼎村"). Two
  appeals naming the same compound may be joined at a lower text similarity. They are found by
  their suffix; the words in front of the name ("座落在", "我们", "A市A3区") are cut off.

The rules are regular expressions on purpose: they are explainable and fast, and the result only
steers clustering (it is not stored as an address). Address matching against the register uses
the register's own parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

_CJK = "\u4e00-\u9fff"

# "A市A2区", "A2区", "K9县" — the anonymised administrative names of the published data.
_CODED_AREA: Final = re.compile(r"(?<![A-Za-z0-9])([A-Z]\d{1,2}[区县])")
# "北京市朝阳区", "A市经开区": a real district name written after its city.
_NAMED_AREA: Final = re.compile(rf"(?:[A-Z]|[{_CJK}]{{2,3}})市([{_CJK}]{{2,4}}?[区县])")
# A city on its own ("A市", "西地省" is a province and is left alone).
_CITY: Final = re.compile(rf"(?<![{_CJK}A-Za-z])([A-Z]市)")

# Words ending like a district that are not districts.
_NOT_AREA_SUFFIXES: Final = (
    "小区",
    "社区",
    "城区",
    "园区",
    "景区",
    "校区",
    "片区",
    "辖区",
    "郊区",
    "山区",
    "市区",
    "街区",
    "厂区",
    "矿区",
    "库区",
    "住宅区",
    "生活区",
    "商业区",
    "服务区",
    "示范区",
    "保护区",
    "安置区",
)

_PLACE_SUFFIXES: Final = (
    "小区",
    "花园",
    "家园",
    "新城",
    "新村",
    "公寓",
    "大厦",
    "广场",
    "公馆",
    "名苑",
    "雅苑",
    "佳苑",
    "苑",
    "村",
    "镇",
    "乡",
    "街道",
    "社区",
    "大道",
    "路",
    "街",
    "巷",
    "中学",
    "小学",
    "幼儿园",
    "学校",
    "医院",
    "市场",
    "大桥",
)
_SUFFIX_ALT: Final = "|".join(sorted(_PLACE_SUFFIXES, key=len, reverse=True))
# A name, its suffix, and optionally a second suffix ("万家园" + "新城" → "万家园新城").
_PLACE: Final = re.compile(rf"[{_CJK}A-Za-z0-9]{{1,14}}?(?:{_SUFFIX_ALT})(?:{_SUFFIX_ALT})?")
# Characters after which a name cannot continue leftwards: function words, pronouns, verbs of
# location, and the end of an administrative prefix.
_CUT_AFTER: Final = frozenset(
    "在于的是了和与及住位近对从到把被给我你您他她它们请问市区县省该此这那有"
    "因些过沿能但可会至往去来即就都也还又将已让使由自每未而距且等"
)
# Common words that often stand right before a place name and are not part of it.
_LEADING_WORDS: Final = (
    "投诉",
    "反映",
    "举报",
    "咨询",
    "建议",
    "关于",
    "另外",
    "之前",
    "造成",
    "提前",
    "后续",
    "启动",
    "提供",
    "进入",
    "坐落",
    "座落",
    "附近",
    "旁边",
    "对面",
    "周边",
    "沿线",
    "所有",
    "整个",
    "一些",
    "很多",
    "多个",
    "目前",
    "现在",
    "今年",
    "去年",
    "业主",
    "居民",
    "村民",
    "市民",
    "本人",
    "规划",
    "调整",
    "希望",
    "要求",
    "请求",
    "关注",
    "一名",
    "一个",
    "商品房",
)
_GENERIC_NAMES: Final = frozenset(
    {
        "道路",
        "马路",
        "公路",
        "小区",
        "社区",
        "街道",
        "农村",
        "乡村",
        "城乡",
        "学校",
        "医院",
        "市场",
        "广场",
        "家园",
        "花园",
        "大道",
        "小学",
        "中学",
        "幼儿园",
        "街巷",
        "乡镇",
        "村镇",
        "一路",
        "出路",
        "思路",
        "线路",
        "电路",
        "水路",
        "门路",
        "走路",
        "上路",
        "过路",
        "进村",
        "全村",
        "本村",
        "该村",
        "老街",
        "大街",
        "上街",
        "逛街",
        "沿街",
        "临街",
    }
)
_NOT_PLACE_ENDINGS: Final = ("线路", "电路", "网路", "思路", "套路", "生活小区")
_MIN_NAME_CHARS: Final = 3
_MIN_STEM_CHARS: Final = 2
_SUFFIXES_LONGEST_FIRST: Final = tuple(sorted(_PLACE_SUFFIXES, key=len, reverse=True))


def _suffix_of(name: str) -> str:
    return next((s for s in _SUFFIXES_LONGEST_FIRST if name.endswith(s)), "")


def stem_of(name: str) -> str:
    """A place's name without its kind ("丽发新城" → "丽发", "凉塘路" → "凉塘"); the whole
    name when it is only a suffix or has none."""
    suffix = _suffix_of(name)
    return name[: len(name) - len(suffix)] if len(name) > len(suffix) else name


@dataclass(frozen=True, slots=True)
class Places:
    """The places one text names: district-level areas, the city, and named places."""

    areas: frozenset[str]
    cities: frozenset[str]
    named: frozenset[str]


# Endings of an estate's name after which a code names a zone or phase of the estate
# ("鑫苑A1区", "北辰三角洲奥城E4区", "顺天北国风光小区A1区"), not a district.
_ESTATE_ENDINGS: Final = tuple(
    sorted({*_PLACE_SUFFIXES, "城", "园", "府", "庭", "湾", "期", "座"}, key=len, reverse=True)
)
_ESTATE_BEFORE: Final = re.compile(rf"[{_CJK}A-Za-z0-9]{{1,14}}(?:{'|'.join(_ESTATE_ENDINGS)})$")


def _after_estate_name(text: str, start: int) -> bool:
    """Whether ``text`` names an estate right before ``start``: after the words in front of
    it are cut off, a name of at least one character plus an estate ending ("鑫苑", "奥城",
    "风光小区"; not a bare "小区" or the "城" of "走到城")."""
    m = _ESTATE_BEFORE.search(text[max(0, start - 16) : start])
    if m is None:
        return False
    name = _trim_name(m.group(0))
    ending = next((e for e in _ESTATE_ENDINGS if name.endswith(e)), "")
    return bool(ending) and len(name) > len(ending) and name not in _GENERIC_NAMES


def areas_in(text: str) -> frozenset[str]:
    """District-level areas named in ``text`` ("A2区", "朝阳区"). A code written right after
    an estate's name ("鑫苑A1区") is the estate's zone, not a district: read as a district it
    would keep the estate's appeals apart from those that name its real district."""
    found = {
        m.group(1) for m in _CODED_AREA.finditer(text) if not _after_estate_name(text, m.start(1))
    }
    for m in _NAMED_AREA.finditer(text):
        name = m.group(1)
        if not name.endswith(_NOT_AREA_SUFFIXES) and not _CODED_AREA.fullmatch(name):
            found.add(name)
    return frozenset(found)


def cities_in(text: str) -> frozenset[str]:
    """Anonymised cities named in ``text`` ("A市")."""
    return frozenset(m.group(1) for m in _CITY.finditer(text))


def _trim_name(raw: str) -> str:
    cut = 0
    for i, ch in enumerate(raw[:-1]):
        if ch in _CUT_AFTER:
            cut = i + 1
    name = raw[cut:]
    # "A3区联丰路" → the coded area was cut at 区; a leading Latin letter + digits left over
    # from it ("A3") goes too.
    name = re.sub(r"^[A-Z]\d{0,2}", "", name)
    stripped = True
    while stripped:
        stripped = False
        for word in _LEADING_WORDS:
            if name.startswith(word) and len(name) > len(word):
                name = name[len(word) :]
                stripped = True
    return name


def named_places_in(text: str) -> frozenset[str]:
    """Compounds, roads, villages and similar named places in ``text``."""
    found: set[str] = set()
    for m in _PLACE.finditer(text):
        name = _trim_name(m.group(0))
        suffix = _suffix_of(name)
        if len(name) < _MIN_NAME_CHARS or name in _GENERIC_NAMES:
            continue
        if len(name) - len(suffix) < _MIN_STEM_CHARS or name.endswith(_NOT_PLACE_ENDINGS):
            continue
        found.add(name)
    return frozenset(found)


def extract(text: str) -> Places:
    """Every kind of place named in ``text``."""
    return Places(areas=areas_in(text), cities=cities_in(text), named=named_places_in(text))


def strip_admin(text: str) -> str:
    """``text`` without city and district names, so that they do not count as shared words
    when texts are compared (places are compared separately)."""
    text = _NAMED_AREA.sub(" ", text)
    text = _CODED_AREA.sub(" ", text)
    return _CITY.sub(" ", text)


_APART: Final = "\x00"


def strip_admin_many(texts: Sequence[str]) -> list[str]:
    """:func:`strip_admin` of each of ``texts``, all at once: no name spans a character that
    is neither Chinese nor a Latin letter or digit, and the text's start reads to the
    patterns like such a character, so joined by one the texts come out the same."""
    joined = _APART.join(texts)
    if joined.count(_APART) != max(len(texts) - 1, 0):
        return [strip_admin(t) for t in texts]
    return strip_admin(joined).split(_APART) if texts else []


def compatible(a: Iterable[str], b: Iterable[str]) -> bool:
    """Whether two sets of areas can describe the same place: one of them is unknown, or they
    share an area."""
    sa, sb = set(a), set(b)
    return not sa or not sb or bool(sa & sb)
