"""The import/export row format of the register and its row-level validation. Pure: no I/O.

One row = one resident living in one house: the person (name, ID number, phone …), the
standard address, building, unit and room, how they live there (自住/租住/寄住) and their tags.
Checks that need the database (grid exists and lies in the importer's scope, ID number already
registered, tag codes known) are made by the service; everything else is decided here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from civicgrid.register import idcard
from civicgrid.register.rules import ResidenceKind, is_valid_phone, normalise_phone

# (field, Chinese header) in file order; export writes exactly these headers.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "姓名"),
    ("id_no", "身份证号"),
    ("phone", "手机号"),
    ("ethnicity", "民族"),
    ("household_place", "户籍地"),
    ("grid_code", "网格编码"),
    ("address", "地址"),
    ("building", "楼栋"),
    ("unit", "单元"),
    ("room", "房号"),
    ("kind", "居住类型"),
    ("relation", "与房主关系"),
    ("from_on", "入住日期"),
    ("tags", "标签"),
)
HEADERS: tuple[str, ...] = tuple(h for _, h in COLUMNS)
_FIELDS: tuple[str, ...] = tuple(f for f, _ in COLUMNS)
LABELS: dict[str, str] = dict(COLUMNS)

ALIASES: dict[str, str] = (
    {h: f for f, h in COLUMNS}
    | {f: f for f, _ in COLUMNS}
    | {
        "公民身份号码": "id_no",
        "身份证号码": "id_no",
        "证件号码": "id_no",
        "手机": "phone",
        "联系电话": "phone",
        "电话": "phone",
        "标准地址": "address",
        "楼号": "building",
        "楼栋号": "building",
        "室号": "room",
        "户室号": "room",
        "居住方式": "kind",
        "人员标签": "tags",
    }
)

REQUIRED: tuple[str, ...] = ("name", "id_no", "grid_code", "address", "building", "room", "kind")
TAG_SEPARATORS = re.compile(r"[;；,，、|\s]+")
MAX_NAME = 50
MAX_TEXT = 100


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """One validated row."""

    name: str
    id_no: str
    birth_on: date
    gender: str
    phone: str
    ethnicity: str
    household_place: str
    grid_code: str
    address: str
    building: str
    unit: str
    room: str
    kind: ResidenceKind
    relation: str
    from_on: date | None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowError:
    """One problem of one row: file row number, field name and Chinese message."""

    row: int
    field: str
    message: str


@dataclass
class Validation:
    """Outcome of validating a file: valid rows with their file row numbers, and errors."""

    valid: list[tuple[int, RegisterRow]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def bad_rows(self) -> set[int]:
        return {e.row for e in self.errors}


def missing_columns(fields: Sequence[str]) -> list[str]:
    """Required columns absent from a file's header (Chinese names)."""
    return [LABELS[f] for f in REQUIRED if f not in fields]


def _parse_date(text: str) -> date:
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    if re.fullmatch(r"\d{8}", cleaned):
        cleaned = f"{cleaned[:4]}-{cleaned[4:6]}-{cleaned[6:]}"
    return date.fromisoformat(cleaned)


def parse_tags(text: str) -> tuple[str, ...]:
    """Tag codes or names separated by 、 ， ； | or spaces; order kept, duplicates dropped."""
    seen: dict[str, None] = {}
    for part in TAG_SEPARATORS.split(text.strip()):
        if part:
            seen.setdefault(part, None)
    return tuple(seen)


def _check_required(get: Callable[[str], str], row: int, errors: list[RowError]) -> None:
    """Required fields present and the name not too long."""
    for name in REQUIRED:
        if not get(name):
            errors.append(RowError(row, name, f"「{LABELS[name]}」不能为空"))
    if len(get("name")) > MAX_NAME:
        errors.append(RowError(row, "name", f"姓名过长（不超过 {MAX_NAME} 个字）"))


def _check_grid_code(grid_code: str, row: int, errors: list[RowError]) -> None:
    if grid_code and not (grid_code.isdigit() and len(grid_code) == 15):
        errors.append(RowError(row, "grid_code", "网格编码应为 15 位数字"))


def _check_lengths(get: Callable[[str], str], row: int, errors: list[RowError]) -> None:
    for name in ("address", "building", "unit", "room", "relation", "household_place"):
        if len(get(name)) > MAX_TEXT:
            errors.append(RowError(row, name, f"「{LABELS[name]}」过长"))


def _id_info(text: str, row: int, today: date, errors: list[RowError]) -> idcard.IdInfo | None:
    if not text:
        return None
    try:
        return idcard.parse(text, today=today)
    except idcard.IdNumberError as exc:
        errors.append(RowError(row, "id_no", str(exc)))
        return None


def _phone(text: str, row: int, errors: list[RowError]) -> str:
    phone = normalise_phone(text) if text else ""
    if phone and not is_valid_phone(phone):
        errors.append(RowError(row, "phone", "手机号格式错误（应为 11 位手机号或带区号的固话）"))
    return phone


def _kind(text: str, row: int, errors: list[RowError]) -> ResidenceKind | None:
    if not text:
        return None
    try:
        return ResidenceKind.from_text(text)
    except ValueError as exc:
        errors.append(RowError(row, "kind", str(exc)))
        return None


def _from_on(text: str, row: int, today: date, errors: list[RowError]) -> date | None:
    if not text:
        return None
    try:
        from_on = _parse_date(text)
    except ValueError:
        errors.append(RowError(row, "from_on", "入住日期格式应为 YYYY-MM-DD"))
        return None
    if from_on > today:
        errors.append(RowError(row, "from_on", "入住日期不能晚于今天"))
    return from_on


def validate_row(record: dict[str, str], row: int, *, today: date) -> RegisterRow | list[RowError]:
    """Check one raw row; return the parsed row or its errors (in the order of the checks:
    required fields, name, ID number, phone, kind, grid code, move-in date, text lengths)."""
    errors: list[RowError] = []
    values = {f: (record.get(f) or "").strip() for f in _FIELDS}
    get = values.__getitem__
    _check_required(get, row, errors)
    info = _id_info(get("id_no"), row, today, errors)
    phone = _phone(get("phone"), row, errors)
    kind = _kind(get("kind"), row, errors)
    _check_grid_code(get("grid_code"), row, errors)
    from_on = _from_on(get("from_on"), row, today, errors)
    _check_lengths(get, row, errors)
    if errors:
        return errors
    assert info is not None
    assert kind is not None
    return RegisterRow(
        name=get("name"),
        id_no=info.number,
        birth_on=info.birth_on,
        gender=info.gender,
        phone=phone,
        ethnicity=get("ethnicity"),
        household_place=get("household_place"),
        grid_code=get("grid_code"),
        address=get("address"),
        building=get("building"),
        unit=get("unit"),
        room=get("room"),
        kind=kind,
        relation=get("relation"),
        from_on=from_on,
        tags=parse_tags(get("tags")),
    )


def validate_rows(
    records: Sequence[dict[str, str]], row_numbers: Sequence[int], *, today: date
) -> Validation:
    """Validate every row and flag ID numbers repeated within the file (the first occurrence
    is kept, later ones are errors naming the first row)."""
    result = Validation()
    first_row: dict[str, int] = {}
    for record, row in zip(records, row_numbers, strict=True):
        parsed = validate_row(record, row, today=today)
        if isinstance(parsed, list):
            result.errors.extend(parsed)
            continue
        earlier = first_row.get(parsed.id_no)
        if earlier is not None:
            result.errors.append(RowError(row, "id_no", f"身份证号与文件第 {earlier} 行重复"))
            continue
        first_row[parsed.id_no] = row
        result.valid.append((row, parsed))
    return result
