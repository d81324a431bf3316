"""``civicgrid demo``: build the deterministic demo city; ``civicgrid demo-history``: build the
months of history it left for later (``--history background``, what ``make run`` uses)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from civicgrid import migrate as migrations
from civicgrid.auth import passwords
from civicgrid.cli.common import fail
from civicgrid.clock import SystemClock, monotonic
from civicgrid.config import get_settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo import status
from civicgrid.demo.accounts import DEMO_PASSWORD, DemoLogin, demo_logins
from civicgrid.demo.builder import build_demo_city, build_demo_history
from civicgrid.kit.progress import duration_text, progress_bar
from civicgrid.territory import queries as territory_queries

SCALES = ("tiny", "small", "city")


def _is_empty(engine: Engine) -> bool:
    session = make_session_factory(engine)()
    try:
        return not territory_queries.count_regions_by_level(session)
    finally:
        session.close()


def _print_logins(logins: list[DemoLogin]) -> None:
    typer.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）:")
    for login in logins:
        typer.echo(
            f"  {login.username:<11} {login.role.label:<10} {login.display_name}（{login.where}）"
        )


HISTORY = ("inline", "background")
HISTORY_LOG = "demo-history.log"


def _cheap_hashes() -> None:
    """The demo accounts share a published password: hashing it with argon2's cheapest
    parameters saves ~0.1 s of CPU per account (a few dozen of them) in this short-lived
    process. The hash keeps the algorithm, and the first login re-hashes it with the strong
    parameters (``needs_rehash``)."""
    passwords.use_cheap_parameters_for_tests()


def _start_history(var_dir: Path) -> int:
    """Start ``civicgrid demo-history`` in the background (its own session, so it finishes
    even when the server in front is stopped), writing to ``var/demo-history.log``."""
    log = (var_dir / HISTORY_LOG).open("ab")
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "civicgrid", "demo-history", "--nice", "5"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env=os.environ.copy(),
        )  # fmt: skip
    finally:
        log.close()
    return child.pid


def _history_note(session: Session, var_dir: Path, *, start: bool) -> None:
    """Say how the history of an existing demo city stands; start its build when it waits."""
    progress = status.history_progress(session)
    if progress is None or progress.complete:
        return
    if progress.state == status.PENDING and start:
        pid = _start_history(var_dir)
        typer.echo(
            f"演示城市的历史诉求（{progress.total} 件）在后台生成（进程 {pid}，日志 "
            f"{var_dir / HISTORY_LOG}），页面顶部显示进度"
        )
    elif progress.interrupted:
        typer.echo(
            f"注意：演示城市的历史诉求未生成完（{progress.done}/{progress.total}，"
            f"{progress.message or '生成进程已停止'}）；如需完整的一年请运行 "
            "civicgrid demo --reset",
            err=True,
        )
    elif progress.state == status.BUILDING:
        typer.echo(f"演示城市的历史诉求正在后台生成：{progress.done}/{progress.total}")


def demo(
    seed: int = typer.Option(42, help="random seed; the same seed builds the same city"),
    scale: str = typer.Option("small", help="tiny | small | city"),
    reset: bool = typer.Option(False, "--reset", help="wipe the database and rebuild"),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="do nothing (but print the logins) when data exists"
    ),
    history: str = typer.Option(
        "inline",
        help="inline: build the whole year now | background: build the recent weeks now and "
        "the months before in a background process while the city is served",
    ),
) -> None:
    """Build the demo city: territory, departments, utilities, one user per role, the register,
    a year of appeals and a dispatch model trained on it. Refuses a database that already holds
    data unless --reset."""
    if scale not in SCALES:
        raise fail(f"未知规模 {scale!r}：请用 {' | '.join(SCALES)} (unknown scale)")
    if history not in HISTORY:
        raise fail(
            f"未知历史生成方式 {history!r}：请用 {' | '.join(HISTORY)} (unknown history mode)"
        )
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        migrations.upgrade(engine)
        if not _is_empty(engine):
            if if_empty:
                session = make_session_factory(engine)()
                try:
                    _print_logins(demo_logins(session))
                    _history_note(session, settings.var_dir, start=history == "background")
                finally:
                    session.close()
                return
            if not reset:
                raise fail(
                    "数据库已有数据，演示城市未生成；如需重建请加 --reset "
                    "(the database is not empty; use --reset to rebuild)"
                )
            migrations.downgrade(engine, "base")
            migrations.upgrade(engine)
        typer.echo(f"正在生成演示城市（seed={seed}, scale={scale}）…")
        _cheap_hashes()
        started = monotonic()
        with progress_bar("生成演示城市", unit="件") as bar:
            summary = build_demo_city(
                engine, seed=seed, scale=scale, clock=SystemClock(),
                field_key=settings.resolved_field_key(),
                history="later" if history == "background" else "inline",
                progress=bar.phases(),
            )  # fmt: skip
        model = f"，派单模型 {summary.model_version}" if summary.model_version else ""
        typer.echo(
            f"已生成：区划 {summary.regions} 个（网格 {summary.grids} 个），部门 "
            f"{summary.departments} 个，公共服务企业 {summary.utilities} 个，居民 "
            f"{summary.residents} 人，诉求 {summary.appeals} 件{model}，用时 "
            f"{duration_text(monotonic() - started)}"
        )
        _print_logins(summary.logins)
        if summary.history_pending:
            session = make_session_factory(engine)()
            try:
                _history_note(session, settings.var_dir, start=True)
            finally:
                session.close()
    finally:
        engine.dispose()


def demo_history(
    nice: int = typer.Option(0, min=0, max=19, help="lower this process's CPU priority"),
) -> None:
    """Build the months of history that `civicgrid demo --history background` left for later
    (it starts this command itself); the pages show the progress until it is complete."""
    if nice:
        os.nice(nice)
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    started = monotonic()
    try:
        _cheap_hashes()
        with progress_bar("历史诉求", unit="件") as bar:
            result = build_demo_history(
                engine, clock=SystemClock(), field_key=settings.resolved_field_key(),
                progress=bar.phases(),
            )  # fmt: skip
    except LookupError as exc:
        raise fail("没有待生成的演示历史数据（演示城市不存在，或历史已在生成或已完成）") from exc
    finally:
        engine.dispose()
    dropped = f"，{result.dropped} 件因已被人办理而停止模拟" if result.dropped else ""
    model = f"，派单模型 {result.model_version}" if result.model_version else ""
    typer.echo(
        f"演示城市的历史诉求已生成：{result.appeals} 件{dropped}{model}，用时 "
        f"{duration_text(monotonic() - started)}"
    )
