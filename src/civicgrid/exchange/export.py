"""The export use case of the 12345 work-order exchange: every imported work order in a
mapping's layout, written from the appeal as it stands (its current units, its district and
street, its handling history), so the import reads it back as the same orders."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.appeals.channels import APPEAL_TYPE_LABELS, AppealType
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit import service as audit
from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.exchange import rules
from civicgrid.exchange.models import ExchangeOrder
from civicgrid.exchange.service import HISTORY_NOTES, catalogue_paths, require_admin
from civicgrid.kit import spreadsheet
from civicgrid.kit.crypto import FieldCipher
from civicgrid.territory import queries as territory_queries
from civicgrid.territory.hierarchy import path_ids

BATCH = 1000
_TYPE_LABELS: dict[str, str] = {t.value: label for t, label in APPEAL_TYPE_LABELS.items()}


def _open(cipher: FieldCipher, token: str) -> str:
    return cipher.decrypt(token) if token else ""


def _history_texts(session: Session, appeal_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """Per appeal: the 延期/退单/督办 records as the export writes them, and the units named at
    dispatch (for an appeal whose units matched none of the territory's)."""
    out: dict[int, dict[str, list[str]]] = {i: {} for i in appeal_ids}
    rows = session.execute(
        select(TimelineEvent.appeal_id, TimelineEvent.action, TimelineEvent.at, TimelineEvent.note)
        .where(TimelineEvent.appeal_id.in_(appeal_ids), TimelineEvent.action.like("exchange_%"))
        .order_by(TimelineEvent.at, TimelineEvent.id)
    )
    for appeal_id, action, at, note in rows:
        kind = action.removeprefix("exchange_")
        head = HISTORY_NOTES.get(kind, "")
        text = note.removeprefix(head).removeprefix("：")
        if kind == "dispatch":
            out[appeal_id].setdefault("units", []).append(text)
        elif kind in ("extension", "return", "supervise"):
            out[appeal_id].setdefault(kind, []).append(
                f"{rules.format_time(at)[:16]} {text}".strip()
            )
    return {
        i: {k: ("；" if k != "units" else "、").join(v) for k, v in kinds.items()}
        for i, kinds in out.items()
    }


def _units_text(appeal: Appeal, history: dict[str, str]) -> str:
    """The appeal's current units, lead first; the names the order gave when none matched."""
    current = [u for u in appeal.units if u.released_at is None]
    current.sort(key=lambda u: (u.role != "lead", u.id))
    return "、".join(u.unit_name for u in current) if current else history.get("units", "")


def _place_names(session: Session, appeals: Sequence[Appeal]) -> dict[int, dict[str, str]]:
    """Per appeal id: the names of its district and street (those on its region's path)."""
    ids = {i for a in appeals for i in path_ids(a.region_path)}
    regions = territory_queries.regions_by_ids(session, ids)
    out: dict[int, dict[str, str]] = {}
    for appeal in appeals:
        names: dict[str, str] = {}
        for region_id in path_ids(appeal.region_path):
            region = regions.get(region_id)
            if region is not None and region.level in ("district", "street"):
                names[region.level] = region.name
        out[appeal.id] = names
    return out


def _place_cells(names: dict[str, str], mapping: rules.ColumnMapping) -> tuple[str, str]:
    """(所属区/街道, 所属街道): with a street column the two apart, else ``区/街道`` in one."""
    district, street = names.get("district", ""), names.get("street", "")
    if "street" in mapping.columns:
        return district, street
    return "/".join(n for n in (district, street) if n), ""


def _row(
    external_no: str,
    appeal: Appeal,
    *,
    history: dict[str, str],
    places: dict[str, str],
    categories: dict[str, tuple[str, ...]],
    cipher: FieldCipher,
    mapping: rules.ColumnMapping,
) -> list[object]:
    district, street = _place_cells(places, mapping)
    values: dict[str, object] = {
        "external_no": external_no,
        "received_at": rules.format_time(appeal.received_at),
        "caller_name": _open(cipher, appeal.caller_name_enc),
        "caller_phone": _open(cipher, appeal.caller_phone_enc),
        "appeal_type": _TYPE_LABELS.get(appeal.appeal_type, _TYPE_LABELS[AppealType.OTHER]),
        "title": appeal.title,
        "content": appeal.content,
        "address": appeal.address,
        "district": district,
        "street": street,
        "urgency": rules.URGENCY_OUT[UrgencyLevel(appeal.level)],
        "category": "-".join(categories.get(appeal.category, ())),
        "units": _units_text(appeal, history),
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
    return [values[f] for f in rules.FIELDS if f in mapping.columns]


def _rows(
    session: Session, cipher: FieldCipher, mapping: rules.ColumnMapping
) -> Iterator[list[object]]:
    """The rows, read in batches of :data:`BATCH` orders (one query each for the appeals with
    their units, the history and the regions)."""
    categories = {c: name for name, c in catalogue_paths(session).items()}
    link_ids = list(session.scalars(select(ExchangeOrder.id).order_by(ExchangeOrder.id)))
    for start in range(0, len(link_ids), BATCH):
        part = link_ids[start : start + BATCH]
        pairs = session.execute(
            select(ExchangeOrder.external_no, Appeal)
            .join(Appeal, Appeal.id == ExchangeOrder.appeal_id)
            .where(ExchangeOrder.id.in_(part))
            .order_by(ExchangeOrder.id)
        ).all()
        appeals = [appeal for _, appeal in pairs]
        histories = _history_texts(session, [a.id for a in appeals])
        places = _place_names(session, appeals)
        for external_no, appeal in pairs:
            yield _row(
                external_no,
                appeal,
                history=histories[appeal.id],
                places=places[appeal.id],
                categories=categories,
                cipher=cipher,
                mapping=mapping,
            )


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
    """Every imported work order in the mapping's layout (the import reads it back), as CSV
    (UTF-8) or XLSX. Raises Forbidden for anyone but an admin."""
    require_admin(actor)
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
