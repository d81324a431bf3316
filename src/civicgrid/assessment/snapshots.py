"""The assessment's view of appeals: :class:`rates.AppealSnapshot` rows read in chunks through
the appeals' set-based reads (``appeals.queries.unscoped_facts``), with each lead unit
resolved to the assessed units (street and district, department, utility). Read-only."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from civicgrid.appeals.queries import unscoped_facts
from civicgrid.assessment.rates import AppealSnapshot, UnitKeys, region_unit_keys
from civicgrid.territory import queries as territory_queries
from civicgrid.territory.hierarchy import path_ids

CHUNK = 500
ANSWER_DIRECTLY_DISPOSITION = "answer_directly"


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """``items`` in slices of ``size`` (bounded ``IN`` lists and statement batches)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def region_levels(session: Session) -> dict[int, str]:
    """Level of every district and street (what a region unit's path resolves to)."""
    return territory_queries.region_levels(session, ("district", "street"))


def _units(
    kind: str | None, unit_id: int | None, path: str | None, levels: Mapping[int, str]
) -> UnitKeys:
    if kind is None or unit_id is None:
        return UnitKeys()
    if kind == "department":
        return UnitKeys(department_id=unit_id)
    if kind == "utility":
        return UnitKeys(utility_id=unit_id)
    return region_unit_keys(path_ids(path or f"/{unit_id}/"), levels)


def _snapshots(
    session: Session, stmt: Select[*tuple[Any, ...]], levels: Mapping[int, str]
) -> list[AppealSnapshot]:
    out: dict[int, AppealSnapshot] = {}
    # Core execution: the rows are plain tuples, no ORM identity work (a rebuild reads millions).
    for row in session.connection().execute(stmt):
        (aid, status, disposition, excluded, due, signed, contacted, closed, resolved,
         satisfaction, kind, unit_id, path, cb_at) = row  # fmt: skip
        out[aid] = AppealSnapshot(
            appeal_id=aid,
            status=status,
            units=_units(kind, unit_id, path, levels),
            response_due_at=due,
            signed_at=signed,
            contacted_at=contacted,
            closed_at=closed,
            callback_at=_aware(cb_at),
            resolved=resolved,
            satisfaction=satisfaction,
            answered_directly=disposition == ANSWER_DIRECTLY_DISPOSITION,
            unreasonable=bool(excluded),
        )
    return list(out.values())


def _aware(value: object) -> datetime | None:
    # func.max() loses the column type on SQLite, which returns the stored naive UTC text.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"unexpected callback time {value!r}")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def snapshots_for(
    session: Session, appeal_ids: Sequence[int], levels: Mapping[int, str] | None = None
) -> list[AppealSnapshot]:
    """The assessment view of the given appeals."""
    levels = region_levels(session) if levels is None else levels
    result: list[AppealSnapshot] = []
    for chunk in chunks(sorted(set(appeal_ids))):
        stmt = unscoped_facts.assessment_source(appeal_ids=chunk)
        result.extend(_snapshots(session, stmt, levels))
    return result
