"""``civicgrid catalogue``: load the shipped dispatch catalogue (派单目录) into the database,
import a city's own catalogue from CSV or Excel, export it, show it.

``load`` is idempotent: run it after every upgrade; a second run changes nothing. Results are
printed as one JSON line; bad files exit with code 2 and every problem with its row number.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from civicgrid.auth.actor import Actor
from civicgrid.cli.common import cli_session, fail
from civicgrid.clock import SystemClock
from civicgrid.errors import DomainError

app = typer.Typer(no_args_is_help=True)

CLI_ACTOR = Actor.system("cli-catalogue")


def _emit(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, sort_keys=True))


@app.command()
def load(
    file: Path | None = typer.Option(
        None, "--file", help="catalogue CSV/XLSX (default: the file shipped with civicgrid)"
    ),
    version: str = typer.Option("", help="version, when the file does not name one"),
) -> None:
    """Load the catalogue into the database (idempotent; missing codes are switched off)."""
    from civicgrid.dispatch import catalogue_io, service

    try:
        if file is None:
            catalogue, inactive = service.default_catalogue(), frozenset[str]()
            source = "shipped"
        else:
            catalogue, inactive = catalogue_io.read_catalogue_file(
                file.read_bytes(), file.name, version=version
            )
            source = f"file:{file.name}"
    except OSError as exc:
        raise fail(f"错误: 无法读取文件 {file}: {exc.strerror}") from exc
    except DomainError as exc:
        raise fail(_problems(exc)) from exc
    with cli_session() as session:
        result = service.load_catalogue(
            session,
            catalogue=catalogue,
            inactive=inactive,
            source=source,
            actor=CLI_ACTOR,
            now=SystemClock().now(),
        )
    _emit(result.as_dict())


@app.command("import")
def import_file(
    file: Path = typer.Argument(..., help="catalogue CSV or XLSX"),
    version: str = typer.Option("", help="version, when the file does not name one"),
) -> None:
    """Replace the catalogue with a city's own file (all rows checked first)."""
    load(file=file, version=version)


@app.command()
def export(
    file: Path = typer.Argument(..., help="output file; .csv or .xlsx"),
) -> None:
    """Write the database catalogue to CSV (shipped format) or XLSX."""
    from civicgrid.dispatch import catalogue_io, queries

    fmt = file.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise fail("错误: 导出文件扩展名应为 .csv 或 .xlsx")
    with cli_session() as session:
        catalogue = queries.catalogue(session)
        if catalogue is None:
            raise fail("错误: 派单目录尚未加载，请先运行 civicgrid catalogue load")
        inactive = frozenset(r.code for r in queries.catalogue_rows(session) if not r.is_active)
        data = catalogue_io.export_catalogue(catalogue, fmt, inactive=inactive)
    try:
        file.write_bytes(data)
    except OSError as exc:
        raise fail(f"错误: 无法写入 {file}: {exc.strerror}") from exc
    _emit({"file": str(file), "items": len(catalogue.items), "version": catalogue.version})


@app.command()
def show(code: str = typer.Argument(..., help="catalogue code, e.g. 040301")) -> None:
    """Print one item with its path."""
    from civicgrid.dispatch import queries

    with cli_session() as session:
        catalogue = queries.catalogue(session)
        if catalogue is None or code not in catalogue:
            raise fail(f"错误: 派单目录中没有编码为 {code} 的事项")
        item = catalogue.get(code)
        _emit(
            {
                "code": item.code,
                "path": [i.name for i in catalogue.path(code)],
                "owner_rule": item.owner_rule.value,
                "owner_unit": item.owner_unit,
                "default_level": item.default_level,
                "default_finish_days": item.default_finish_days,
            }
        )


def _problems(exc: DomainError) -> str:
    if isinstance(exc.detail, list) and exc.detail:
        return "错误: " + "\n".join(str(p) for p in exc.detail)
    return f"错误: {exc.message}"
