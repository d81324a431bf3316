"""Fixtures for the page tests: the mini-territory with one persona per role, logging a browser
client in with its session cookie, and a query-count pin for list pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session
from tests.builders.appeals import StoredWorld, World

PASSWORD = "Passw0rd!x"


@pytest.fixture
def world(session: Session, stored_world: StoredWorld, tmp_path: Path) -> World:
    return stored_world.attach(session, media_root=tmp_path / "media")


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def login_as(client: TestClient, world: World, name: str) -> str:
    """Log ``client`` in as the persona ``name``; returns the session's CSRF token."""
    username = world.actor(name).username
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    home = client.get("/")
    assert home.status_code == 200
    return csrf_of(home.text)


LoginAs = Callable[[str], str]


@pytest.fixture
def login(client: TestClient, world: World) -> LoginAs:
    def do(name: str) -> str:
        return login_as(client, world, name)

    return do


HX = {"HX-Request": "true"}


_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@contextmanager
def assert_max_queries(connection: Connection, limit: int) -> Iterator[list[str]]:
    """Fail when more than ``limit`` SQL statements run inside the block (N+1 guard);
    savepoint statements of the test transaction are not counted."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Savepoints belong to the test's rolled-back transaction, not to the page.
        if not statement.lstrip().upper().startswith(_TRANSACTION_CONTROL):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert len(statements) <= limit, f"{len(statements)} queries > {limit}:\n" + "\n".join(
        s.split("\n")[0][:120] for s in statements
    )
