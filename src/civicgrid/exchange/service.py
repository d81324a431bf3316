"""The import use case of the 12345 work-order exchange: an export file becomes appeals through
the intake use case's joiner (so numbering, the submit event, the outbox and the audit row are
those of every appeal), with their handling units, district/street and history. One
transaction. The export is in ``export``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from civicgrid.appeals.channels import Channel
from civicgrid.appeals.models import Appeal, AppealUnit, TimelineEvent
from civicgrid.appeals.service.common import append_event
from civicgrid.appeals.service.intake import MediaPolicy, NewAppeal, submit_joined
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit import service as audit
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import use_case
from civicgrid.dispatch.models import CatalogueItemRow
from civicgrid.errors import Forbidden
from civicgrid.exchange import rules, units
from civicgrid.exchange.models import ExchangeOrder
from civicgrid.kit import spreadsheet
from civicgrid.kit.crypto import FieldCipher
from civicgrid.register.rows import RowError
from civicgrid.register.rules import ImportMode
from civicgrid.territory import queries as territory_queries

Progress = Callable[[int, int], None]

HISTORY_NOTES = {
    "dispatch": "派单",
    "sign": "签收",
    "reply": "办结",
    "callback": "回访",
    "extension": "延期",
    "return": "退单",
    "supervise": "督办",
}
# The appeal column each history step's time fills.
HISTORY_COLUMNS = {
    "dispatch": "dispatched_at",
    "sign": "signed_at",
    "reply": "replied_at",
    "callback": "closed_at",
}
# Orders stored per flush: the new appeals of a batch are created first (each intake flushes
# for its id and number), then every row's updates, units and history go in one flush, so
# PostgreSQL receives them as a few multi-row statements instead of several per row.
BATCH = 1000


@dataclass(frozen=True)
class Planned:
    """A valid order with what it maps to: its catalogue code ("" when unmapped), its handling
    units and the district/street it lies in (None when unmatched or not given)."""

    order: rules.WorkOrder
    code: str
    handling: units.UnitMatch
    place: units.Place | None


@dataclass
class ExchangeReport:
    """The row-level outcome of an import (the register import's shape, plus the created /
    updated split and the categories the catalogue does not know)."""

    mode: ImportMode
    dry_run: bool
    total_rows: int
    valid_rows: int
    created: int = 0
    updated: int = 0
    rejected: bool = False
    errors: list[RowError] = field(default_factory=list)
    unmapped_categories: list[RowError] = field(default_factory=list)
    unmatched_names: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


def catalogue_paths(session: Session) -> dict[tuple[str, ...], str]:
    """Every active catalogue item's name path (level 1 → its level) → its code."""
    rows = session.execute(
        select(CatalogueItemRow.code, CatalogueItemRow.parent_code, CatalogueItemRow.name).where(
            CatalogueItemRow.is_active.is_(True)
        )
    ).all()
    by_code = {code: (parent, name) for code, parent, name in rows}
    out: dict[tuple[str, ...], str] = {}
    for code in by_code:
        path: list[str] = []
        current: str | None = code
        while current is not None and current in by_code and len(path) < 5:
            parent, name = by_code[current]
            path.append(name)
            current = parent
        out[tuple(reversed(path))] = code
    return out


def directories(session: Session) -> tuple[units.UnitDirectory, units.PlaceDirectory]:
    """The territory's dispatchable units (streets and districts, active departments and
    utilities) and its districts and streets, for matching names."""
    regions = [r for r in territory_queries.all_regions(session) if r.level in units.PLACE_LEVELS]
    unit_rows = [units.Unit("region", r.id, r.name, r.path) for r in regions]
    unit_rows += [
        units.Unit("department", d.id, d.name)
        for d in territory_queries.list_departments(session)
        if d.is_active
    ]
    unit_rows += [
        units.Unit("utility", u.id, u.name)
        for u in territory_queries.list_utilities(session)
        if u.is_active
    ]
    places = [units.Place(r.id, r.name, r.level, r.path) for r in regions]
    return units.UnitDirectory(unit_rows), units.PlaceDirectory(places)


def _plan(
    order: rules.WorkOrder,
    paths: dict[tuple[str, ...], str],
    names: tuple[units.UnitDirectory, units.PlaceDirectory],
    report: ExchangeReport,
) -> Planned:
    """The order's catalogue code, units and place; what does not match goes into the report."""
    code = ""
    if order.category_text:
        code = rules.match_category(order.category_text, paths) or ""
        if not code:
            report.unmapped_categories.append(
                RowError(
                    order.row, "category", f"诉求分类“{order.category_text}”在派单目录中找不到"
                )
            )
    matched = units.match_units(order.units, names[0])
    report.unmatched_names += [RowError(order.row, "units", p) for p in matched.problems]
    place, problem = units.match_place(order.district, order.street, names[1])
    if problem:
        report.unmatched_names.append(RowError(order.row, "district", problem))
    return Planned(order, code, matched, place)


def _validate(
    table: spreadsheet.Table,
    paths: dict[tuple[str, ...], str],
    names: tuple[units.UnitDirectory, units.PlaceDirectory],
    report: ExchangeReport,
) -> list[Planned]:
    """The valid orders with what they map to; errors, unmapped categories and unmatched unit
    and place names go into the report. A work-order number twice in one file is an error."""
    seen: dict[str, int] = {}
    valid: list[Planned] = []
    for cells, number in zip(table.rows, table.row_numbers, strict=True):
        order, problems = rules.parse_order(cells, number)
        report.errors += [RowError(number, p.field, p.message) for p in problems]
        if order is None:
            continue
        if order.external_no in seen:
            report.errors.append(
                RowError(
                    number,
                    "external_no",
                    f"工单编号 {order.external_no} 与第 {seen[order.external_no]} 行重复",
                )
            )
            continue
        seen[order.external_no] = number
        valid.append(_plan(order, paths, names, report))
    return valid


def _apply(appeal: Appeal, plan: Planned) -> None:
    """Copy the order's handling state onto the appeal; without a point, the appeal lies in
    the order's street (or district) unless it already lies inside it."""
    order = plan.order
    appeal.status = order.status.value
    for action, column in HISTORY_COLUMNS.items():
        setattr(appeal, column, order.time_of(action))
    if order.finish_due_at is not None:
        appeal.finish_due_at = order.finish_due_at
    appeal.reply_text = order.reply_text
    appeal.resolved = order.resolved
    appeal.satisfaction = order.satisfaction.value if order.satisfaction else None
    appeal.category = plan.code
    appeal.title = order.title
    appeal.content = order.content
    appeal.address = order.address
    appeal.appeal_type = order.appeal_type.value
    appeal.level = order.level.value
    place = plan.place
    if place is not None and appeal.lon is None and not appeal.region_path.startswith(place.path):
        appeal.region_id = place.id
        appeal.region_path = place.path


def _apply_units(appeal: Appeal, plan: Planned, at: datetime) -> None:
    """The order's units become the appeal's current units (lead, then co-units). Unchanged
    units stay as they are (a re-import adds no row); changed ones are released, as a
    re-dispatch releases them, and the new ones assigned at the order's dispatch time."""
    wanted = [(role, u.kind, u.id) for role, u in plan.handling.units]
    if not wanted:
        return
    current = [u for u in appeal.units if u.released_at is None]
    if [(u.role, u.unit_kind, u.unit_id) for u in current] == wanted:
        return
    for row in current:
        row.released_at = at
    for role, unit in plan.handling.units:
        appeal.units.append(
            AppealUnit(
                role=role,
                unit_kind=unit.kind,
                unit_id=unit.id,
                unit_name=unit.name,
                unit_path=unit.path,
                assigned_at=at,
            )
        )


def _step_key(action: str, at: datetime) -> str:
    return f"{action}@{at.isoformat()}"


def _record_history(
    session: Session,
    appeal: Appeal,
    order: rules.WorkOrder,
    known: set[str],
    actor: Actor,
) -> int:
    """Append the history steps the appeal's timeline does not have yet; returns how many."""
    added = 0
    status = AppealStatus.RECEIVED.value
    for step in order.history:
        key = _step_key(step.action, step.at)
        after = {
            "dispatch": AppealStatus.DISPATCHED.value,
            "sign": AppealStatus.SIGNED.value,
            "reply": AppealStatus.REPLIED.value,
            "callback": AppealStatus.CLOSED.value,
        }.get(step.action, status)
        if key not in known:
            note = HISTORY_NOTES[step.action]
            if step.action == "dispatch" and order.units:
                note += "：" + "、".join(order.units)
            elif step.note:
                note += "：" + step.note
            append_event(
                session,
                appeal,
                action=f"exchange_{step.action}",
                actor=actor,
                role=Role.ADMIN,
                now=step.at,
                from_status=status,
                to_status=after,
                note=note,
                detail={"exchange": key, "external_no": order.external_no},
            )
            known.add(key)
            added += 1
        status = after
    return added


def _known_steps(session: Session, appeal_ids: Sequence[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {i: set() for i in appeal_ids}
    if not appeal_ids:
        return out
    rows = (
        row
        for start in range(0, len(appeal_ids), 1000)
        for row in session.execute(
            select(TimelineEvent.appeal_id, TimelineEvent.detail).where(
                TimelineEvent.appeal_id.in_(appeal_ids[start : start + 1000]),
                TimelineEvent.action.like("exchange_%"),
            )
        )
    )
    for appeal_id, detail in rows:
        key = (detail or {}).get("exchange")
        if isinstance(key, str):
            out[appeal_id].add(key)
    return out


def _existing(
    session: Session, numbers: Sequence[str]
) -> tuple[dict[str, ExchangeOrder], dict[int, Appeal]]:
    """The links of the numbers imported before and their appeals (with their units)."""
    links = {
        found.external_no: found
        for found in session.scalars(
            select(ExchangeOrder).where(ExchangeOrder.external_no.in_(numbers))
        )
    }
    ids = [found.appeal_id for found in links.values()]
    appeals = {a.id: a for a in session.scalars(select(Appeal).where(Appeal.id.in_(ids)))}
    return links, appeals


def _create(
    session: Session,
    order: rules.WorkOrder,
    *,
    actor: Actor,
    cipher: FieldCipher,
    media: MediaPolicy,
    now: datetime,
) -> tuple[Appeal, ExchangeOrder]:
    appeal = submit_joined(
        session,
        data=NewAppeal(
            channel=Channel.HOTLINE,
            appeal_type=order.appeal_type,
            title=order.title,
            content=order.content,
            level=order.level,
            address=order.address,
            caller_name=order.caller_name,
            caller_phone=order.caller_phone,
        ),
        actor=actor,
        cipher=cipher,
        media=media,
        now=order.received_at,
    )
    set_committed_value(appeal, "units", [])  # a new appeal has none; no query to learn it
    link = ExchangeOrder(
        external_no=order.external_no,
        appeal_id=appeal.id,
        source_status=order.source_status[:32],
        imported_at=now,
        updated_at=now,
    )
    return appeal, link


def _store_batch(
    session: Session,
    batch: Sequence[Planned],
    *,
    report: ExchangeReport,
    actor: Actor,
    cipher: FieldCipher,
    media: MediaPolicy,
    now: datetime,
) -> None:
    links, appeals = _existing(session, [p.order.external_no for p in batch])
    known = _known_steps(session, [link.appeal_id for link in links.values()])
    targets: list[tuple[Planned, Appeal, set[str]]] = []
    new_links: list[ExchangeOrder] = []
    for plan in batch:
        link = links.get(plan.order.external_no)
        if link is None:
            appeal, link = _create(
                session, plan.order, actor=actor, cipher=cipher, media=media, now=now
            )
            new_links.append(link)
            targets.append((plan, appeal, set()))
            report.created += 1
        else:
            appeal = appeals[link.appeal_id]  # the link's foreign key cascades deletes
            targets.append((plan, appeal, known.get(appeal.id, set())))
            report.updated += 1
    with session.no_autoflush:
        session.add_all(new_links)
        for plan in batch:
            if (link := links.get(plan.order.external_no)) is not None:
                link.source_status = plan.order.source_status[:32]
                link.updated_at = now
        for plan, appeal, steps in targets:
            _apply(appeal, plan)
            _apply_units(appeal, plan, plan.order.time_of("dispatch") or plan.order.received_at)
            _record_history(session, appeal, plan.order, steps, actor)
    session.flush()


def _store(
    session: Session,
    valid: list[Planned],
    *,
    report: ExchangeReport,
    actor: Actor,
    cipher: FieldCipher,
    media: MediaPolicy,
    now: datetime,
    progress: Progress | None,
) -> None:
    for start in range(0, len(valid), BATCH):
        batch = valid[start : start + BATCH]
        _store_batch(
            session, batch, report=report, actor=actor, cipher=cipher, media=media, now=now
        )
        if progress is not None:
            progress(start + len(batch), len(valid))


def require_admin(actor: Actor) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("只有管理员可以导入或导出 12345 工单")


@use_case
def import_orders(
    session: Session,
    *,
    table: spreadsheet.Table,
    mapping: rules.ColumnMapping,
    mode: ImportMode,
    dry_run: bool,
    actor: Actor,
    cipher: FieldCipher,
    media: MediaPolicy,
    now: datetime,
    progress: Progress | None = None,
) -> ExchangeReport:
    """Check every row; store the valid ones (all-or-nothing: none when any row fails) as new
    appeals or updates of the appeals their work-order numbers were imported as. A dry run
    checks and reports but stores nothing. Raises Forbidden, MappingError (a mapped column
    missing from the file)."""
    require_admin(actor)
    rules.check_headers(mapping, table.fields)
    report = ExchangeReport(mode=mode, dry_run=dry_run, total_rows=len(table.rows), valid_rows=0)
    valid = _validate(table, catalogue_paths(session), directories(session), report)
    report.valid_rows = len(valid)
    if report.errors and mode is ImportMode.ALL_OR_NOTHING:
        report.rejected = True
        return report
    if dry_run:
        numbers = [p.order.external_no for p in valid]
        existing = {
            n
            for start in range(0, len(numbers), 1000)
            for n in session.scalars(
                select(ExchangeOrder.external_no).where(
                    ExchangeOrder.external_no.in_(numbers[start : start + 1000])
                )
            )
        }
        report.updated = sum(1 for p in valid if p.order.external_no in existing)
        report.created = len(valid) - report.updated
        return report
    _store(
        session,
        valid,
        report=report,
        actor=actor,
        cipher=cipher,
        media=media,
        now=now,
        progress=progress,
    )
    audit.record(
        session,
        actor=actor,
        action="exchange.import",
        subject_type="exchange",
        now=now,
        detail={
            "mode": mode.value,
            "rows": report.total_rows,
            "created": report.created,
            "updated": report.updated,
            "error_rows": report.error_rows,
            "unmapped_categories": len(report.unmapped_categories),
            "unmatched_names": len(report.unmatched_names),
        },
    )
    return report


@dataclass(frozen=True)
class ImportRun:
    """One stored import, as its audit row recorded it."""

    at: datetime
    actor: str
    mode: str
    rows: int
    created: int
    updated: int
    error_rows: int
    unmapped_categories: int
    unmatched_names: int


def list_imports(session: Session, *, actor: Actor, limit: int = 50) -> list[ImportRun]:
    """The latest imports, newest first, read from their ``exchange.import`` audit rows (dry
    runs store nothing and leave none). Raises Forbidden for anyone but an admin."""
    require_admin(actor)
    out: list[ImportRun] = []
    for entry in audit.list_entries(session, action="exchange.import", limit=limit):
        detail = entry.detail or {}

        def count(key: str, detail: dict[str, object] = detail) -> int:
            value = detail.get(key, 0)
            return value if isinstance(value, int) else 0

        out.append(
            ImportRun(
                at=entry.at,
                actor=entry.actor_label,
                mode=str(detail.get("mode", "")),
                rows=count("rows"),
                created=count("created"),
                updated=count("updated"),
                error_rows=count("error_rows"),
                unmapped_categories=count("unmapped_categories"),
                unmatched_names=count("unmatched_names"),
            )
        )
    return out
