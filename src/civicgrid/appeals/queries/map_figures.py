"""Appeal counts of the community map (民情图) per region under one region of the territory: the
appeals received in several stretches of time in one grouped statement, and the open appeals.

The caller has checked that the region lies inside the viewer's data scope: every appeal located
under it is then in scope (an appeal is in scope when its region is), so the only condition is the
region's path prefix (none for a region without a parent, whose subtree is the whole territory).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from civicgrid.appeals.models import Appeal
from civicgrid.appeals.queries.access import path_under
from civicgrid.appeals.queries.figures import OPEN_STATUSES

Stretch = tuple[datetime, datetime]


def _under(path: str) -> ColumnElement[bool]:
    """Appeals located under the region with materialised ``path`` ('' for the whole territory):
    the data scope's byte range on the path, which its index answers."""
    return path_under(Appeal.region_path, path)


def received_per_region_in(
    session: Session, path: str, stretches: list[Stretch]
) -> list[dict[int, int]]:
    """Appeals located under ``path`` received in each stretch ``[start, end)``, per region: one
    dict per stretch, in order, from one statement grouped by region and stretch. The stretches
    are ordered and do not overlap (calendar months of a period)."""
    if not stretches:
        return []
    bucket = case(
        *[
            ((Appeal.received_at >= start) & (Appeal.received_at < end), i)
            for i, (start, end) in enumerate(stretches)
        ],
        else_=-1,
    ).label("bucket")
    stmt = (
        select(Appeal.region_id, bucket, func.count(Appeal.id))
        .where(
            _under(path),
            Appeal.region_id.is_not(None),
            Appeal.received_at >= stretches[0][0],
            Appeal.received_at < stretches[-1][1],
        )
        .group_by(Appeal.region_id, bucket)
    )
    found: list[dict[int, int]] = [{} for _ in stretches]
    for region_id, i, n in session.execute(stmt):
        if region_id is not None and 0 <= int(i) < len(stretches):
            found[int(i)][int(region_id)] = int(n)
    return found


def _per_path(
    session: Session, paths: Sequence[str], *conds: ColumnElement[bool]
) -> dict[str, int]:
    if not paths:
        return {}
    stmt = (
        select(Appeal.region_path, func.count(Appeal.id))
        .where(or_(*[_under(path) for path in paths]), Appeal.region_path != "", *conds)
        .group_by(Appeal.region_path)
    )
    return {str(path): int(n) for path, n in session.execute(stmt)}


def received_per_path_in(
    session: Session, paths: Sequence[str], stretch: Stretch
) -> dict[str, int]:
    """Appeals located under any of ``paths`` (materialised paths of regions; '' for the whole
    territory) received in ``[start, end)``, per materialised path of their region."""
    start, end = stretch
    return _per_path(session, paths, Appeal.received_at >= start, Appeal.received_at < end)


def open_per_path(session: Session, paths: Sequence[str]) -> dict[str, int]:
    """Open appeals located under any of ``paths`` per materialised path of their region
    (always counted now, never cached)."""
    return _per_path(session, paths, Appeal.status.in_(OPEN_STATUSES))
