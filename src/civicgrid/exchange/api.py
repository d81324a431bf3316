"""JSON API of the 12345 work-order exchange (/api/v1/exchange), for other systems: import an
export file (the row report as JSON), export the imported orders in the same layout, and the
history of imports. Administrators only; the use cases decide, this module translates."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from civicgrid.appeals.service.intake import MediaPolicy
from civicgrid.auth.actor import Actor
from civicgrid.auth.deps import require_roles
from civicgrid.auth.roles import Role
from civicgrid.deps import DbSession, Now, field_cipher, settings_of
from civicgrid.errors import Invalid
from civicgrid.exchange import export, files, rules, schemas, service
from civicgrid.kit import spreadsheet
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import LocalMediaStore
from civicgrid.register.rows import RowError
from civicgrid.register.rules import ImportMode

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])

Admin = Annotated[Actor, Depends(require_roles(Role.ADMIN))]

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_REPORT_OR_ERROR = {
    "description": "import refused (all-or-nothing with an invalid row: the row report, "
    "nothing stored) or an unreadable file / unusable mapping (a sentence)",
    "content": {
        "application/json": {
            "schema": {
                "anyOf": [
                    {"$ref": "#/components/schemas/ExchangeReportRead"},
                    {"$ref": "#/components/schemas/ErrorBody"},
                ]
            }
        }
    },
}


async def _cipher(request: Request) -> FieldCipher:
    return field_cipher(settings_of(request))


async def _media(request: Request) -> MediaPolicy:
    settings = settings_of(request)
    return MediaPolicy(
        store=LocalMediaStore(settings.media_dir), max_bytes=settings.media_max_bytes
    )


Cipher = Annotated[FieldCipher, Depends(_cipher)]
Media = Annotated[MediaPolicy, Depends(_media)]


def _report(report: service.ExchangeReport) -> schemas.ExchangeReportRead:
    def rows(errors: list[RowError]) -> list[schemas.RowErrorRead]:
        return [schemas.RowErrorRead(row=e.row, field=e.field, message=e.message) for e in errors]

    return schemas.ExchangeReportRead(
        mode=report.mode.value,
        dry_run=report.dry_run,
        total_rows=report.total_rows,
        valid_rows=report.valid_rows,
        created=report.created,
        updated=report.updated,
        rejected=report.rejected,
        error_rows=report.error_rows,
        errors=rows(report.errors),
        unmapped_categories=rows(report.unmapped_categories),
        unmatched_names=rows(report.unmatched_names),
    )


@router.post(
    "/import",
    response_model=schemas.ExchangeReportRead,
    responses={422: _REPORT_OR_ERROR},
)
def import_orders(
    session: DbSession,
    actor: Admin,
    cipher: Cipher,
    media: Media,
    now: Now,
    file: Annotated[UploadFile, File(description="工单文件：.csv（UTF-8 或 GBK）或 .xlsx")],
    mapping: Annotated[
        UploadFile | None,
        File(description="列映射 TOML 文件；不传则用常见 12345 导出格式的缺省映射"),
    ] = None,
    mode: Annotated[
        ImportMode,
        Form(
            description="all-or-nothing (default): nothing is stored when any row is invalid; "
            "valid-rows: the valid rows are imported and the rest reported"
        ),
    ] = ImportMode.ALL_OR_NOTHING,
    dry_run: Annotated[bool, Form(description="check and count only, store nothing")] = False,
) -> object:
    """Import a 12345 export: new work orders become appeals, ones imported before are
    updated (by 工单编号). Answers the row report; 422 with the report when refused."""
    try:
        column_mapping = files.read_mapping(
            mapping.file.read(files.MAX_MAPPING_BYTES + 1) if mapping is not None else b""
        )
        table = files.read_orders(
            file.file.read(files.MAX_FILE_BYTES + 1), file.filename or "", column_mapping
        )
    except (rules.MappingError, spreadsheet.SpreadsheetError) as exc:
        raise Invalid(str(exc)) from exc
    report = service.import_orders(
        session,
        table=table,
        mapping=column_mapping,
        mode=mode,
        dry_run=dry_run,
        actor=actor,
        cipher=cipher,
        media=media,
        now=now,
    )
    body = _report(report)
    if report.rejected:
        return JSONResponse(body.model_dump(mode="json"), status_code=422)
    return body


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {
            "description": "every imported work order in the default layout",
            "content": {
                MEDIA_TYPES["csv"]: {"schema": {"type": "string"}},
                MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def export_orders(
    session: DbSession,
    actor: Admin,
    cipher: Cipher,
    now: Now,
    fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
) -> Response:
    """The imported work orders as CSV (UTF-8) or XLSX, in the default 12345 layout (the
    import reads it back)."""
    data = export.export_orders(
        session, fmt=fmt, mapping=rules.default_mapping(), actor=actor, cipher=cipher, now=now
    )
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="work-orders.{fmt}"'},
    )


@router.get("/imports", response_model=list[schemas.ImportRunRead])
def list_imports(
    session: DbSession,
    actor: Admin,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> object:
    """The latest imports, newest first (dry runs store nothing and are not listed)."""
    return [
        schemas.ImportRunRead(**vars(run))
        for run in service.list_imports(session, actor=actor, limit=limit)
    ]
