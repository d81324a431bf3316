"""The curl examples of docs/interop.md's 12345 exchange section, run as written (with the live
server's address and an admin's token) from a folder holding the files they name, against the
app served by uvicorn on loopback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session
from tests.api.test_interop_docs_events import DOC_BASE, live_server, section_commands
from tests.builders.appeals import World
from tests.builders.exchange import csv_bytes, order_row

from civicgrid.exchange import rules
from civicgrid.kit import spreadsheet

# What each example answers, in the order of the section.
EXPECTED = [200, 200, 200, 200, 200, 422]


def _run(base: str, command: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    line = command.replace(DOC_BASE, base) + " -w '\\n%{http_code}'"
    done = subprocess.run(  # noqa: S603 - the documented command, on loopback
        ["/bin/bash", "-c", line], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, (command, done.stderr)
    body, _, code = done.stdout.rpartition("\n")
    return int(code), body


def test_the_documented_exchange_commands_work_as_written(
    app: FastAPI, world: World, session: Session, tmp_path: Path
) -> None:
    commands = section_commands("12345 work-order exchange")
    assert len(commands) == len(EXPECTED)
    rows = [order_row("GD800"), order_row("GD801", received_at="昨天")]
    (tmp_path / "orders.csv").write_bytes(csv_bytes(rows, "gbk"))
    (tmp_path / "mapping.toml").write_text(rules.default_mapping_text(), encoding="utf-8")
    (tmp_path / "orders.pdf").write_bytes(b"%PDF-1.4")
    env = {"PATH": "/usr/bin:/bin", "TOKEN": world["admin"].token}
    with live_server(app) as base:
        answers = [_run(base, command, env, tmp_path) for command in commands]
    assert [code for code, _ in answers] == EXPECTED, answers
    parsed: list[Any] = [json.loads(body) if body else None for _, body in answers]
    dry, valid_rows, mapped, history, _, refused = parsed
    assert (dry["dry_run"], dry["created"], dry["error_rows"]) == (True, 1, 1)
    assert (valid_rows["created"], valid_rows["errors"][0]["row"]) == (1, 3)
    assert (mapped["created"], mapped["updated"]) == (0, 1)
    assert [run["created"] for run in history] == [0, 1]
    assert "csv" in refused["detail"]
    table = spreadsheet.read_file(
        tmp_path / "work-orders.xlsx", rules.aliases(rules.default_mapping())
    )
    assert [r["external_no"] for r in table.rows] == ["GD800"]
