"""The curl examples of docs/interop.md's outbound-events and notices sections, run as written
(with the live server's address and real tokens) against the app served by uvicorn on
loopback."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World

from civicgrid.events.models import WebhookSubscription

DOC = Path(__file__).resolve().parents[2] / "docs" / "interop.md"
DOC_BASE = "http://127.0.0.1:8000"
# What each example answers, in the order of its section.
EXPECTED = [200, 201, 200, 200, 200, 200, 200, 422]
NOTICES_EXPECTED = [200, 200, 422, 200, 200]


def section_commands(heading: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else None]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.startswith("curl ")]


def run_commands(base: str, commands: list[str], env: dict[str, str]) -> list[tuple[int, Any]]:
    """Each command as documented, against ``base``; its HTTP status and JSON answer."""
    answers: list[tuple[int, Any]] = []
    for command in commands:
        line = command.replace(DOC_BASE, base) + " -w '\\n%{http_code}'"
        done = subprocess.run(  # noqa: S603 - the documented command, on loopback
            ["/bin/bash", "-c", line], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, (command, done.stderr)
        body, _, code = done.stdout.rpartition("\n")
        answers.append((int(code), json.loads(body)))
        if not env.get("SUB") and code == "201":
            env["SUB"] = str(answers[-1][1]["id"])
    return answers


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # curl may connect before uvicorn accepts: the backlog holds it
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def test_the_documented_webhook_commands_work_as_written(
    app: FastAPI, world: World, session: Session
) -> None:
    commands = section_commands("Outbound events: webhooks and broker")
    assert len(commands) == len(EXPECTED)
    env = {"PATH": "/usr/bin:/bin", "TOKEN": world["admin"].token, "SUB": ""}
    with live_server(app) as base:
        answers = run_commands(base, commands, env)
    assert [code for code, _ in answers] == EXPECTED, answers
    created = answers[1][1]
    assert created["secret"].startswith("whsec_")
    assert answers[3][1]["event_types"] == ["appeal.created", "appeal.overdue"]
    assert answers[4][1]["secrets_live"] == 2
    assert answers[6][1] == {"replayed": 0}
    assert "未知的事件类型：appeal.exploded" in answers[7][1]["detail"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(WebhookSubscription)) == 1


def test_the_documented_notice_commands_work_as_written(
    app: FastAPI, world: World, session: Session
) -> None:
    commands = section_commands("Notices to people: SMS and e-mail")
    assert len(commands) == len(NOTICES_EXPECTED)
    env = {
        "PATH": "/usr/bin:/bin",
        "TOKEN": world["admin"].token,
        "STAFF_TOKEN": world["street_a"].token,
    }
    with live_server(app) as base:
        answers = run_commands(base, commands, env)
    assert [code for code, _ in answers] == NOTICES_EXPECTED, answers
    assert [t["kind"] for t in answers[0][1]] == [
        "tracking_number",
        "reply_ready",
        "deadline_warning",
    ]
    assert answers[1][1]["customised"] is True
    assert "未知的占位符：{caller_name}" in answers[2][1]["detail"]
    assert answers[3][1] == {"recorded": True}
    assert answers[4][1]["units"] == [f"region:{world.street_a[1]}"]
