"""The ``civicgrid`` command line (Typer). Each area adds a sub-command module here.

Exit codes: 0 success, 2 bad input or a refused action (a sentence on stderr), 1 unexpected.
"""

from __future__ import annotations

import typer

from civicgrid.cli import (
    assessment,
    audit,
    backup,
    catalogue,
    core,
    demo,
    exchange,
    insight,
    model,
    open311,
    register,
    territory,
    users,
)

app = typer.Typer(
    name="civicgrid",
    help="civicgrid: 网格化服务管理 · 接诉即办 · 人房 · 议事协商",
    no_args_is_help=True,
    add_completion=False,
)
core.register(app)
backup.register(app)
app.command()(demo.demo)
app.command("demo-history")(demo.demo_history)
app.add_typer(territory.app, name="territory", help="Import and export the territory (GeoJSON).")
app.add_typer(register.app, name="register", help="Import and export the 人房 register.")
app.add_typer(users.app, name="user", help="Create users and give them posts.")
app.add_typer(audit.app, name="audit", help="Verify the audit log's hash chain.")
app.add_typer(catalogue.app, name="catalogue", help="Load, import and export the 派单目录.")
app.add_typer(model.app, name="model", help="Train and evaluate the dispatch classifier.")
app.add_typer(assessment.app, name="assessment", help="三率 rankings: reports and rollup rebuilds.")
app.add_typer(insight.app, name="insight", help="Hot problems, trends and forecasts (主动治理).")
app.add_typer(open311.app, name="open311", help="Open311 GeoReport v2: client API keys.")
app.add_typer(exchange.app, name="exchange", help="Import and export 12345 work orders.")


def main() -> None:
    app()
