"""12345 work-order exchange for administrators (/admin/exchange): upload an export (CSV in
UTF-8 or GBK, or XLSX) with an optional column-mapping TOML, choose the mode or a dry run, and
read the row report; download the imported orders in the same layout. A refused file answers
422 with the report beside the form. Admin only; the use cases check the role again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from civicgrid.auth.roles import Role
from civicgrid.deps import DbSession, Now
from civicgrid.errors import Invalid
from civicgrid.exchange import export, files, rules, service
from civicgrid.kit import spreadsheet
from civicgrid.register.rules import ImportMode
from civicgrid.web.shared import form_actions
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.forms import Cipher, Media, require
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

ADMIN = frozenset({Role.ADMIN})
PAGE = "/admin/exchange"
MAX_SHOWN = 200


def _page(
    request: Request,
    *,
    report: service.ExchangeReport | None = None,
    message: str = "",
    mode: str = ImportMode.ALL_OR_NOTHING.value,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/exchange.html",
        {
            "report": report,
            "message": message,
            "mode": mode,
            "fields": rules.FIELDS,
            "default_mapping": rules.default_mapping_text(),
            "max_shown": MAX_SHOWN,
        },
        status_code=status_code,
    )


@router.get(PAGE, include_in_schema=False)
def exchange_page(request: Request, actor: PageActor) -> Response:
    """The upload form, the default mapping and the export links."""
    require(actor, ADMIN)
    return _page(request)


def _read(upload: UploadFile | None, limit: int) -> bytes:
    if upload is None or not upload.filename:
        return b""
    return upload.file.read(limit + 1)


_MODES = {m.value: m for m in ImportMode}


def _mode(mode: str) -> ImportMode:
    chosen = _MODES.get(mode)
    if chosen is None:
        raise Invalid(f"未知的导入方式：{mode}")
    return chosen


def _uploaded_orders(
    orders: UploadFile | None, mapping: UploadFile | None
) -> tuple[spreadsheet.Table, rules.ColumnMapping]:
    """The orders file read with its mapping (or the default one); Invalid names what is wrong
    with either file."""
    try:
        column_mapping = files.read_mapping(_read(mapping, files.MAX_MAPPING_BYTES))
        table = files.read_orders(
            _read(orders, files.MAX_FILE_BYTES),
            orders.filename or "" if orders is not None else "",
            column_mapping,
        )
    except (rules.MappingError, spreadsheet.SpreadsheetError) as exc:
        raise Invalid(str(exc)) from exc
    return table, column_mapping


@router.post(PAGE, include_in_schema=False)
def exchange_import(
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    cipher: Cipher,
    media: Media,
    orders: Annotated[UploadFile | None, File()] = None,
    mapping: Annotated[UploadFile | None, File()] = None,
    mode: Annotated[str, Form()] = ImportMode.ALL_OR_NOTHING.value,
    dry_run: Annotated[str, Form()] = "",
) -> Response:
    """Import the uploaded file and show its row report (422 when refused)."""
    require(actor, ADMIN)

    def run() -> service.ExchangeReport:
        chosen = _mode(mode)
        table, column_mapping = _uploaded_orders(orders, mapping)
        return service.import_orders(
            session,
            table=table,
            mapping=column_mapping,
            mode=chosen,
            dry_run=bool(dry_run),
            actor=actor,
            cipher=cipher,
            media=media,
            now=now,
        )

    return form_actions.perform(
        run,
        redirect=lambda report: _page(
            request, report=report, mode=mode, status_code=422 if report.rejected else 200
        ),
        refused=lambda messages, status: _page(
            request, message=messages[0], mode=mode, status_code=status
        ),
    )


@router.get(PAGE + "/export.{fmt}", include_in_schema=False)
def exchange_export(
    fmt: str, actor: PageActor, session: DbSession, now: Now, cipher: Cipher
) -> Response:
    """The imported work orders in the default layout, as CSV or XLSX."""
    require(actor, ADMIN)
    if fmt not in ("csv", "xlsx"):
        return Response("只支持 csv 或 xlsx", status_code=404, media_type="text/plain")
    data = export.export_orders(
        session, fmt=fmt, mapping=rules.default_mapping(), actor=actor, cipher=cipher, now=now
    )
    media_type = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="work-orders.{fmt}"'},
    )
