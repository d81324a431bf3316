"""``civicgrid assessment …``: the monthly report file, and rebuilding or refreshing the
rollup tables."""

from __future__ import annotations

from pathlib import Path

import typer

from civicgrid.assessment import export, service
from civicgrid.assessment.periods import parse_period
from civicgrid.auth.actor import Actor
from civicgrid.cli.common import cli_session, fail
from civicgrid.clock import SystemClock, monotonic
from civicgrid.config import get_settings
from civicgrid.errors import DomainError
from civicgrid.kit.progress import duration_text, progress_bar

app = typer.Typer(no_args_is_help=True)


@app.command("report")
def report(
    period: str = typer.Option(..., "--period", help="考核周期：YYYY-MM、YYYY-Www 或 A..B"),
    out: Path = typer.Option(..., "--out", help="输出文件（.xlsx 或 .csv）"),
) -> None:
    """Write the assessment report of every unit type for the period (Excel: a summary sheet
    and one sheet per unit type; CSV: one table)."""
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise fail(f"错误: 输出文件应以 .xlsx 或 .csv 结尾：{out}")
    try:
        p = parse_period(period)
        config = service.load_config(get_settings().var_dir)
    except DomainError as exc:
        raise fail(f"错误: {exc.message}") from None
    with cli_session() as session:
        tables = export.report_tables(session, actor=Actor.system("cli"), period=p, config=config)
    body = export.to_xlsx(tables) if suffix == ".xlsx" else export.to_csv(tables)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(body)
    units = sum(len(t.units) for t in tables)
    typer.echo(f"已写出 {p.label} 考核报表：{out}（{units} 个单位）")


@app.command("rebuild")
def rebuild() -> None:
    """Recreate every fact and rollup row from the appeals (one transaction)."""
    started = monotonic()
    with cli_session() as session, progress_bar("重建考核汇总", unit="步") as bar:
        result = service.rebuild(session, now=SystemClock().now(), progress=bar.callback)
    seconds = monotonic() - started
    typer.echo(
        f"已重建考核汇总：{result.appeals} 件工单，{result.facts} 条明细，"
        f"{result.daily_rows} 条日汇总，用时 {duration_text(seconds)}"
    )


@app.command("refresh")
def refresh() -> None:
    """Run the incremental step once (what the worker's ``assessment.refresh`` job does)."""
    with cli_session() as session:
        result = service.refresh(session, now=SystemClock().now())
    typer.echo(f"已更新考核汇总：{result.appeals} 件工单，{result.keys} 个单位日")
