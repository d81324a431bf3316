"""``civicgrid insight …``: hot problems from the database or from a CSV file, and the
forecast with its backtest. Results are printed as JSON on stdout; bad input exits with code 2
and one sentence on stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from civicgrid.auth.actor import Actor
from civicgrid.cli.common import cli_session, fail
from civicgrid.clock import SystemClock, monotonic
from civicgrid.errors import DomainError
from civicgrid.insight import analysis, hotspots, sources
from civicgrid.insight.periods import parse_period
from civicgrid.kit.periods import Period

app = typer.Typer(no_args_is_help=True)


def _emit(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def hotspot_json(h: hotspots.Hotspot, titles: dict[str, str] | None = None) -> dict[str, Any]:
    """One hot problem as plain JSON data."""
    return {
        "rank": h.rank,
        "label": h.label,
        "heat": h.heat,
        "heat_parts": h.heat_parts,
        "size": h.size,
        "callers": h.callers,
        "support": h.support,
        "oppose": h.oppose,
        "growth": h.growth,
        "first_at": h.first_at.isoformat(),
        "last_at": h.last_at.isoformat(),
        "terms": list(h.terms),
        "areas": list(h.areas),
        "places": list(h.places),
        "samples": [{"key": s.key, "title": s.title, "at": s.at.isoformat()} for s in h.samples],
        "members": list(h.members),
        **({"member_titles": [titles.get(k, "") for k in h.members]} if titles else {}),
    }


def _csv_hotspots(
    csv_file: Path,
    columns: sources.CsvColumns,
    explicit: frozenset[str],
    period: Period | None,
    limit: int,
) -> dict[str, Any]:
    read = sources.read_csv_file(csv_file, columns=columns, explicit=explicit)
    items = read.items
    span = None
    if period is not None:
        items = [i for i in items if period.start_utc <= i.at < period.end_utc]
        span = (period.start_utc, period.end_utc)
    started = monotonic()
    found = hotspots.find_hotspots(items, span=span, limit=limit)
    return {
        "source": str(csv_file),
        "period": period.key if period else None,
        "items": len(items),
        "skipped_without_time": read.skipped_without_time,
        "seconds": round(monotonic() - started, 2),
        "hotspots": [hotspot_json(h) for h in found],
    }


@app.command("hotspots")
def hotspots_command(
    csv_file: Path | None = typer.Option(
        None, "--csv", help="UTF-8 CSV of messages; without it the database's appeals are mined"
    ),
    text_col: str | None = typer.Option(None, "--text-col", help="正文列（默认 留言详情）"),
    time_col: str | None = typer.Option(None, "--time-col", help="时间列（默认 留言时间）"),
    title_col: str | None = typer.Option(None, "--title-col", help="标题列（默认 留言主题）"),
    id_col: str | None = typer.Option(None, "--id-col", help="编号列（默认 留言编号）"),
    user_col: str | None = typer.Option(None, "--user-col", help="留言人列（默认 留言用户）"),
    support_col: str | None = typer.Option(None, "--support-col", help="点赞数列"),
    oppose_col: str | None = typer.Option(None, "--oppose-col", help="反对数列"),
    period: str | None = typer.Option(
        None, "--period", help="YYYY-MM 或 YYYY-MM-DD..YYYY-MM-DD（数据库模式必填）"
    ),
    region: str | None = typer.Option(None, "--region", help="区域编码（数据库模式）"),
    limit: int = typer.Option(20, "--limit", min=1, max=500, help="最多输出多少个热点"),
) -> None:
    """Print the hot problems (clusters with heat score and explanation) as JSON."""
    named = {
        "text": text_col,
        "time": time_col,
        "title": title_col,
        "key": id_col,
        "user": user_col,
        "support": support_col,
        "oppose": oppose_col,
    }
    try:
        p = parse_period(period) if period else None
        if csv_file is not None:
            if region is not None:
                raise fail("错误: --region 只能用于数据库模式（CSV 中的地点从文本中识别）")
            defaults = sources.DEFAULT_COLUMNS
            columns = sources.CsvColumns(
                **{k: (v if v is not None else getattr(defaults, k)) for k, v in named.items()}
            )
            explicit = frozenset({"text", "time"} | {k for k, v in named.items() if v})
            _emit(_csv_hotspots(csv_file, columns, explicit, p, limit))
            return
    except DomainError as exc:
        raise fail(f"错误: {exc.message}") from None
    if any(v is not None for v in named.values()):
        raise fail("错误: --text-col 等列选项只能与 --csv 一起使用")
    if p is None:
        raise fail("错误: 从数据库挖掘热点时请用 --period 指定统计周期（如 2026-10）")
    with cli_session() as session:
        report = analysis.hotspots_for(
            session, actor=Actor.system("cli"), period=p, region_code=region, limit=limit
        )
    _emit(
        {
            "period": p.key,
            "region": report.region_name,
            "appeals": report.appeals,
            "hotspots": [hotspot_json(h) for h in report.hotspots],
        }
    )


@app.command("forecast")
def forecast_command(
    months: int = typer.Option(24, "--months", min=3, max=60, help="用多少个完整月份的历史"),
    backtest: int = typer.Option(6, "--backtest", min=1, max=24, help="回测最近多少个月"),
    by: str = typer.Option("category", "--by", help="category / region / both"),
    region: str | None = typer.Option(None, "--region", help="区域编码"),
) -> None:
    """Print next month's forecast per category / region with the backtest MAPE as JSON."""
    if by not in ("category", "region", "both"):
        raise fail(f"错误: --by 只能是 category、region 或 both，收到“{by}”")
    with cli_session() as session:
        report = analysis.forecast_for(
            session,
            actor=Actor.system("cli"),
            now=SystemClock().now(),
            months=months,
            backtest_months=backtest,
            by=by,
            region_code=region,
        )
    _emit(
        {
            "month": f"{report.target[0]:04d}-{report.target[1]:02d}",
            "mape": report.mape,
            "naive_mape": report.naive_mape,
            "series": [
                {
                    "key": s.key,
                    "forecast": s.forecast,
                    "method": s.method,
                    "mape": s.backtest.mape,
                    "naive_mape": s.backtest.naive_mape,
                }
                for s in report.series
            ],
        }
    )
