"""The audit log's hash chain on both engines: rows written through the services are sealed at
commit; raw edits, deletions and insertions are found by ``verify`` and named; concurrent
writers on PostgreSQL never fork the chain; the migration chains rows that already exist."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, make_url, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from civicgrid import migrate
from civicgrid.audit import chain, sealing
from civicgrid.audit.models import AuditEntry
from civicgrid.audit.service import append_params, append_statement, list_entries, record
from civicgrid.auth.actor import Actor
from civicgrid.db import make_engine, make_session_factory

WHO = Actor(user_id=7, username="auditor", display_name="审计员")


def _write(session: Session, now: datetime, n: int, action: str = "test.write") -> list[int]:
    ids = []
    for i in range(n):
        entry = record(
            session,
            actor=WHO,
            action=action,
            subject_type="thing",
            subject_id=i,
            now=now + timedelta(seconds=i),
            reason=f"第 {i} 次",
            detail={"n": i, "名称": "测试", "nested": {"a": [1, 2.5, None]}},
        )
        ids.append(entry.id)
    session.commit()
    return ids


def _raw(session: Session, sql: str, **params: object) -> None:
    # Straight on the connection: no ORM events, like someone editing the database by hand.
    session.connection().execute(text(sql), params)


def test_rows_are_sealed_at_commit_and_the_chain_verifies(session: Session, now: datetime) -> None:
    before = sealing.verify(session)
    assert before.problem is None
    ids = _write(session, now, 3)
    rows = session.scalars(select(AuditEntry).where(AuditEntry.id.in_(ids))).all()
    seqs = sorted(r.chain_seq or 0 for r in rows)
    assert seqs == [before.last_seq + 1, before.last_seq + 2, before.last_seq + 3]
    verdict = sealing.verify(session)
    assert verdict.problem is None
    assert verdict.last_seq == before.last_seq + 3
    assert verdict.last_hash == rows[-1].row_hash


def test_rows_of_the_composed_insert_are_sealed_too(session: Session, now: datetime) -> None:
    params = append_params(
        "a_", actor=WHO, action="test.core", subject_type="thing", subject_id=1, now=now
    )
    session.execute(append_statement("a_"), params)
    session.commit()
    (entry,) = list_entries(session, action="test.core")
    assert entry.chain_seq is not None
    assert sealing.verify(session).problem is None


def test_a_rolled_back_transaction_leaves_the_chain_alone(session: Session, now: datetime) -> None:
    before = sealing.verify(session)
    record(session, actor=WHO, action="test.gone", subject_type="thing", now=now)
    session.rollback()
    after = sealing.verify(session)
    assert (after.problem, after.last_seq) == (None, before.last_seq)


def test_an_edited_row_is_named(session: Session, now: datetime) -> None:
    ids = _write(session, now, 4)
    _raw(session, "UPDATE audit_entry SET reason = '改过了' WHERE id = :id", id=ids[2])
    problem = sealing.verify(session).problem
    assert problem is not None
    assert (problem.kind, problem.audit_id) == ("edited", ids[2])
    assert f"#{ids[2]}" in problem.message


def test_an_edited_detail_is_named(session: Session, now: datetime) -> None:
    ids = _write(session, now, 2)
    session.connection().execute(
        AuditEntry.__table__.update()  # type: ignore[attr-defined]
        .where(AuditEntry.id == ids[0])
        .values(detail={"n": 99})
    )
    problem = sealing.verify(session).problem
    assert problem is not None
    assert (problem.kind, problem.audit_id) == ("edited", ids[0])


def test_a_deleted_row_is_named_by_its_place(session: Session, now: datetime) -> None:
    ids = _write(session, now, 4)
    seq = session.scalar(select(AuditEntry.chain_seq).where(AuditEntry.id == ids[1]))
    _raw(session, "DELETE FROM audit_entry WHERE id = :id", id=ids[1])
    problem = sealing.verify(session).problem
    assert problem is not None
    assert (problem.kind, problem.seq, problem.audit_id) == ("deleted", seq, ids[2])


def test_rows_deleted_at_the_end_are_found_by_the_head(session: Session, now: datetime) -> None:
    ids = _write(session, now, 3)
    _raw(session, "DELETE FROM audit_entry WHERE id = :id", id=ids[-1])
    problem = sealing.verify(session).problem
    assert problem is not None
    assert problem.kind == "truncated"


def test_a_row_inserted_by_hand_is_found_even_after_later_commits(
    session: Session, now: datetime
) -> None:
    _write(session, now, 2)
    _raw(
        session,
        "INSERT INTO audit_entry (at, actor_user_id, actor_label, action, subject_type,"
        " subject_id, outcome, reason, detail) VALUES (:at, NULL, 'x', 'fake', 'thing', '1',"
        " 'success', '', '{}')",
        at=now.replace(tzinfo=None),
    )
    _write(session, now, 2)  # later legitimate writes do not absorb it into the chain
    problem = sealing.verify(session).problem
    assert problem is not None
    assert problem.kind == "unsealed"


def test_a_row_inserted_with_a_forged_place_breaks_the_next_link(
    session: Session, now: datetime
) -> None:
    ids = _write(session, now, 3)
    first = session.get(AuditEntry, ids[0])
    assert first is not None
    assert first.chain_seq is not None
    # Shift the later rows up by one and squeeze a forged row in after the first one.
    _raw(
        session,
        "UPDATE audit_entry SET chain_seq = chain_seq + 1000000 WHERE chain_seq > :s",
        s=first.chain_seq,
    )
    _raw(
        session,
        "UPDATE audit_entry SET chain_seq = chain_seq - 1000000 + 1 WHERE chain_seq > 1000000",
    )
    forged = chain.row_hash(
        seq=first.chain_seq + 1,
        prev_hash=first.row_hash or "",
        at=now,
        actor_user_id=None,
        actor_label="x",
        action="fake",
        subject_type="thing",
        subject_id="1",
        outcome="success",
        reason="",
        detail={},
    )
    _raw(
        session,
        "INSERT INTO audit_entry (at, actor_user_id, actor_label, action, subject_type,"
        " subject_id, outcome, reason, detail, chain_seq, prev_hash, row_hash) VALUES"
        " (:at, NULL, 'x', 'fake', 'thing', '1', 'success', '', '{}', :seq, :prev, :hash)",
        at=now.replace(tzinfo=None),
        seq=first.chain_seq + 1,
        prev=first.row_hash,
        hash=forged,
    )
    problem = sealing.verify(session).problem
    assert problem is not None
    assert (problem.kind, problem.audit_id) == ("inserted", ids[1])


def test_an_anchor_catches_a_rewritten_history(session: Session, now: datetime) -> None:
    _write(session, now, 2)
    good = sealing.verify(session)
    assert sealing.verify(session, anchor=(good.last_seq, good.last_hash)).problem is None
    wrong = sealing.verify(session, anchor=(good.last_seq, "0" * 64)).problem
    assert wrong is not None
    assert wrong.kind == "anchor"


def test_the_cli_exits_nonzero_with_a_sentence(
    session: Session, now: datetime, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from civicgrid.cli import app

    url = f"sqlite:///{tmp_path}/cli.db"
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as own:
        ids = _write(own, now, 3)
    monkeypatch.setenv("CIVICGRID_DATABASE_URL", url)
    monkeypatch.setenv("CIVICGRID_VAR_DIR", str(tmp_path))
    from civicgrid.config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "审计日志完整：3 条记录" in ok.output
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET action = 'x' WHERE id = :id"), {"id": ids[1]})
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1
    assert f"审计记录 #{ids[1]}" in bad.output
    assert "被修改" in bad.output
    malformed = runner.invoke(app, ["audit", "verify", "--anchor", "12"])
    assert malformed.exit_code == 2
    get_settings.cache_clear()
    engine.dispose()


@pytest.fixture
def own_postgres() -> Iterator[Engine]:
    """A throwaway PostgreSQL database whose transactions really commit."""
    base = make_url(
        os.environ.get(
            "CIVICGRID_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    )
    name = f"civicgrid_chain_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(base.set(database=name).render_as_string(hide_password=False))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_writers_on_postgresql_never_fork_the_chain(
    own_postgres: Engine, now: datetime
) -> None:
    factory = make_session_factory(own_postgres)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            barrier.wait()
            for i in range(25):
                with factory() as s:
                    record(s, actor=WHO, action=f"w{k}", subject_type="t", subject_id=i, now=now)
                    record(s, actor=WHO, action=f"w{k}", subject_type="t", subject_id=i, now=now)
                    s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with factory() as s:
        verdict = sealing.verify(s)
        seqs = s.scalars(select(AuditEntry.chain_seq).order_by(AuditEntry.chain_seq)).all()
    assert verdict.problem is None
    assert verdict.rows == 200
    assert list(seqs) == list(range(1, 201))


def test_the_migration_chains_rows_that_already_exist(tmp_path: object, now: datetime) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    migrate.upgrade(engine, "0011_accounts")
    with engine.begin() as conn:
        for i in range(7):
            conn.execute(
                text(
                    "INSERT INTO audit_entry (at, actor_user_id, actor_label, action,"
                    " subject_type, subject_id, outcome, reason, detail) VALUES (:at, 1, 'a',"
                    " 'old', 't', :sid, 'success', '旧记录', :detail)"
                ),
                {"at": now.replace(tzinfo=None), "sid": str(i), "detail": f'{{"i": {i}}}'},
            )
    migrate.upgrade(engine, "0012_audit_chain")
    with make_session_factory(engine)() as s:
        verdict = sealing.verify(s)
        assert (verdict.problem, verdict.rows, verdict.last_seq) == (None, 7, 7)
        _write(s, now, 1)
        assert sealing.verify(s).last_seq == 8
    engine.dispose()
