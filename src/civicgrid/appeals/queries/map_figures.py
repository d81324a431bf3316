"""Appeal counts of the community map (民情图) per region under one region of the territory: the
appeals received in several stretches of time in one grouped statement, and the open appeals.

The caller has checked that the region lies inside the viewer's data scope: every appeal located
under it is then in scope (an appeal is in scope when its region is), so the only condition is the
region's path prefix (none for a region without a parent, whose subtree is the whole territory).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.orm import Session

from civicgrid.appeals.models import Appeal
from civicgrid.appeals.queries.figures import OPEN_STATUSES

Stretch = tuple[datetime, datetime]


def _under(path: str) -> ColumnElement[bool]:
    """Appeals located under the region with materialised ``path`` ('' for the whole territory)."""
    return Appeal.region_path.startswith(path, autoescape=True) if path else true()


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


def open_per_region_under(session: Session, path: str) -> dict[int, int]:
    """Open appeals located under ``path`` per region (always counted now, never cached)."""
    stmt = (
        select(Appeal.region_id, func.count(Appeal.id))
        .where(_under(path), Appeal.region_id.is_not(None), Appeal.status.in_(OPEN_STATUSES))
        .group_by(Appeal.region_id)
    )
    return {int(rid): int(n) for rid, n in session.execute(stmt) if rid is not None}
