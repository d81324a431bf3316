"""Duplicate appeals (并单 candidates): the same problem at the same place, reported again while
the first report is still open. Pure: the caller supplies the open appeals of the window.

Two appeals are candidates when both hold:

- **Near**: received within ``window_days`` of each other and either both have coordinates no
  more than ``radius_m`` metres apart, or they name the same standard address, or (no
  coordinates) they lie in the same grid/community region, or their address texts agree
  closely.
- **Similar text**: the cosine of their character n-gram count vectors (title + content,
  without filler phrases, place phrases and function characters — the place is compared on
  its own, so 幸福路12号院 must not make two different problems look alike) reaches
  ``min_similarity``.

Addresses are compared with rapidfuzz (``ratio`` ≥ 90 after NFKC). The score shown to the
dispatcher is the text similarity, nudged up for a very close place.
Only a score at or above ``auto_merge_at`` (strict by default) lets the system merge by
itself; below that the dispatcher decides.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from rapidfuzz import fuzz

EARTH_RADIUS_M: Final = 6_371_000.0
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
# Phrases every appeal uses that say nothing about the problem.
_FILLERS: Final = (
    "市民反映",
    "来电反映",
    "反映",
    "希望",
    "请求",
    "要求",
    "相关部门",
    "尽快",
    "处理",
    "解决",
    "已经",
    "任何",
    "没有",
    "非常",
    "一直",
)
# Place phrases: the place is compared on its own (coordinates, address, grid), so words that
# only name it must not make two different problems at one place look alike.
_PLACE = re.compile(
    r"[\u4e00-\u9fff]{1,4}(?:路|街|巷|大道)\d+号院?|\d+号(?:楼|院)?|\d+单元|\d+层"
    r"|[东西南北]门(?!路)|门口|小区|社区|楼下|路口|附近"
)
# Function characters that carry no meaning on their own.
_FUNCTION_CHARS: Final = frozenset(
    "的了很是有在也都就着过把被让给和与及我你他她它这那个些吗呢吧啊呀"
)


@dataclass(frozen=True, slots=True)
class DuplicatePolicy:
    """Thresholds of duplicate detection (configurable per city)."""

    window_days: int = 7
    radius_m: float = 300.0
    min_similarity: float = 0.35
    auto_merge_at: float = 0.9
    max_candidates: int = 10


@dataclass(frozen=True, slots=True)
class AppealText:
    """What duplicate detection needs of an appeal."""

    id: int
    number: str
    text: str
    received_at: datetime
    status: str = ""
    lon: float | None = None
    lat: float | None = None
    region_id: int | None = None
    address_id: int | None = None
    address: str = ""


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    """An open appeal that may report the same problem, with the evidence."""

    appeal: AppealText
    score: float
    text_similarity: float
    distance_m: float | None
    place_reason: str


def normalise_text(text: str) -> str:
    """NFKC, lower case; filler phrases, place phrases, punctuation and function characters
    removed."""
    value = unicodedata.normalize("NFKC", text).lower()
    for filler in _FILLERS:
        value = value.replace(filler, "")
    value = _NOISE.sub("", _PLACE.sub("", value))
    return "".join(c for c in value if c not in _FUNCTION_CHARS)


def _plain(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())


def _grams(text: str, sizes: tuple[int, ...]) -> Counter[str]:
    grams: Counter[str] = Counter()
    for n in sizes:
        grams.update(text[i : i + n] for i in range(len(text) - n + 1))
    return grams


def cosine(a: str, b: str, sizes: tuple[int, ...] = (1, 2)) -> float:
    """Cosine similarity of the character n-gram counts of two normalised texts."""
    ga, gb = _grams(a, sizes), _grams(b, sizes)
    if not ga or not gb:
        return 0.0
    dot = sum(count * gb.get(gram, 0) for gram, count in ga.items())
    norm = math.sqrt(sum(v * v for v in ga.values())) * math.sqrt(sum(v * v for v in gb.values()))
    return dot / norm if norm else 0.0


def text_similarity(a: str, b: str) -> float:
    """Blend of character unigram cosine (0.6) and 1–2-gram cosine (0.4), in [0, 1]: unigrams
    catch paraphrases (噪音/噪声), bigrams reward the same wording."""
    na, nb = normalise_text(a), normalise_text(b)
    if not na or not nb:
        return 0.0
    return round(0.6 * cosine(na, nb, (1,)) + 0.4 * cosine(na, nb, (1, 2)), 4)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _near(
    new: AppealText, other: AppealText, policy: DuplicatePolicy
) -> tuple[bool, float | None, str]:
    if None not in (new.lon, new.lat, other.lon, other.lat):
        assert new.lon is not None
        assert new.lat is not None
        assert other.lon is not None
        assert other.lat is not None
        metres = distance_m(new.lon, new.lat, other.lon, other.lat)
        if metres <= policy.radius_m:
            return True, metres, f"相距约 {metres:.0f} 米"
        return False, metres, ""
    if new.address_id is not None and new.address_id == other.address_id:
        return True, None, "同一标准地址"
    if new.address and other.address:
        a, b = _plain(new.address), _plain(other.address)
        if a and b and fuzz.ratio(a, b) >= 90:
            return True, None, "地址相同"
    if new.region_id is not None and new.region_id == other.region_id:
        return True, None, "同一网格/社区"
    return False, None, ""


def find_duplicates(
    new: AppealText, others: Iterable[AppealText], policy: DuplicatePolicy | None = None
) -> list[DuplicateCandidate]:
    """Open appeals that may duplicate ``new``, best first (see the module docstring)."""
    policy = policy or DuplicatePolicy()
    window = timedelta(days=policy.window_days)
    out: list[DuplicateCandidate] = []
    for other in others:
        if other.id == new.id or abs(new.received_at - other.received_at) > window:
            continue
        near, metres, why = _near(new, other, policy)
        if not near:
            continue
        similarity = text_similarity(new.text, other.text)
        if similarity < policy.min_similarity:
            continue
        bonus = 0.05 if metres is not None and metres <= policy.radius_m / 3 else 0.0
        score = round(min(1.0, similarity + bonus), 4)
        out.append(DuplicateCandidate(other, score, similarity, metres, why))
    out.sort(key=lambda c: (-c.score, c.appeal.received_at, c.appeal.id))
    return out[: policy.max_candidates]
