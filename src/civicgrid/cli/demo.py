"""``civicgrid demo``: build the deterministic demo city."""

from __future__ import annotations

import typer
from sqlalchemy import Engine

from civicgrid import migrate as migrations
from civicgrid.cli.common import fail
from civicgrid.clock import SystemClock
from civicgrid.config import get_settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.builder import DEMO_PASSWORD, DemoLogin, build_demo_city, demo_logins
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


def demo(
    seed: int = typer.Option(42, help="random seed; the same seed builds the same city"),
    scale: str = typer.Option("small", help="tiny | small | city"),
    reset: bool = typer.Option(False, "--reset", help="wipe the database and rebuild"),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="do nothing (but print the logins) when data exists"
    ),
) -> None:
    """Build the demo city: territory, departments, utilities, one user per role, the register
    and a year of appeals. Refuses a database that already holds data unless --reset."""
    if scale not in SCALES:
        raise fail(f"未知规模 {scale!r}：请用 {' | '.join(SCALES)} (unknown scale)")
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
        summary = build_demo_city(
            engine, seed=seed, scale=scale, clock=SystemClock(),
            field_key=settings.resolved_field_key(),
        )  # fmt: skip
        typer.echo(
            f"已生成：区划 {summary.regions} 个（网格 {summary.grids} 个），部门 "
            f"{summary.departments} 个，公共服务企业 {summary.utilities} 个，居民 "
            f"{summary.residents} 人，诉求 {summary.appeals} 件"
        )
        _print_logins(summary.logins)
    finally:
        engine.dispose()
