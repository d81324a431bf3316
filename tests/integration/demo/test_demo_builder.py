"""The demo city with its year of appeals: built through the use cases on a fresh database
(SQLite, and PostgreSQL under ``-m postgres``), deterministic per seed, with a mix of statuses
whose timelines replay to them, and refused by ``civicgrid demo`` on a database that holds data."""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, select, text
from tests.conftest import DEFAULT_PG_URL, FROZEN_AT
from typer.testing import CliRunner

from civicgrid import config, migrate
from civicgrid.appeals.channels import Channel, Flow
from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.appeals.service import answer_directly
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action, replay
from civicgrid.auth import service as auth_service
from civicgrid.auth.roles import Role
from civicgrid.cli import app
from civicgrid.clock import FrozenClock, monotonic
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.builder import (
    DemoSummary,
    HistorySummary,
    build_demo_city,
    build_demo_history,
)
from civicgrid.demo.status import (
    BUILDING,
    COMPLETE,
    PENDING,
    HistoryProgress,
    demo_city,
    history_progress,
)
from civicgrid.demo.training import train_demo_model
from civicgrid.dispatch.artifacts import current_version
from civicgrid.dispatch.service import classify_text

FIELD_KEY = "b2u_3ZQZ8j0yJ6s9f0m7qX2yTqkzG7pB6w0b2uQZ9yQ="
ACTIONS = {a.value for a in Action}

pytestmark = pytest.mark.slow


def _sqlite(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    return engine


def _build(
    engine: Engine, media: Path, *, appeals: int | None = None, history: str = "inline"
) -> DemoSummary:
    return build_demo_city(
        engine, seed=42, scale="tiny", clock=FrozenClock(FROZEN_AT), field_key=FIELD_KEY,
        appeals=appeals, media_dir=media, models_dir=media.parent / "models", history=history,
    )  # fmt: skip


def _history(engine: Engine, media: Path) -> HistorySummary:
    return build_demo_history(
        engine, clock=FrozenClock(FROZEN_AT), field_key=FIELD_KEY, media_dir=media,
        models_dir=media.parent / "models",
    )  # fmt: skip


def _progress(engine: Engine) -> HistoryProgress:
    with make_session_factory(engine)() as session:
        progress = history_progress(session)
    assert progress is not None
    return progress


def _appeals(engine: Engine) -> list[tuple[str, str, str, str]]:
    with make_session_factory(engine)() as session:
        rows = session.execute(
            select(Appeal.number, Appeal.status, Appeal.category, Appeal.channel).order_by(
                Appeal.number
            )
        )
        return [(n, s, c, ch) for n, s, c, ch in rows]


def _check_timelines(engine: Engine) -> int:
    """Replay every appeal's timeline through the workflow table; returns how many."""
    with make_session_factory(engine)() as session:
        appeals = {a.id: a for a in session.scalars(select(Appeal))}
        steps: dict[int, list[tuple[Action, Role]]] = {i: [] for i in appeals}
        events = session.scalars(select(TimelineEvent).order_by(TimelineEvent.id))
        for event in events:
            # submit, merge_in and callbacks recorded on a merged duplicate carry no role and are
            # not transitions of the table.
            if event.action in ACTIONS and event.actor_role:
                steps[event.appeal_id].append((Action(event.action), Role(event.actor_role)))
        for appeal_id, appeal in appeals.items():
            flow = Flow(appeal.flow)
            assert replay(steps[appeal_id], flow=flow) is AppealStatus(appeal.status), appeal.number
        return len(appeals)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, DemoSummary]]:
    root = tmp_path_factory.mktemp("demo")
    engine = _sqlite(root / "demo.db")
    summary = _build(engine, root / "media")
    yield engine, summary
    engine.dispose()


def test_the_tiny_demo_has_a_year_of_appeals(tiny: tuple[Engine, DemoSummary]) -> None:
    engine, summary = tiny
    rows = _appeals(engine)
    assert summary.appeals == len(rows) == 200
    assert sum(summary.appeal_statuses.values()) == 200
    statuses = Counter(status for _, status, _, _ in rows)
    assert statuses == Counter(summary.appeal_statuses)
    assert statuses[AppealStatus.CLOSED.value] > 100
    open_ones = [s for s in statuses if not AppealStatus(s).terminal]
    assert open_ones, statuses
    assert len(statuses) >= 3, statuses
    channels = Counter(channel for _, _, _, channel in rows)
    assert channels[Channel.HOTLINE.value] > 120
    assert len({category for _, _, category, _ in rows}) > 60


def test_the_tiny_demo_marks_itself_and_trains_a_dispatch_model(
    tiny: tuple[Engine, DemoSummary], tmp_path_factory: pytest.TempPathFactory
) -> None:
    engine, summary = tiny
    progress = _progress(engine)
    assert (progress.state, progress.percent) == (COMPLETE, 100)
    assert progress.total == progress.done > 150  # the recent weeks are the rest
    assert summary.history_pending == 0
    assert summary.model_version is not None
    models = Path(str(engine.url.database)).parent / "models"
    assert current_version(models) == summary.model_version
    with make_session_factory(engine)() as session:  # suggestions name catalogue items
        answer = classify_text(session, "小区楼下垃圾堆放多日无人清运，气味很大", models_dir=models)
    assert answer.model_version == summary.model_version
    assert answer.suggestions
    assert all(s.item is not None and s.path for s in answer.suggestions)


def test_training_holds_no_transaction_open(
    tiny: tuple[Engine, DemoSummary], tmp_path: Path
) -> None:
    """The appeals are read, then the transaction ends before the model is fitted (an open one
    would keep PostgreSQL's VACUUM from cleaning up after the build for minutes)."""
    engine, _ = tiny
    with make_session_factory(engine)() as session:
        model = train_demo_model(session, models_dir=tmp_path / "models", now=FROZEN_AT)
        assert model is not None
        assert not session.in_transaction()


def test_every_timeline_replays_to_the_appeals_status(tiny: tuple[Engine, DemoSummary]) -> None:
    engine, _ = tiny
    assert _check_timelines(engine) == 200


def test_the_demo_is_deterministic_per_seed(tmp_path: Path) -> None:
    first, second = _sqlite(tmp_path / "a.db"), _sqlite(tmp_path / "b.db")
    try:
        _build(first, tmp_path / "media", appeals=40)
        _build(second, tmp_path / "media", appeals=40)
        assert _appeals(first) == _appeals(second)
        assert len(_appeals(first)) == 40
    finally:
        first.dispose()
        second.dispose()


def test_history_built_later_gives_the_same_year(tmp_path: Path) -> None:
    inline, later = _sqlite(tmp_path / "inline.db"), _sqlite(tmp_path / "later.db")
    try:
        _build(inline, tmp_path / "a" / "media", appeals=120)
        first = _build(later, tmp_path / "b" / "media", appeals=120, history="later")
        waiting = _progress(later)
        assert (waiting.state, waiting.done) == (PENDING, 0)
        assert first.appeals + first.history_pending == 120
        assert 0 < first.appeals < 30 < first.history_pending
        assert len(_appeals(later)) == first.appeals
        result = _history(later, tmp_path / "b" / "media")
        assert (result.appeals, result.dropped) == (first.history_pending, 0)
        done = _progress(later)
        assert (done.state, done.done, done.total) == (COMPLETE, 120 - first.appeals, done.done)
        assert _appeals(later) == _appeals(inline)
        assert _check_timelines(later) == 120
        with pytest.raises(LookupError):  # built once only
            _history(later, tmp_path / "b" / "media")
    finally:
        inline.dispose()
        later.dispose()


def test_an_appeal_someone_handles_during_the_history_keeps_their_action(
    tmp_path: Path,
) -> None:
    engine = _sqlite(tmp_path / "busy.db")
    media = tmp_path / "media"
    acted: list[int] = []

    def operator_answers_one(phase: str, done: int, total: int) -> None:
        """Between two commits of the history, the operator answers a waiting appeal."""
        if phase != "历史诉求" or acted:
            return
        with make_session_factory(engine)() as session:
            city = demo_city(session)
            assert city is not None
            waiting = session.scalars(  # an appeal of the history, waiting for the operator
                select(Appeal.id).where(
                    Appeal.status == AppealStatus.RECEIVED.value,
                    Appeal.received_at < city.recent_from,
                )
            ).first()
            if waiting is None:
                return
            operator_id = auth_service.find_user_id(session, "operator")
            assert operator_id is not None
            answer_directly(
                session, appeal_id=waiting, text="已电话答复来电人。",
                actor=auth_service.actor_for_user(session, operator_id), now=FROZEN_AT,
            )  # fmt: skip
            acted.append(waiting)

    try:
        first = _build(engine, media, appeals=300, history="later")
        result = build_demo_history(
            engine, clock=FrozenClock(FROZEN_AT), field_key=FIELD_KEY, media_dir=media,
            models_dir=tmp_path / "models", progress=operator_answers_one,
        )  # fmt: skip
        assert acted, "no appeal waited for dispatch at any commit of the history"
        assert result.appeals == first.history_pending
        assert result.dropped == 1
        assert _progress(engine).state == COMPLETE
        with make_session_factory(engine)() as session:
            kept = session.get(Appeal, acted[0])
            assert kept is not None
            assert kept.status == AppealStatus.ANSWERED_DIRECTLY.value
        assert _check_timelines(engine) == 300
    finally:
        engine.dispose()


def test_a_failed_build_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path / "failed.db")
    not_a_folder = tmp_path / "media"
    not_a_folder.write_text("a file where the photos should go")
    try:
        with pytest.raises(NotADirectoryError):  # the first 随手拍 or patrol photo fails
            _build(engine, not_a_folder, appeals=200)
        with engine.connect() as conn:
            for table in ("region", "user_account", "register_resident", "appeal", "appeal_event"):
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
    finally:
        engine.dispose()


def test_the_cli_refuses_a_second_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVICGRID_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("CIVICGRID_DATABASE_URL", raising=False)
    config.get_settings.cache_clear()
    try:
        runner = CliRunner()
        built = runner.invoke(app, ["demo", "--scale", "tiny"])
        assert built.exit_code == 0, built.output
        assert "诉求 200 件" in built.output
        again = runner.invoke(app, ["demo", "--scale", "tiny"])
        assert again.exit_code == 2
        assert "--reset" in again.output
    finally:
        config.get_settings.cache_clear()


def test_the_cli_builds_the_history_in_a_background_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    var = tmp_path / "var"
    monkeypatch.setenv("CIVICGRID_VAR_DIR", str(var))
    monkeypatch.delenv("CIVICGRID_DATABASE_URL", raising=False)
    config.get_settings.cache_clear()
    try:
        built = CliRunner().invoke(app, ["demo", "--scale", "tiny", "--history", "background"])
        assert built.exit_code == 0, built.output
        assert "在后台生成" in built.output
        engine = make_engine(f"sqlite:///{var / 'civicgrid.db'}")
        try:
            deadline = monotonic() + 600  # a generous bound for a loaded machine, not a target
            while _progress(engine).state != COMPLETE:
                assert _progress(engine).state in (PENDING, BUILDING), _progress(engine)
                assert monotonic() < deadline, (var / "demo-history.log").read_text()
                time.sleep(0.5)
            assert len(_appeals(engine)) == 200
            # The year is marked complete, then the process analyses and trains the model
            # before it writes its summary line.
            log = var / "demo-history.log"
            while "演示城市的历史诉求已生成" not in log.read_text():
                assert monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        finally:
            engine.dispose()
        again = CliRunner().invoke(app, ["demo", "--if-empty", "--history", "background"])
        assert again.exit_code == 0, again.output
        assert "dispatcher" in again.output
        assert "后台生成" not in again.output  # complete: nothing is started again
    finally:
        config.get_settings.cache_clear()


def _vacuumed(engine: Engine, table: str) -> bool:
    """Whether the build left ``table`` vacuumed and analysed (PostgreSQL): the manual VACUUM
    and ANALYZE are recorded (autovacuum records its own columns), and VACUUM marked pages
    all-visible, which the build's own writes never do."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT s.last_vacuum IS NOT NULL, s.last_analyze IS NOT NULL, c.relallvisible "
                "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
                "WHERE s.relname = :t"
            ),
            {"t": table},
        ).one()
    return bool(row[0]) and bool(row[1]) and int(row[2]) > 0


@pytest.mark.postgres
def test_the_tiny_demo_builds_on_postgres(tmp_path: Path) -> None:
    base = make_url(os.environ.get("CIVICGRID_TEST_DATABASE_URL", DEFAULT_PG_URL))
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    name = f"civicgrid_demo_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(base.set(database=name).render_as_string(hide_password=False))
    try:
        migrate.upgrade(engine)
        summary = _build(engine, tmp_path / "media", appeals=80, history="later")
        history = _history(engine, tmp_path / "media")
        assert summary.appeals + history.appeals == 80
        assert _progress(engine).state == COMPLETE
        assert _check_timelines(engine) == 80
        assert _vacuumed(engine, "appeal")
        assert _vacuumed(engine, "appeal_event")
        sqlite = _sqlite(tmp_path / "same.db")
        try:
            _build(sqlite, tmp_path / "media", appeals=80)
            assert _appeals(engine) == _appeals(sqlite)
        finally:
            sqlite.dispose()
    finally:
        engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
