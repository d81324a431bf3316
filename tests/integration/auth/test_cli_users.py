"""``civicgrid user create`` and ``civicgrid user token`` against a freshly migrated SQLite
file (the CLI commits for real, so it gets its own database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.builders.auth import MiniTerritory
from typer.testing import CliRunner

from civicgrid import migrate
from civicgrid.auth import service
from civicgrid.auth.roles import Role
from civicgrid.cli.users import app
from civicgrid.config import get_settings
from civicgrid.db import make_engine, make_session_factory

pytestmark = pytest.mark.slow

runner = CliRunner()
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    monkeypatch.setenv("CIVICGRID_DATABASE_URL", url)
    monkeypatch.setenv("CIVICGRID_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    with make_session_factory(engine)() as session:
        MiniTerritory(session, NOW)
    yield engine
    get_settings.cache_clear()
    engine.dispose()


def _session(engine: Engine) -> Session:
    return make_session_factory(engine)()


def test_create_user_with_a_region_post(cli_db: Engine) -> None:
    result = runner.invoke(
        app,
        [
            "create",
            "--username",
            "grid7",
            "--name",
            "网格员七",
            "--role",
            "grid_worker",
            "--region",
            MiniTerritory.GRID_A1,
            "--password",
            "Passw0rd!x",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "已创建用户 grid7" in result.stdout
    with _session(cli_db) as session:
        user_id = service.find_user_id(session, "grid7")
        assert user_id is not None
        actor = service.actor_for_user(session, user_id)
        assert actor.roles == frozenset({Role.GRID_WORKER})
        assert actor.posts[0].region_path is not None


def test_create_user_prompts_for_the_password(cli_db: Engine) -> None:
    result = runner.invoke(
        app,
        ["create", "--username", "chief", "--name", "管理员", "--role", "admin"],
        input="Passw0rd!x\nPassw0rd!x\n",
    )
    assert result.exit_code == 0, result.output
    assert "Passw0rd!x" not in result.stdout
    with _session(cli_db) as session:
        user_id = service.find_user_id(session, "chief")
        assert user_id is not None
        assert service.actor_for_user(session, user_id).scope.is_global


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--role", "emperor"], "未知角色"),
        (["--role", "grid_worker", "--region", "999"], "999"),
        (["--role", "department_handler"], "必须指定所属部门"),
        (["--role", "operator"], "必须指定所属区划"),
        (["--role", "leader", "--region", "1", "--department", "2"], "只能给出一个"),
        (["--role", "leader", "--password", "weak"], "密码"),
    ],
)
def test_create_user_refusals_exit_2_with_a_sentence(
    cli_db: Engine, args: list[str], fragment: str
) -> None:
    base = ["create", "--username", "someone", "--name", "某人"]
    if "--password" not in args:
        args = [*args, "--password", "Passw0rd!x"]
    result = runner.invoke(app, base + args)
    assert result.exit_code == 2
    assert fragment in result.stderr
    with _session(cli_db) as session:
        assert service.find_user_id(session, "someone") is None


def test_duplicate_username_exits_2(cli_db: Engine) -> None:
    args = ["create", "--username", "dup", "--name", "甲", "--role", "resident"]
    assert runner.invoke(app, [*args, "--password", "Passw0rd!x"]).exit_code == 0
    result = runner.invoke(app, [*args, "--password", "Passw0rd!x"])
    assert result.exit_code == 2
    assert "已被使用" in result.stderr


def test_token_prints_a_working_token(cli_db: Engine) -> None:
    create = ["create", "--username", "bot", "--name", "接口", "--role", "operator"]
    runner.invoke(app, [*create, "--region", MiniTerritory.CITY, "--password", "Passw0rd!x"])
    result = runner.invoke(app, ["token", "--username", "bot", "--name", "对接"])
    assert result.exit_code == 0, result.output
    plain = result.stdout.strip()
    assert plain.startswith("cgt_")
    with _session(cli_db) as session:
        assert service.actor_for_token(session, token=plain, now=NOW).username == "bot"
    missing = runner.invoke(app, ["token", "--username", "ghost", "--name", "x"])
    assert missing.exit_code == 2
    assert "不存在" in missing.stderr
