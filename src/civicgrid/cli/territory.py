"""``civicgrid territory import|export``: the territory as GeoJSON.

``import`` is all or nothing: on any problem it prints every problem (feature index and
reason) to stderr and exits with code 2, and nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from civicgrid.auth.actor import Actor
from civicgrid.cli.common import cli_session, fail
from civicgrid.clock import SystemClock
from civicgrid.errors import Invalid
from civicgrid.territory import service

app = typer.Typer(no_args_is_help=True)


@app.command("import")
def import_file(
    file: Path = typer.Argument(..., help="GeoJSON FeatureCollection (UTF-8)"),
) -> None:
    """Import regions (city → grid) from a GeoJSON file; all or nothing."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"错误: 无法读取文件 {file}：{exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise fail(f"错误: 文件 {file} 不是 UTF-8 编码") from exc
    try:
        collection = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(
            f"错误: 文件 {file} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）"
        ) from exc
    with cli_session() as session:
        try:
            summary = service.import_geojson(
                session,
                collection=collection,
                actor=Actor.system("cli"),
                now=SystemClock().now(),
            )
        except Invalid as exc:
            lines = [f"错误: {exc.message}"]
            if isinstance(exc.detail, list):
                lines.extend(
                    f"  features[{p['index']}] {p['code']}: {p['reason']}" for p in exc.detail
                )
            raise fail("\n".join(lines)) from exc
    levels = "，".join(f"{k} {v}" for k, v in summary.by_level.items())
    typer.echo(f"已导入 {summary.created} 个区域（{levels}）。")


@app.command("export")
def export_file(
    out: Path | None = typer.Option(None, "--out", "-o", help="write to this file, not stdout"),
) -> None:
    """Export the whole territory as a GeoJSON FeatureCollection."""
    with cli_session() as session:
        collection = service.export_geojson(session)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    if out is None:
        typer.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    typer.echo(f"已导出 {len(collection['features'])} 个区域到 {out}", err=True)
