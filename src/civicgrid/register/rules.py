"""Vocabulary and small rules of the register: residence kinds, house uses, tag families and
levels, phone numbers, who may read, write and reveal. Pure: no I/O, no clock."""

from __future__ import annotations

import re
from enum import StrEnum

from civicgrid.auth.roles import Role


class ResidenceKind(StrEnum):
    """居住类型 (DB31DSJ/Z 004 enumeration)."""

    OWNER = "owner"
    TENANT = "tenant"
    LODGER = "lodger"

    @property
    def label(self) -> str:
        return RESIDENCE_KIND_LABELS[self]

    @classmethod
    def from_text(cls, text: str) -> ResidenceKind:
        """Accept the code or the Chinese label; raise ValueError otherwise."""
        value = text.strip()
        for kind, label in RESIDENCE_KIND_LABELS.items():
            if value in (kind.value, label):
                return kind
        raise ValueError(f"居住类型应为 自住、租住 或 寄住，而不是「{value}」")


RESIDENCE_KIND_LABELS: dict[ResidenceKind, str] = {
    ResidenceKind.OWNER: "自住",
    ResidenceKind.TENANT: "租住",
    ResidenceKind.LODGER: "寄住",
}


class HouseUse(StrEnum):
    """房屋用途 (simplified from GA/T 2000.30)."""

    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    OFFICE = "office"
    OTHER = "other"

    @property
    def label(self) -> str:
        return HOUSE_USE_LABELS[self]

    @classmethod
    def from_text(cls, text: str) -> HouseUse:
        """Accept the code or the Chinese label; raise ValueError otherwise."""
        value = text.strip()
        for use, label in HOUSE_USE_LABELS.items():
            if value in (use.value, label):
                return use
        raise ValueError(f"房屋用途「{value}」无效（应为 住宅、商业、办公 或 其他）")


HOUSE_USE_LABELS: dict[HouseUse, str] = {
    HouseUse.RESIDENTIAL: "住宅",
    HouseUse.COMMERCIAL: "商业",
    HouseUse.OFFICE: "办公",
    HouseUse.OTHER: "其他",
}


class TagFamily(StrEnum):
    """Business families that own tags (DB31DSJ/Z 004 lists 7; we keep these and 'other')."""

    CIVIL_AFFAIRS = "civil_affairs"
    HEALTH = "health"
    VETERANS = "veterans"
    PARTY = "party"
    PUBLIC_SECURITY = "public_security"
    HOUSING = "housing"
    DISABILITY = "disability"
    OTHER = "other"

    @property
    def label(self) -> str:
        return TAG_FAMILY_LABELS[self]


TAG_FAMILY_LABELS: dict[TagFamily, str] = {
    TagFamily.CIVIL_AFFAIRS: "民政",
    TagFamily.HEALTH: "卫健",
    TagFamily.VETERANS: "退役军人",
    TagFamily.PARTY: "党建",
    TagFamily.PUBLIC_SECURITY: "综治",
    TagFamily.HOUSING: "住建",
    TagFamily.DISABILITY: "残联",
    TagFamily.OTHER: "其他",
}


class TagLevel(StrEnum):
    """Which level of government manages a tag."""

    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"


class TagTarget(StrEnum):
    """Whether a tag applies to residents or to houses."""

    RESIDENT = "resident"
    HOUSE = "house"


class VisitKind(StrEnum):
    """走访类型: why a grid worker called on a person or a house."""

    ROUTINE = "routine"
    CARE = "care"
    CHECK = "check"
    MEDIATION = "mediation"
    POLICY = "policy"
    OTHER = "other"

    @property
    def label(self) -> str:
        return VISIT_KIND_LABELS[self]

    @classmethod
    def from_text(cls, text: str) -> VisitKind:
        """Accept the code or the Chinese label; raise ValueError otherwise."""
        value = text.strip()
        for kind, label in VISIT_KIND_LABELS.items():
            if value in (kind.value, label):
                return kind
        raise ValueError(f"走访类型「{value}」无效")


VISIT_KIND_LABELS: dict[VisitKind, str] = {
    VisitKind.ROUTINE: "日常走访",
    VisitKind.CARE: "关爱探访",
    VisitKind.CHECK: "信息核实",
    VisitKind.MEDIATION: "矛盾调解",
    VisitKind.POLICY: "政策宣传",
    VisitKind.OTHER: "其他",
}


class ImportMode(StrEnum):
    """How an import treats invalid rows."""

    ALL_OR_NOTHING = "all-or-nothing"
    VALID_ROWS = "valid-rows"


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalise_phone(value: str) -> str:
    """Drop spaces, dashes inside mobiles and a +86 / 86 prefix."""
    text = value.strip().replace(" ", "")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if text.startswith("1"):
        text = text.replace("-", "")
    return text


def is_valid_phone(value: str) -> bool:
    """A mainland mobile (11 digits, 1[3-9]…) or a landline with area code (010-12345678)."""
    return bool(_MOBILE.match(value) or _LANDLINE.match(value))


# Who may do what with the register (docs/domain/register.md). Everything is further limited
# to the actor's territorial data scope.
READ_ROLES = frozenset(
    {Role.ADMIN, Role.GRID_WORKER, Role.STREET_HANDLER, Role.SUPERVISOR, Role.LEADER}
)
WRITE_ROLES = frozenset({Role.ADMIN, Role.GRID_WORKER, Role.STREET_HANDLER})
REVEAL_ROLES = frozenset({Role.ADMIN, Role.GRID_WORKER, Role.STREET_HANDLER})
IMPORT_ROLES = frozenset({Role.ADMIN, Role.STREET_HANDLER, Role.GRID_WORKER})
EXPORT_ROLES = frozenset({Role.ADMIN, Role.STREET_HANDLER})
TAG_ADMIN_ROLES = frozenset({Role.ADMIN})

MIN_REASON_LENGTH = 4


def reason_problem(reason: str) -> str | None:
    """Why a reveal reason is unacceptable, or None when it is fine."""
    if len(reason.strip()) < MIN_REASON_LENGTH:
        return f"查看完整信息必须填写事由（至少 {MIN_REASON_LENGTH} 个字）"
    return None


def house_label(address: str, building: str, unit: str, room: str) -> str:
    """A house's full address text, ``幸福路12号院3号楼2单元501``: what the picker shows and
    what searches by address match (stored as ``House.label``)."""
    return f"{address}{building}{unit}{room}"


# Searches by address text (the house picker, residents by address) choose where to start by
# a cheap estimate: the rows of the actor's scope are counted up to SMALL_SCOPE_ROWS; a scope
# that small (a grid worker's community) is read whole and filtered, a larger one (a street,
# the city) starts from the trigram index of the house labels, which needs a term of at least
# MIN_INDEXED_TERM characters (shorter ones have no trigram and would scan every house).
SMALL_SCOPE_ROWS = 5000
MIN_INDEXED_TERM = 3


class SearchStart(StrEnum):
    """Where a search by address text starts."""

    SCOPE = "scope"
    INDEX = "index"


def address_search_start(parts: list[str], scope_rows: int | None) -> SearchStart:
    """Where to start for these typed parts, given the scope's rows counted up to
    ``SMALL_SCOPE_ROWS + 1`` (None: the whole city, not counted). Raises ValueError with the
    message for the user when the scope is large and no part is long enough for the index."""
    if scope_rows is not None and scope_rows <= SMALL_SCOPE_ROWS:
        return SearchStart.SCOPE
    if max((len(p) for p in parts), default=0) < MIN_INDEXED_TERM:
        raise ValueError(
            f"查找范围较大，地址请至少输入 {MIN_INDEXED_TERM} 个连续的字"
            "（如「幸福路」「12号院」「3号楼」）"
        )
    return SearchStart.INDEX
