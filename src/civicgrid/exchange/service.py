"""Use cases of the 12345 work-order exchange: import an export file (through the intake use
case's joiner, so numbering, the submit event, the outbox and the audit row are those of every
appeal) and export appeals in the same layout. Each is one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.appeals.channels import APPEAL_TYPE_LABELS, AppealType, Channel
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.appeals.service.common import append_event
from civicgrid.appeals.service.intake import MediaPolicy, NewAppeal, submit_joined
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit import service as audit
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import use_case
from civicgrid.dispatch.models import CatalogueItemRow
from civicgrid.errors import Forbidden
from civicgrid.exchange import rules
from civicgrid.exchange.models import ExchangeOrder
from civicgrid.kit import spreadsheet
from civicgrid.kit.crypto import FieldCipher
from civicgrid.register.rows import RowError
from civicgrid.register.rules import ImportMode

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


def _validate(
    table: spreadsheet.Table, paths: dict[tuple[str, ...], str], report: ExchangeReport
) -> list[tuple[rules.WorkOrder, str]]:
    """The valid orders with their catalogue code (empty when unmapped); errors and unmapped
    categories go into the report. A work-order number twice in one file is an error."""
    seen: dict[str, int] = {}
    valid: list[tuple[rules.WorkOrder, str]] = []
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
        code = ""
        if order.category_text:
            code = rules.match_category(order.category_text, paths) or ""
            if not code:
                report.unmapped_categories.append(
                    RowError(
                        number, "category", f"诉求分类“{order.category_text}”在派单目录中找不到"
                    )
                )
        valid.append((order, code))
    return valid


def _apply(appeal: Appeal, order: rules.WorkOrder, code: str) -> None:
    """Copy the order's handling state onto the appeal."""
    appeal.status = order.status.value
    for action, column in HISTORY_COLUMNS.items():
        setattr(appeal, column, order.time_of(action))
    if order.finish_due_at is not None:
        appeal.finish_due_at = order.finish_due_at
    appeal.reply_text = order.reply_text
    appeal.resolved = order.resolved
    appeal.satisfaction = order.satisfaction.value if order.satisfaction else None
    appeal.category = code
    appeal.title = order.title
    appeal.content = order.content
    appeal.address = order.address
    appeal.appeal_type = order.appeal_type.value
    appeal.level = order.level.value


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


def _store(
    session: Session,
    valid: list[tuple[rules.WorkOrder, str]],
    *,
    report: ExchangeReport,
    actor: Actor,
    cipher: FieldCipher,
    media: MediaPolicy,
    now: datetime,
    progress: Progress | None,
) -> None:
    numbers = [o.external_no for o, _ in valid]
    links: dict[str, ExchangeOrder] = {}
    for start in range(0, len(numbers), 1000):
        part = numbers[start : start + 1000]
        for found in session.scalars(
            select(ExchangeOrder).where(ExchangeOrder.external_no.in_(part))
        ):
            links[found.external_no] = found
    known = _known_steps(session, [found.appeal_id for found in links.values()])
    ids = [found.appeal_id for found in links.values()]
    appeals: dict[int, Appeal] = {}
    for start in range(0, len(ids), 1000):
        for loaded in session.scalars(
            select(Appeal).where(Appeal.id.in_(ids[start : start + 1000]))
        ):
            appeals[loaded.id] = loaded
    for done, (order, code) in enumerate(valid, start=1):
        link = links.get(order.external_no)
        if link is None:
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
            session.add(
                ExchangeOrder(
                    external_no=order.external_no,
                    appeal_id=appeal.id,
                    source_status=order.source_status[:32],
                    imported_at=now,
                    updated_at=now,
                )
            )
            steps: set[str] = set()
            report.created += 1
        else:
            appeal = appeals[link.appeal_id]  # the link's foreign key cascades deletes
            link.source_status = order.source_status[:32]
            link.updated_at = now
            steps = known.get(appeal.id, set())
            report.updated += 1
        _apply(appeal, order, code)
        _record_history(session, appeal, order, steps, actor)
        if progress is not None and (done % 200 == 0 or done == len(valid)):
            progress(done, len(valid))
    session.flush()


def _require_admin(actor: Actor) -> None:
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
    _require_admin(actor)
    rules.check_headers(mapping, table.fields)
    report = ExchangeReport(mode=mode, dry_run=dry_run, total_rows=len(table.rows), valid_rows=0)
    valid = _validate(table, catalogue_paths(session), report)
    report.valid_rows = len(valid)
    if report.errors and mode is ImportMode.ALL_OR_NOTHING:
        report.rejected = True
        return report
    if dry_run:
        numbers = [o.external_no for o, _ in valid]
        existing = {
            n
            for start in range(0, len(numbers), 1000)
            for n in session.scalars(
                select(ExchangeOrder.external_no).where(
                    ExchangeOrder.external_no.in_(numbers[start : start + 1000])
                )
            )
        }
        report.updated = sum(1 for o, _ in valid if o.external_no in existing)
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
        },
    )
    return report


def _open(cipher: FieldCipher, token: str) -> str:
    return cipher.decrypt(token) if token else ""


def _rows(
    session: Session, cipher: FieldCipher, mapping: rules.ColumnMapping
) -> Iterable[list[object]]:
    names = {c: name for name, c in catalogue_paths(session).items()}
    query = (
        select(ExchangeOrder.external_no, Appeal)
        .join(Appeal, Appeal.id == ExchangeOrder.appeal_id)
        .order_by(ExchangeOrder.id)
    )
    type_labels: dict[str, str] = {t.value: label for t, label in APPEAL_TYPE_LABELS.items()}
    for external_no, appeal in session.execute(query):
        history = _history_texts(session, appeal.id)
        values: dict[str, object] = {
            "external_no": external_no,
            "received_at": rules.format_time(appeal.received_at),
            "caller_name": _open(cipher, appeal.caller_name_enc),
            "caller_phone": _open(cipher, appeal.caller_phone_enc),
            "appeal_type": type_labels.get(appeal.appeal_type, type_labels[AppealType.OTHER]),
            "title": appeal.title,
            "content": appeal.content,
            "address": appeal.address,
            "district": "",
            "urgency": rules.URGENCY_OUT[UrgencyLevel(appeal.level)],
            "category": "-".join(names.get(appeal.category, ())),
            "units": history.get("units", ""),
            "dispatched_at": rules.format_time(appeal.dispatched_at),
            "finish_due_at": rules.format_time(appeal.finish_due_at),
            "signed_at": rules.format_time(appeal.signed_at),
            "reply_text": appeal.reply_text,
            "replied_at": rules.format_time(appeal.replied_at),
            "extensions": history.get("extension", ""),
            "returns": history.get("return", ""),
            "supervisions": history.get("supervise", ""),
            "callback_at": rules.format_time(appeal.closed_at),
            "resolved": "" if appeal.resolved is None else ("是" if appeal.resolved else "否"),
            "satisfaction": rules.SATISFACTION_OUT.get(appeal.satisfaction or "", ""),
            "status": AppealStatus(appeal.status).label,
        }
        yield [values[f] for f in rules.FIELDS if f in mapping.columns]


def _history_texts(session: Session, appeal_id: int) -> dict[str, str]:
    """The 延期/退单/督办 records of an appeal as the export writes them, and the units named
    at dispatch."""
    out: dict[str, list[str]] = {}
    rows = session.execute(
        select(TimelineEvent.action, TimelineEvent.at, TimelineEvent.note)
        .where(TimelineEvent.appeal_id == appeal_id, TimelineEvent.action.like("exchange_%"))
        .order_by(TimelineEvent.at, TimelineEvent.id)
    )
    for action, at, note in rows:
        kind = action.removeprefix("exchange_")
        head = HISTORY_NOTES.get(kind, "")
        text = note.removeprefix(head).removeprefix("：")
        if kind == "dispatch":
            out.setdefault("units", []).append(text)
        elif kind in ("extension", "return", "supervise"):
            out.setdefault(kind, []).append(f"{rules.format_time(at)[:16]} {text}".strip())
    return {k: ("；" if k != "units" else "、").join(v) for k, v in out.items()}


@use_case
def export_orders(
    session: Session,
    *,
    fmt: str,
    mapping: rules.ColumnMapping,
    actor: Actor,
    cipher: FieldCipher,
    now: datetime,
) -> bytes:
    """Every imported work order in the mapping's layout (the import reads it back)."""
    _require_admin(actor)
    rows = list(_rows(session, cipher, mapping))
    audit.record(
        session,
        actor=actor,
        action="exchange.export",
        subject_type="exchange",
        now=now,
        detail={"rows": len(rows), "format": fmt},
    )
    headers = mapping.headers()
    if fmt == "xlsx":
        return spreadsheet.write_xlsx(headers, rows, "工单")
    return spreadsheet.write_csv(headers, rows)
