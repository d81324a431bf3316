"""The dispatch catalogue in the database: loading a catalogue file (idempotent) and editing
one item, each re-validated as a whole tree and audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any, Final

from sqlalchemy.orm import Session

from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.dispatch import queries
from civicgrid.dispatch.catalogue import (
    COLUMNS,
    Catalogue,
    CatalogueItem,
    parse_catalogue,
    read_catalogue_csv,
)
from civicgrid.dispatch.models import CatalogueItemRow
from civicgrid.errors import Invalid, NotFound

SUBJECT: Final = "catalogue"


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What loading a catalogue changed."""

    version: str
    created: int
    updated: int
    unchanged: int
    deactivated: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
        }


def _values(item: CatalogueItem, active: bool) -> dict[str, Any]:
    return {
        "parent_code": item.parent_code,
        "level": item.level,
        "name": item.name,
        "owner_rule": item.owner_rule.value,
        "owner_unit": item.owner_unit,
        "default_level": item.default_level,
        "default_finish_days": item.default_finish_days,
        "requires_site_visit": item.requires_site_visit,
        "whistle_candidate": item.whistle_candidate,
        "keywords": ";".join(item.keywords),
        "is_active": active,
    }


def default_catalogue() -> Catalogue:
    """The catalogue file shipped with civicgrid."""
    path = resources.files("civicgrid.dispatch").joinpath("data/catalogue.csv")
    with path.open(encoding="utf-8") as handle:
        return read_catalogue_csv(handle)


@use_case
def load_catalogue(
    session: Session,
    *,
    catalogue: Catalogue,
    actor: Actor,
    now: datetime,
    source: str = "file",
    inactive: frozenset[str] = frozenset(),
) -> LoadResult:
    """Make the database catalogue equal to ``catalogue`` (idempotent): new codes are added,
    changed ones updated, codes missing from it are switched off (never deleted: old appeals
    and feedback still name them). ``inactive`` lists codes to load switched off."""
    existing = {r.code: r for r in queries.catalogue_rows(session)}
    created = updated = unchanged = deactivated = 0
    for item in catalogue.items:
        values = _values(item, item.code not in inactive)
        row = existing.pop(item.code, None)
        if row is None:
            session.add(
                CatalogueItemRow(
                    code=item.code, version=catalogue.version, updated_at=now, **values
                )
            )
            created += 1
            continue
        if (
            all(getattr(row, k) == v for k, v in values.items())
            and row.version == catalogue.version
        ):
            unchanged += 1
            continue
        for key, value in values.items():
            setattr(row, key, value)
        row.version = catalogue.version
        row.updated_at = now
        updated += 1
    for row in existing.values():
        if row.is_active:
            row.is_active = False
            row.updated_at = now
            deactivated += 1
    session.flush()
    result = LoadResult(catalogue.version, created, updated, unchanged, deactivated)
    record(
        session,
        actor=actor,
        action="catalogue.load",
        subject_type=SUBJECT,
        subject_id=catalogue.version,
        now=now,
        detail={"source": source, **result.as_dict()},
    )
    return result


EDITABLE: Final = frozenset(COLUMNS) - {"code", "level"} | {"is_active"}


def _row_mapping(row: CatalogueItemRow) -> dict[str, str]:
    return {
        "code": row.code,
        "parent_code": row.parent_code or "",
        "level": str(row.level),
        "name": row.name,
        "owner_rule": row.owner_rule,
        "owner_unit": row.owner_unit,
        "default_level": row.default_level,
        "default_finish_days": str(row.default_finish_days),
        "requires_site_visit": "true" if row.requires_site_visit else "false",
        "whistle_candidate": "true" if row.whistle_candidate else "false",
        "keywords": row.keywords,
    }


def _text_of(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return "" if value is None else str(value)


@use_case
def save_item(
    session: Session,
    *,
    code: str,
    changes: Mapping[str, object],
    create: bool,
    actor: Actor,
    now: datetime,
) -> CatalogueItemRow:
    """Create (``create``) or edit one catalogue item. The whole catalogue is re-validated with
    the change (codes, parents, owner rules, no push-down of department items to streets), so
    an edit can never leave the tree inconsistent. Editing marks the item with the current
    catalogue version plus ``+local``."""
    unknown = sorted(set(changes) - EDITABLE - {"code"})
    if unknown:
        raise Invalid(f"不能修改的字段: {', '.join(unknown)}")
    rows = {r.code: r for r in queries.catalogue_rows(session)}
    code = code.strip()
    if create and code in rows:
        raise Invalid(f"编码 {code} 已存在", detail={"field": "code"})
    if not create and code not in rows:
        raise NotFound(f"派单目录中没有编码为 {code} 的事项")
    mappings = {c: _row_mapping(r) for c, r in rows.items()}
    before = dict(mappings.get(code, {}))
    target = mappings.setdefault(code, {"code": code, "level": str(len(code) // 2)})
    for key, value in changes.items():
        if key != "is_active" and key != "code":
            target[key] = _text_of(value)
    version = (queries.catalogue_version(session) or "local").split("+")[0] + "+local"
    catalogue = parse_catalogue(mappings.values(), version=version)
    item = catalogue.get(code)
    active = bool(changes.get("is_active", rows[code].is_active if code in rows else True))
    if not active and any(r.parent_code == code and r.is_active for r in rows.values()):
        raise Invalid(f"事项 {code} 下仍有启用的下级事项，请先停用下级事项")
    row = rows.get(code)
    values = _values(item, active)
    if row is None:
        row = CatalogueItemRow(code=code, version=version, updated_at=now, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.version = version
        row.updated_at = now
    session.flush()
    record(
        session,
        actor=actor,
        action="catalogue.create" if create else "catalogue.update",
        subject_type=SUBJECT,
        subject_id=code,
        now=now,
        detail={"before": before, "after": _row_mapping(row), "is_active": active},
    )
    return row
