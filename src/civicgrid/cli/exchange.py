"""``civicgrid exchange import|export``: 12345 work orders as CSV/XLSX through a column mapping.

``import`` checks every row and prints a row report (row number, column, reason), the
categories the catalogue does not know and the unit and district/street names the territory does
not know. With ``--mode all-or-nothing`` (the default) nothing is
written when any row fails and the exit code is 2; with ``--mode valid-rows`` the good rows are
imported and the rest reported. ``--dry-run`` checks and reports without storing anything.
"""

from __future__ import annotations

from pathlib import Path

import typer

from civicgrid.appeals.service.intake import MediaPolicy
from civicgrid.auth.actor import Actor
from civicgrid.cli.common import cli_session, fail
from civicgrid.clock import SystemClock, monotonic
from civicgrid.config import get_settings
from civicgrid.exchange import export, rules, service
from civicgrid.kit import spreadsheet
from civicgrid.kit.crypto import FieldCipher
from civicgrid.kit.progress import progress_bar
from civicgrid.media.store import LocalMediaStore
from civicgrid.register.rules import ImportMode

app = typer.Typer(no_args_is_help=True)

MAX_PRINTED_ERRORS = 200


def _cipher() -> FieldCipher:
    return FieldCipher(get_settings().resolved_field_key())


def _mapping(path: Path | None) -> rules.ColumnMapping:
    try:
        if path is None:
            return rules.default_mapping()
        return rules.parse_mapping(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise fail(f"错误: 无法读取映射文件 {path}：{exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise fail(f"错误: 映射文件 {path} 不是 UTF-8 编码") from exc
    except rules.MappingError as exc:
        raise fail(f"错误: {exc}") from exc


def _media() -> MediaPolicy:
    settings = get_settings()
    return MediaPolicy(
        store=LocalMediaStore(settings.media_dir), max_bytes=settings.media_max_bytes
    )


@app.command("import")
def import_file(
    file: Path = typer.Argument(..., help="CSV（UTF-8 或 GBK）或 XLSX 文件"),
    mapping_file: Path | None = typer.Option(
        None, "--mapping", help="列映射 TOML 文件（缺省为常见 12345 导出格式）"
    ),
    mode: ImportMode = typer.Option(
        ImportMode.ALL_OR_NOTHING, "--mode", help="all-or-nothing（默认）或 valid-rows"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查并报告，不写入"),
) -> None:
    """Import 12345 work orders into appeals (re-import updates by work-order number)."""
    started = monotonic()
    mapping = _mapping(mapping_file)
    try:
        table = spreadsheet.read_file(file, rules.aliases(mapping))
    except OSError as exc:
        raise fail(f"错误: 无法读取文件 {file}：{exc.strerror or exc}") from exc
    except spreadsheet.SpreadsheetError as exc:
        raise fail(f"错误: {exc}") from exc
    try:
        rules.check_headers(mapping, table.fields)
    except rules.MappingError as exc:
        raise fail(f"错误: {exc}") from exc
    with cli_session() as session, progress_bar("导入工单", len(table.rows)) as bar:
        report = service.import_orders(
            session,
            table=table,
            mapping=mapping,
            mode=mode,
            dry_run=dry_run,
            actor=Actor.system("cli"),
            cipher=_cipher(),
            media=_media(),
            now=SystemClock().now(),
            progress=bar.callback,
        )
    labels = rules.FIELDS
    for e in report.errors[:MAX_PRINTED_ERRORS]:
        typer.echo(f"  第 {e.row} 行 {labels.get(e.field, e.field)}: {e.message}", err=True)
    if len(report.errors) > MAX_PRINTED_ERRORS:
        typer.echo(f"  …… 另有 {len(report.errors) - MAX_PRINTED_ERRORS} 条错误", err=True)
    for e in report.unmapped_categories[:MAX_PRINTED_ERRORS]:
        typer.echo(f"  第 {e.row} 行 未映射分类: {e.message}", err=True)
    for e in report.unmatched_names[:MAX_PRINTED_ERRORS]:
        typer.echo(f"  第 {e.row} 行 {labels.get(e.field, e.field)} 未匹配: {e.message}", err=True)
    seconds = monotonic() - started
    if report.rejected:
        raise fail(
            f"导入被拒绝：{report.error_rows} 行有错误（共 {report.total_rows} 行），"
            "未写入任何数据。"
        )
    verb = "检查完毕（试运行，未写入）：将新建" if dry_run else "已导入：新建"
    typer.echo(
        f"{verb} {report.created} 件、更新 {report.updated} 件（共 {report.total_rows} 行，"
        f"{report.error_rows} 行有错误，{len(report.unmapped_categories)} 行分类未映射，"
        f"{len(report.unmatched_names)} 处单位或区域名称未匹配），"
        f"用时 {seconds:.1f} 秒。"
    )


@app.command("export")
def export_file(
    output: Path = typer.Argument(..., help="输出文件（.csv 或 .xlsx）"),
    mapping_file: Path | None = typer.Option(None, "--mapping", help="列映射 TOML 文件"),
) -> None:
    """Export the imported work orders in the mapping's layout."""
    mapping = _mapping(mapping_file)
    try:
        fmt = spreadsheet.detect_format(output.name)
    except spreadsheet.SpreadsheetError as exc:
        raise fail(f"错误: {exc}") from exc
    with cli_session() as session:
        data = export.export_orders(
            session,
            fmt=fmt,
            mapping=mapping,
            actor=Actor.system("cli"),
            cipher=_cipher(),
            now=SystemClock().now(),
        )
    output.write_bytes(data)
    typer.echo(f"已导出到 {output}")
