"""Core commands: serve, migrate, demo, worker."""

from __future__ import annotations

import typer

from civicgrid.config import get_settings
from civicgrid.db import make_engine


def register(app: typer.Typer) -> None:
    app.command()(migrate)
    app.command()(serve)
    app.command()(worker)


def migrate(revision: str = typer.Argument("heads", help="Alembic revision to migrate to")) -> None:
    """Migrate the configured database (SQLite by default) to the newest schema."""
    from civicgrid import migrate as migrations

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    migrations.upgrade(engine, revision)
    engine.dispose()
    typer.echo(f"数据库已迁移到 {revision}: {settings.resolved_database_url}")


def serve(
    host: str = typer.Option(None, help="bind address (default from CIVICGRID_HOST)"),
    port: int = typer.Option(None, help="port (default from CIVICGRID_PORT)"),
) -> None:
    """Serve the web app and the JSON API with uvicorn."""
    import uvicorn

    from civicgrid.app import create_app, tune_gc_for_serving

    settings = get_settings()
    app = create_app(settings)
    tune_gc_for_serving()
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


def worker(
    once: bool = typer.Option(False, "--once", help="run every job once and exit"),
) -> None:
    """Run the periodic jobs (deadline sweeps, notifications) in a loop. Safe to run on several
    machines against PostgreSQL: each job takes an advisory lock."""
    from civicgrid.clock import SystemClock
    from civicgrid.jobs.registry import default_jobs
    from civicgrid.jobs.runner import JobLoop, run_all_once

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    clock = SystemClock()
    if once:
        for result in run_all_once(engine, default_jobs(), clock.now()):
            status = "skipped (locked elsewhere)" if not result.ran else (result.error or "ok")
            typer.echo(f"{result.name}: {status} {result.result if result.ran else ''}".rstrip())
        engine.dispose()
        return
    typer.echo("worker started; Ctrl-C to stop")
    try:
        JobLoop(engine, default_jobs(), clock).run_forever()
    except KeyboardInterrupt:
        typer.echo("worker stopped")
    finally:
        engine.dispose()
