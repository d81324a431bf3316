"""``civicgrid register import|export|seed-tags``: the 人房 register as CSV/XLSX.

``import`` checks every row and prints a row report (row number, column, reason). With
``--mode all-or-nothing`` (the default) nothing is written when any row fails and the exit code
is 2; with ``--mode valid-rows`` the good rows are imported and the rest reported.
"""

from __future__ import annotations

from pathlib import Path

import typer

from civicgrid.auth.actor import Actor
from civicgrid.cli.common import cli_session, fail
from civicgrid.clock import SystemClock, monotonic
from civicgrid.config import get_settings
from civicgrid.kit import spreadsheet
from civicgrid.kit.crypto import FieldCipher
from civicgrid.kit.progress import duration_text, progress_bar
from civicgrid.register import exchange, service
from civicgrid.register.rows import ALIASES, LABELS
from civicgrid.register.rules import ImportMode

app = typer.Typer(no_args_is_help=True)

MAX_PRINTED_ERRORS = 200


def _cipher() -> FieldCipher:
    return FieldCipher(get_settings().resolved_field_key())


@app.command("import")
def import_file(
    file: Path = typer.Argument(..., help="CSV 或 XLSX 文件"),
    mode: ImportMode = typer.Option(
        ImportMode.ALL_OR_NOTHING, "--mode", help="all-or-nothing（默认）或 valid-rows"
    ),
    report: Path | None = typer.Option(None, "--report", help="把逐行错误写入此 CSV 文件"),
) -> None:
    """Import residents and houses from a CSV or XLSX file."""
    started = monotonic()
    try:
        table = spreadsheet.read_file(file, ALIASES)
    except OSError as exc:
        raise fail(f"错误: 无法读取文件 {file}：{exc.strerror or exc}") from exc
    except spreadsheet.SpreadsheetError as exc:
        with cli_session() as session:
            exchange.refuse_unreadable_import(
                session,
                reason=str(exc),
                filename=file.name,
                actor=Actor.system("cli"),
                now=SystemClock().now(),
            )
        raise fail(f"错误: {exc}") from exc
    # Checking the rows and matching the places has no count to show (the bar pulses); the
    # residents written then count up to the rows that passed.
    with cli_session() as session, progress_bar("检查数据", unit="人") as bar:
        phases = bar.phases()
        result = exchange.import_register(
            session,
            table=table,
            mode=mode,
            actor=Actor.system("cli"),
            cipher=_cipher(),
            now=SystemClock().now(),
            progress=lambda done, total: phases("写入人房", done, total),
        )
    for e in result.errors[:MAX_PRINTED_ERRORS]:
        typer.echo(f"  第 {e.row} 行 {LABELS.get(e.field, e.field)}: {e.message}", err=True)
    if len(result.errors) > MAX_PRINTED_ERRORS:
        typer.echo(f"  …… 另有 {len(result.errors) - MAX_PRINTED_ERRORS} 条错误", err=True)
    if report is not None:
        report.write_bytes(
            spreadsheet.write_csv(
                ["行号", "列", "错误"],
                ([e.row, LABELS.get(e.field, e.field), e.message] for e in result.errors),
            )
        )
    seconds = monotonic() - started
    if result.rejected:
        raise fail(
            f"导入被拒绝：{result.error_rows} 行有错误（共 {result.total_rows} 行），"
            "未写入任何数据。"
        )
    typer.echo(
        f"已导入 {result.imported} 人（共 {result.total_rows} 行，{result.error_rows} 行有错误），"
        f"新增房屋 {result.counts.houses} 套，用时 {duration_text(seconds)}。"
    )


@app.command("export")
def export_file(
    output: Path = typer.Argument(..., help="输出文件（.csv 或 .xlsx）"),
    reveal: bool = typer.Option(False, "--reveal", help="导出完整身份证号和手机号（需填事由）"),
    reason: str = typer.Option("", "--reason", help="导出完整信息的事由（写入审计日志）"),
) -> None:
    """Export current residences in the import format (masked unless --reveal)."""
    try:
        fmt = spreadsheet.detect_format(output.name)
    except spreadsheet.SpreadsheetError as exc:
        raise fail(f"错误: {exc}") from exc
    with cli_session() as session:
        data = exchange.export_register(
            session,
            fmt=fmt,
            reveal=reveal,
            reason=reason,
            actor=Actor.system("cli"),
            cipher=_cipher(),
            now=SystemClock().now(),
        )
    output.write_bytes(data)
    typer.echo(f"已导出到 {output}")


@app.command("seed-tags")
def seed_tags() -> None:
    """Add the shipped tag catalogue (党员, 低保, 独居老人 …); safe to run again."""
    with cli_session() as session:
        added = service.ensure_default_tags(
            session, actor=Actor.system("cli"), now=SystemClock().now()
        )
    typer.echo(f"已添加 {added} 个标签。")
