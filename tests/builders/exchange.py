"""12345 export files for the work-order exchange tests: rows in the default layout, written as
UTF-8 or GBK CSV or as XLSX, and the shipped catalogue loaded through its use case."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy.orm import Session

from civicgrid.appeals.service.intake import MediaPolicy
from civicgrid.auth.actor import Actor
from civicgrid.dispatch import service as dispatch_service
from civicgrid.exchange import rules, service
from civicgrid.kit import spreadsheet
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import LocalMediaStore
from civicgrid.register.rules import ImportMode
from tests.builders.appeals import FIELD_KEY

HEADERS = rules.default_mapping().headers()
ADMIN = Actor.system("test")
CIPHER = FieldCipher(FIELD_KEY)


def order_row(number: str = "GD20240501001", **overrides: str) -> dict[str, str]:
    """One work order in the default layout (headers as keys); ``overrides`` by field name."""
    values = {
        "external_no": number,
        "received_at": "2024-05-01 09:30:00",
        "caller_name": "王建国",
        "caller_phone": "13800138000",
        "appeal_type": "投诉",
        "title": "小区门口垃圾无人清理",
        "content": "幸福小区北门垃圾堆放三天无人清理，气味很大。",
        "address": "幸福路 8 号",
        "district": "东城街道",
        "urgency": "一般",
        "category": "城市管理与市容环境-环境卫生-暴露垃圾",
        "units": "东城街道办事处",
        "dispatched_at": "2024-05-01 10:00:00",
        "finish_due_at": "2024-05-08 18:00:00",
        "signed_at": "2024-05-01 11:00:00",
        "reply_text": "已安排环卫清运并加密巡查。",
        "replied_at": "2024-05-03 16:00:00",
        "extensions": "2024-05-02 09:00 需协调物业",
        "returns": "",
        "supervisions": "2024-05-02 15:00 督促尽快清运；2024-05-03 08:00 再次督办",
        "callback_at": "2024-05-04 10:00:00",
        "resolved": "是",
        "satisfaction": "满意",
        "status": "已办结",
    }
    values.update(overrides)
    columns = rules.default_mapping().columns
    return {columns[k]: v for k, v in values.items()}


def csv_bytes(
    rows: Sequence[dict[str, str]], encoding: str = "utf-8", headers: Sequence[str] = HEADERS
) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[dict[str, str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append([row.get(h, "") for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def load_catalogue(session: Session, now: datetime) -> None:
    """The shipped 派单目录, through the dispatch use case."""
    dispatch_service.load_catalogue(
        session,
        catalogue=dispatch_service.default_catalogue(),
        actor=Actor.system("test"),
        now=now,
        source="shipped",
    )


def media(root: Path) -> MediaPolicy:
    return MediaPolicy(store=LocalMediaStore(root), max_bytes=4096)


def run_import(
    session: Session,
    data: bytes,
    *,
    now: datetime,
    media_root: Path,
    fmt: str = "csv",
    mapping: rules.ColumnMapping | None = None,
    mode: ImportMode = ImportMode.ALL_OR_NOTHING,
    dry_run: bool = False,
    actor: Actor = ADMIN,
) -> service.ExchangeReport:
    """Read ``data`` through the mapping (the default one when None) and import it."""
    chosen = mapping or rules.default_mapping()
    return service.import_orders(
        session,
        table=spreadsheet.read_table(data, fmt, rules.aliases(chosen)),
        mapping=chosen,
        mode=mode,
        dry_run=dry_run,
        actor=actor,
        cipher=CIPHER,
        media=media(media_root),
        now=now,
    )
