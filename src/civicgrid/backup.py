"""Backups and restores of a whole installation (``civicgrid backup`` / ``civicgrid restore``).

A backup is one ``.tar`` file holding:

- ``manifest.json``: format, time, engine, schema revisions and the row count of every table;
- the database: SQLite through its online backup API (a consistent copy while the app keeps
  writing) as ``database.sqlite3``, PostgreSQL through ``pg_dump --format=custom`` as
  ``database.pgdump``;
- ``media/…``: the uploaded photos (``var/media``);
- ``keys/secret.key`` and ``keys/field.key`` only when asked for (``include_keys``): the field
  key decrypts the personal data in the same archive, so by default it is kept out and must be
  backed up separately (docs/operations.md).

A restore goes into an empty database only (it refuses one that holds any row or table), puts
the media files back without overwriting, writes key files only where none exist (a different
existing key is refused), and checks every table's row count against the manifest.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, inspect, make_url, select, table, text
from sqlalchemy.engine import URL

import civicgrid.models_index  # noqa: F401  (every table in the metadata)
from civicgrid.config import Settings
from civicgrid.db import Base, make_engine

FORMAT = "civicgrid-backup/1"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
KEY_FILES = ("secret.key", "field.key")

# progress(step, done, total): the CLI draws it on a terminal; elsewhere it is a no-op.
Progress = Callable[[str, int, int], None]


def _quiet(_step: str, _done: int, _total: int) -> None:
    return None


class BackupError(Exception):
    """A backup or restore cannot be done; the message says why (shown to the operator)."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds."""

    format: str
    created_at: str
    engine: str
    revisions: list[str]
    row_counts: dict[str, int]
    media_files: int
    keys: list[str] = field(default_factory=list)

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=2).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        raw: dict[str, Any] = json.loads(data)
        if raw.get("format") != FORMAT:
            raise BackupError(f"不是 civicgrid 备份文件（格式 {raw.get('format')!r}）")
        return cls(**raw)


def row_counts(
    engine: Engine, *, progress: Progress = _quiet, step: str = "统计行数"
) -> dict[str, int]:
    """The number of rows of every table of the schema (those that exist in the database);
    ``progress(step, done, total)`` hears after every table."""
    present = set(inspect(engine).get_table_names())
    names = [n for n in sorted(Base.metadata.tables) if n in present]
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        progress(step, 0, len(names))
        for i, name in enumerate(names, 1):
            counts[name] = int(conn.scalar(select(func.count()).select_from(table(name))) or 0)
            progress(step, i, len(names))
    return counts


def _revisions(engine: Engine) -> list[str]:
    if "alembic_version" not in inspect(engine).get_table_names():
        return []
    with engine.connect() as conn:
        return sorted(str(v) for v in conn.scalars(text("SELECT version_num FROM alembic_version")))


def _pg_env(url: URL) -> dict[str, str]:
    """libpq environment for pg_dump/pg_restore, so the password never shows in argv."""
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", str(url.port) if url.port else None),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[key] = str(value)
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(
            f"找不到 {args[0]}：请安装与服务器同一主版本的 PostgreSQL 客户端"
        ) from exc
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} 失败：{done.stderr.strip()[:500]}")


def _media_files(media_dir: Path) -> list[Path]:
    if not media_dir.is_dir():
        return []
    return sorted(p for p in media_dir.rglob("*") if p.is_file())


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def create_backup(
    settings: Settings,
    out: Path,
    *,
    now: datetime,
    include_keys: bool = False,
    progress: Progress = _quiet,
) -> Manifest:
    """Write a backup of the configured database, media and (optionally) keys to ``out``
    (refused when ``out`` exists). Returns its manifest."""
    if out.exists():
        raise BackupError(f"{out} 已存在，不会覆盖")
    url = make_url(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    try:
        counts = row_counts(engine, progress=progress)
        revisions = _revisions(engine)
        if not revisions:
            raise BackupError("数据库尚未迁移（没有 alembic_version），没有可备份的内容")
        media = _media_files(settings.media_dir)
        keys = [k for k in KEY_FILES if include_keys and (settings.var_dir / k).is_file()]
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(partial, "w") as tar:
            progress("数据库", 0, 1)
            if url.get_backend_name() == "sqlite":
                db_copy = Path(tmp) / SQLITE_MEMBER
                _sqlite_backup(Path(url.database or ""), db_copy)
                tar.add(db_copy, SQLITE_MEMBER)
            else:
                dump = Path(tmp) / PG_MEMBER
                _run(
                    [
                        "pg_dump",
                        "--format=custom",
                        "--no-owner",
                        "--no-privileges",
                        "-f",
                        str(dump),
                    ],
                    _pg_env(url),
                )
                tar.add(dump, PG_MEMBER)
            progress("数据库", 1, 1)
            for i, path in enumerate(media, 1):
                tar.add(path, "media/" + path.relative_to(settings.media_dir).as_posix())
                progress("媒体文件", i, len(media))
            for name in keys:
                tar.add(settings.var_dir / name, "keys/" + name)
            manifest = Manifest(
                format=FORMAT,
                created_at=now.isoformat(),
                engine=url.get_backend_name(),
                revisions=revisions,
                row_counts=counts,
                media_files=len(media),
                keys=keys,
            )
            _add_bytes(tar, "manifest.json", manifest.to_json())
        partial.chmod(0o600)
        partial.rename(out)
        return manifest
    finally:
        engine.dispose()


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API (consistent while written)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def read_manifest(archive: Path) -> Manifest:
    """The manifest of a backup file."""
    with _open(archive) as tar:
        member = tar.extractfile("manifest.json")
        if member is None:
            raise BackupError(f"{archive} 中没有 manifest.json")
        return Manifest.from_json(member.read())


@contextmanager
def _open(archive: Path) -> Iterator[tarfile.TarFile]:
    if not archive.is_file():
        raise BackupError(f"备份文件 {archive} 不存在")
    try:
        with tarfile.open(archive, "r") as tar:
            yield tar
    except (tarfile.TarError, KeyError) as exc:
        raise BackupError(f"{archive} 不是可读的备份文件：{exc}") from exc


def _refuse_non_empty(engine: Engine) -> None:
    names = [n for n in inspect(engine).get_table_names() if n != "alembic_version"]
    if not names:
        return
    counts = row_counts(engine)
    filled = sorted(n for n, c in counts.items() if c)
    if filled:
        raise BackupError(
            f"目标数据库不是空的（{len(filled)} 张表有数据，如 {', '.join(filled[:3])}）："
            "只能恢复到空数据库"
        )
    raise BackupError(
        f"目标数据库已有 {len(names)} 张表：请恢复到新建的空数据库（不要先运行 migrate）"
    )


def restore_backup(settings: Settings, archive: Path, *, progress: Progress = _quiet) -> Manifest:
    """Restore a backup into the configured database, which must be empty, then check every
    table's row count. Raises BackupError (and leaves a refused target untouched)."""
    manifest = read_manifest(archive)
    url = make_url(settings.resolved_database_url)
    engine_name = url.get_backend_name()
    if engine_name != manifest.engine:
        raise BackupError(
            f"备份来自 {manifest.engine}，目标是 {engine_name}：只能恢复到同一种数据库"
        )
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        _refuse_non_empty(engine)
        _check_keys(settings, archive, manifest)
    finally:
        engine.dispose()
    with _open(archive) as tar, tempfile.TemporaryDirectory() as tmp:
        progress("数据库", 0, 1)
        member = SQLITE_MEMBER if engine_name == "sqlite" else PG_MEMBER
        tar.extract(member, tmp, filter="data")
        if engine_name == "sqlite":
            _sqlite_restore(Path(tmp) / member, Path(url.database or ""))
        else:
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    "-d",
                    url.database or "",
                    str(Path(tmp) / member),
                ],
                _pg_env(url),
            )
        progress("数据库", 1, 1)
        _restore_files(tar, settings, progress)
    engine = make_engine(settings.resolved_database_url)
    try:
        restored = row_counts(engine, progress=progress, step="核对行数")
    finally:
        engine.dispose()
    differing = sorted(n for n in manifest.row_counts if restored.get(n) != manifest.row_counts[n])
    if differing:
        raise BackupError(f"恢复后行数与备份清单不符：{', '.join(differing[:5])}")
    return manifest


def _sqlite_restore(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _check_keys(settings: Settings, archive: Path, manifest: Manifest) -> None:
    with _open(archive) as tar:
        for name in manifest.keys:
            existing = settings.var_dir / name
            member = tar.extractfile("keys/" + name)
            if member is None or not existing.is_file():
                continue
            if existing.read_bytes().strip() != member.read().strip():
                raise BackupError(
                    f"{existing} 已存在且与备份中的密钥不同：请先确认要使用哪一个密钥"
                )


def _restore_files(tar: tarfile.TarFile, settings: Settings, progress: Progress) -> None:
    media = [m for m in tar.getmembers() if m.isfile() and m.name.startswith("media/")]
    root = settings.media_dir.resolve()
    for i, m in enumerate(media, 1):
        target = (settings.media_dir / m.name.removeprefix("media/")).resolve()
        if not target.is_relative_to(root):
            raise BackupError(f"备份中的文件名 {m.name!r} 指向媒体目录之外，已拒绝")
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(m)
            if source is not None:
                with target.open("wb") as out:
                    shutil.copyfileobj(source, out)
        progress("媒体文件", i, len(media))
    for m in tar.getmembers():
        if m.isfile() and m.name.removeprefix("keys/") in KEY_FILES and m.name.startswith("keys/"):
            target = settings.var_dir / m.name.removeprefix("keys/")
            source = tar.extractfile(m)
            if source is not None and not target.exists():
                target.write_bytes(source.read())
                target.chmod(0o600)
