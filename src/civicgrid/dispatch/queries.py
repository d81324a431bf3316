"""Read-side queries of dispatch: the catalogue, feedback and routing-attempt tables, plus the
views of other packages that dispatch needs (region names, departments, utilities, standard
addresses, open and closed appeals), turned into the plain values of :mod:`.routing`,
:mod:`.places` and :mod:`.duplicates`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from civicgrid.appeals import queries as appeal_queries
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import INTAKE_DISPOSITION_STATUSES, TERMINAL_STATUSES, AppealStatus
from civicgrid.auth.actor import Actor
from civicgrid.dispatch.catalogue import Catalogue, CatalogueItem, OwnerRule
from civicgrid.dispatch.duplicates import AppealText
from civicgrid.dispatch.models import CatalogueItemRow, DispatchFeedback, RoutingAttempt
from civicgrid.dispatch.places import AddressRef, RegionName
from civicgrid.dispatch.routing import DepartmentOption, UtilityOption
from civicgrid.errors import NotFound
from civicgrid.register import queries as register_queries
from civicgrid.territory import queries as territory_queries

OPEN_STATUSES: tuple[str, ...] = tuple(
    s.value
    for s in AppealStatus
    if s not in TERMINAL_STATUSES and s not in INTAKE_DISPOSITION_STATUSES
)
PAGE = 1000
MAX_ADDRESSES = 50_000
NO_MODEL = "none"
"""An attempt's model version when no classifier could be loaded."""


class AttemptOutcome(StrEnum):
    """How an attempt of automatic routing ended (:class:`~.models.RoutingAttempt`)."""

    DISPATCHED = "dispatched"
    MERGED = "merged"
    MANUAL = "manual"
    """Left to the dispatcher by the decision (category, place or unit not confident)."""
    REFUSED = "refused"
    """The plan was refused when carried out (a person was faster, a unit switched off)."""
    FAILED = "failed"
    """An unexpected error; logged, rolled back, left to the dispatcher."""


# --- catalogue --------------------------------------------------------------------------------


def catalogue_rows(session: Session, *, active_only: bool = False) -> Sequence[CatalogueItemRow]:
    """Catalogue rows by code."""
    stmt = select(CatalogueItemRow).order_by(CatalogueItemRow.code)
    if active_only:
        stmt = stmt.where(CatalogueItemRow.is_active.is_(True))
    return session.scalars(stmt).all()


def find_catalogue_row(session: Session, code: str) -> CatalogueItemRow | None:
    return session.scalars(
        select(CatalogueItemRow).where(CatalogueItemRow.code == code.strip())
    ).one_or_none()


def get_catalogue_row(session: Session, code: str) -> CatalogueItemRow:
    row = find_catalogue_row(session, code)
    if row is None:
        raise NotFound(f"派单目录中没有编码为 {code} 的事项")
    return row


def to_item(row: CatalogueItemRow) -> CatalogueItem:
    """The pure catalogue item of a row."""
    return CatalogueItem(
        code=row.code,
        parent_code=row.parent_code,
        level=row.level,
        name=row.name,
        owner_rule=OwnerRule(row.owner_rule),
        owner_unit=row.owner_unit,
        default_level=row.default_level,
        default_finish_days=row.default_finish_days,
        requires_site_visit=row.requires_site_visit,
        whistle_candidate=row.whistle_candidate,
        keywords=tuple(k for k in row.keywords.split(";") if k),
    )


def catalogue(session: Session) -> Catalogue | None:
    """The catalogue in the database (inactive items included, so old codes still resolve);
    None when nothing was loaded."""
    rows = catalogue_rows(session)
    if not rows:
        return None
    versions = sorted({r.version for r in rows})
    return Catalogue(version=versions[-1], items=tuple(to_item(r) for r in rows))


def catalogue_version(session: Session) -> str | None:
    rows = session.scalars(select(CatalogueItemRow.version).distinct()).all()
    return max(rows) if rows else None


def feedback_for(session: Session, appeal_id: int) -> Sequence[DispatchFeedback]:
    return session.scalars(
        select(DispatchFeedback)
        .where(DispatchFeedback.appeal_id == appeal_id)
        .order_by(DispatchFeedback.id)
    ).all()


def feedback_pairs(session: Session) -> Iterator[tuple[int, str, str]]:
    """(appeal id, text, chosen code) of every feedback row, the latest per appeal last."""
    stmt = select(DispatchFeedback.appeal_id, DispatchFeedback.text, DispatchFeedback.chosen_code)
    for appeal_id, text, code in session.execute(stmt.order_by(DispatchFeedback.id)):
        yield int(appeal_id), str(text), str(code)


# --- territory ----------------------------------------------------------------------------------


def region_names(session: Session) -> list[RegionName]:
    """Every region as the address parser sees it."""
    return [
        RegionName(r.id, r.code, r.name, r.level, r.parent_id, r.path)
        for r in territory_queries.all_regions(session)
    ]


def departments_for(session: Session, region_ids: Sequence[int]) -> list[DepartmentOption]:
    """Active departments answering for any of ``region_ids`` (a district and its city)."""
    wanted = set(region_ids)
    return [
        DepartmentOption(d.id, d.code, d.name, d.region_id)
        for d in territory_queries.list_departments(session)
        if d.is_active and d.region_id in wanted
    ]


def utilities_for(session: Session, region_id: int) -> list[UtilityOption]:
    """Active utilities whose service area holds the region."""
    region = territory_queries.regions_by_ids(session, [region_id]).get(region_id)
    if region is None:
        return []
    return [
        UtilityOption(u.id, u.code, u.name, u.service)
        for u in territory_queries.utilities_serving(session, region)
        if u.is_active
    ]


def address_refs(session: Session, path_prefix: str = "") -> list[AddressRef]:
    """Standard addresses under ``path_prefix`` (all when empty), at most MAX_ADDRESSES, read
    through the register package (door plates are not personal data: no scope applies)."""
    return [
        AddressRef(a.id, a.name, a.grid_id, a.region_path, a.lon, a.lat)
        for a in register_queries.standard_addresses(
            session, path_prefix=path_prefix, limit=MAX_ADDRESSES
        )
    ]


# --- appeals ------------------------------------------------------------------------------------


def appeal_text(appeal: Appeal) -> str:
    """The text the classifier and duplicate detection read: title and content."""
    title, content = appeal.title.strip(), appeal.content.strip()
    if content.startswith(title):
        return content
    return f"{title}。{content}" if title else content


def as_appeal_text(appeal: Appeal) -> AppealText:
    return AppealText(
        id=appeal.id,
        number=appeal.number,
        text=appeal_text(appeal),
        received_at=appeal.received_at,
        status=appeal.status,
        lon=appeal.lon,
        lat=appeal.lat,
        region_id=appeal.region_id,
        address=appeal.address,
    )


def open_appeals_since(
    session: Session, actor: Actor, *, since: datetime, until: datetime
) -> list[AppealText]:
    """Open appeals (not final, not disposed at intake) received in [since, until] that
    ``actor`` may see."""
    out: list[AppealText] = []
    offset = 0
    while True:
        page = appeal_queries.list_for(
            session,
            actor,
            appeal_queries.AppealFilters(
                statuses=OPEN_STATUSES,
                received_from=since,
                received_to=until,
                offset=offset,
                limit=PAGE,
            ),
            now=until,
        )
        out.extend(as_appeal_text(a) for a in page.items)
        offset += PAGE
        if offset >= page.total or not page.items:
            return out


@dataclass(frozen=True, slots=True)
class LabelledAppeal:
    """An appeal whose category is known (closed with a category, or corrected by a
    dispatcher), as training and the retraining job's held-back slice see it."""

    appeal_id: int
    received_at: datetime
    text: str
    label: str


def labelled_appeals(session: Session, now: datetime) -> list[LabelledAppeal]:
    """Closed appeals with their category, where a dispatcher's latest correction replaces
    it, plus corrected appeals that are not closed yet (their text as the model saw it);
    oldest received first."""
    corrected: dict[int, tuple[str, str]] = {
        appeal_id: (text, code) for appeal_id, text, code in feedback_pairs(session)
    }
    out = [
        LabelledAppeal(appeal_id, received, *corrected.pop(appeal_id, (text, category)))
        for appeal_id, received, text, category in _closed_appeals(session, now)
    ]
    if corrected:
        received_at = dict(
            session.execute(select(Appeal.id, Appeal.received_at).where(Appeal.id.in_(corrected)))
            .tuples()
            .all()
        )
        out.extend(
            LabelledAppeal(appeal_id, received_at[appeal_id], text, code)
            for appeal_id, (text, code) in corrected.items()
            if appeal_id in received_at
        )
    return sorted(out, key=lambda a: (a.received_at, a.appeal_id))


def closed_appeal_pairs(session: Session, now: datetime) -> Iterator[tuple[int, str, str]]:
    """(appeal id, text, category) of closed appeals that carry a category."""
    for appeal_id, _received, text, category in _closed_appeals(session, now):
        yield appeal_id, text, category


def _closed_appeals(session: Session, now: datetime) -> Iterator[tuple[int, datetime, str, str]]:
    """(appeal id, received at, text, category) of closed appeals that carry a category."""
    system = Actor.system("dispatch-training")
    offset = 0
    while True:
        page = appeal_queries.list_for(
            session,
            system,
            appeal_queries.AppealFilters(
                statuses=(AppealStatus.CLOSED.value,), offset=offset, limit=PAGE
            ),
            now=now,
        )
        for appeal in page.items:
            if appeal.category.strip():
                yield appeal.id, appeal.received_at, appeal_text(appeal), appeal.category.strip()
        offset += PAGE
        if offset >= page.total or not page.items:
            return


def unrouted_appeal_ids(
    session: Session, *, since: datetime, limit: int, model_version: str
) -> list[int]:
    """Appeals waiting for dispatch, received since ``since``, that were never dispatched
    (an appeal sent back by its unit is the dispatcher's again) and that automatic routing
    has not tried yet with ``model_version`` (the current model's version, or
    :data:`NO_MODEL`): no :class:`~.models.RoutingAttempt` with that version, so an appeal
    left to the dispatcher gets one more attempt when another model becomes current.
    Oldest first, at most ``limit``. One statement, however many appeals already wait in the
    manual queue."""
    tried = exists().where(
        RoutingAttempt.appeal_id == Appeal.id, RoutingAttempt.model_version == model_version
    )
    stmt = (
        select(Appeal.id)
        .where(
            appeal_queries.scope_condition(Actor.system("dispatch-auto-route")),
            Appeal.status == AppealStatus.PENDING_DISPATCH.value,
            Appeal.received_at >= since,
            Appeal.dispatched_at.is_(None),
            ~tried,
        )
        .order_by(Appeal.received_at, Appeal.id)
        .limit(limit)
    )
    return list(session.scalars(stmt).all())


def attempts_for(session: Session, appeal_id: int) -> Sequence[RoutingAttempt]:
    """Automatic routing's attempts on ``appeal_id``, oldest first."""
    return session.scalars(
        select(RoutingAttempt)
        .where(RoutingAttempt.appeal_id == appeal_id)
        .order_by(RoutingAttempt.at, RoutingAttempt.id)
    ).all()
