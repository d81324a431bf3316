"""``civicgrid backup`` and ``civicgrid restore``: a whole installation in one file."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from civicgrid import backup as backups
from civicgrid.cli.common import fail
from civicgrid.clock import SystemClock
from civicgrid.config import get_settings


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)


@contextmanager
def _progress() -> Iterator[backups.Progress]:
    """A rich progress bar on a terminal; silence when the output is a file or a pipe."""
    if not sys.stdout.isatty():
        yield lambda _step, _done, _total: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        tasks: dict[str, object] = {}

        def show(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=max(total, 1))
            bar.update(tasks[step], completed=done, total=max(total, 1))  # type: ignore[arg-type]

        yield show


def backup(
    out: Path = typer.Option(..., "--out", help="备份文件（.tar），已存在时不会覆盖"),
    include_keys: bool = typer.Option(
        False,
        "--include-keys",
        help="同时备份 var/ 下的 secret.key 与 field.key（该文件须按密钥保管）",
    ),
) -> None:
    """Back up the database (SQLite online backup / pg_dump custom format) and media files."""
    settings = get_settings()
    try:
        with _progress() as progress:
            manifest = backups.create_backup(
                settings,
                out,
                now=SystemClock().now(),
                include_keys=include_keys,
                progress=progress,
            )
    except backups.BackupError as exc:
        raise fail(f"错误: {exc}") from None
    rows = sum(manifest.row_counts.values())
    keys = "，含密钥文件" if manifest.keys else "（未含密钥：请另行备份 field.key）"
    typer.echo(
        f"已备份到 {out}：{len(manifest.row_counts)} 张表 {rows} 行，"
        f"{manifest.media_files} 个媒体文件{keys}"
    )


def restore(
    archive: Path = typer.Argument(..., help="civicgrid backup 生成的备份文件"),
) -> None:
    """Restore a backup into the configured database, which must be empty; every table's row
    count is checked against the backup."""
    settings = get_settings()
    try:
        with _progress() as progress:
            manifest = backups.restore_backup(settings, archive, progress=progress)
    except backups.BackupError as exc:
        raise fail(f"错误: {exc}") from None
    rows = sum(manifest.row_counts.values())
    typer.echo(
        f"已恢复 {archive}（{manifest.created_at}）：{len(manifest.row_counts)} 张表 {rows} 行，"
        "行数与备份一致。如程序版本较新，请接着运行 civicgrid migrate"
    )
