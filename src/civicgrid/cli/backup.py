"""``civicgrid backup`` and ``civicgrid restore``: a whole installation in one file."""

from __future__ import annotations

from pathlib import Path

import typer

from civicgrid import backup as backups
from civicgrid.cli.common import fail
from civicgrid.clock import SystemClock, monotonic
from civicgrid.config import get_settings
from civicgrid.kit.progress import duration_text, progress_bar


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)


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
    started = monotonic()
    try:
        with progress_bar("备份") as bar:
            manifest = backups.create_backup(
                settings,
                out,
                now=SystemClock().now(),
                include_keys=include_keys,
                progress=bar.phases(),
            )
    except backups.BackupError as exc:
        raise fail(f"错误: {exc}") from None
    rows = sum(manifest.row_counts.values())
    keys = "，含密钥文件" if manifest.keys else "（未含密钥：请另行备份 field.key）"
    typer.echo(
        f"已备份到 {out}：{len(manifest.row_counts)} 张表 {rows} 行，"
        f"{manifest.media_files} 个媒体文件{keys}，用时 {duration_text(monotonic() - started)}"
    )


def restore(
    archive: Path = typer.Argument(..., help="civicgrid backup 生成的备份文件"),
) -> None:
    """Restore a backup into the configured database, which must be empty; every table's row
    count is checked against the backup."""
    settings = get_settings()
    started = monotonic()
    try:
        with progress_bar("恢复") as bar:
            manifest = backups.restore_backup(settings, archive, progress=bar.phases())
    except backups.BackupError as exc:
        raise fail(f"错误: {exc}") from None
    rows = sum(manifest.row_counts.values())
    typer.echo(
        f"已恢复 {archive}（{manifest.created_at}）：{len(manifest.row_counts)} 张表 {rows} 行，"
        f"行数与备份一致，用时 {duration_text(monotonic() - started)}。"
        "如程序版本较新，请接着运行 civicgrid migrate"
    )
