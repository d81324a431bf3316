"""The audit log's hash chain on both engines: writers insert rows unsealed and the sealer puts
them into the chain (idempotently, in the order their transactions commit); raw edits,
deletions and insertions of sealed rows are found by ``verify`` and named, and so is a row left
unsealed too long; concurrent writers on PostgreSQL never wait for each other and sealers never
fork the chain; the migration chains rows that already exist."""

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
from civicgrid.clock import SystemClock
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
    sealing.seal_all(session)
    return ids


def _raw(session: Session, sql: str, **params: object) -> None:
    # Straight on the connection: no ORM events, like someone editing the database by hand.
    session.connection().execute(text(sql), params)


def test_rows_are_sealed_by_the_sealer_and_the_chain_verifies(
    session: Session, now: datetime
) -> None:
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
    assert entry.chain_seq is None  # the writer only inserts
    assert sealing.verify(session).unsealed == 1
    assert sealing.seal_all(session) == 1
    seq = session.scalar(select(AuditEntry.chain_seq).where(AuditEntry.id == entry.id))
    assert seq is not None
    assert sealing.verify(session).problem is None


def test_a_rolled_back_transaction_leaves_the_chain_alone(session: Session, now: datetime) -> None:
    before = sealing.verify(session)
    record(session, actor=WHO, action="test.gone", subject_type="thing", now=now)
    session.rollback()
    assert sealing.seal_all(session) == 0
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


def test_a_row_left_unsealed_too_long_is_a_finding(session: Session, now: datetime) -> None:
    _write(session, now, 2)
    _raw(
        session,
        "INSERT INTO audit_entry (at, actor_user_id, actor_label, action, subject_type,"
        " subject_id, outcome, reason, detail) VALUES (:at, NULL, 'x', 'fake', 'thing', '1',"
        " 'success', '', '{}')",
        at=(now - timedelta(hours=1)).replace(tzinfo=None),
    )
    record(session, actor=WHO, action="test.fresh", subject_type="thing", now=now)
    session.commit()
    fresh = sealing.verify(session, now=now + timedelta(seconds=30))
    assert (fresh.unsealed, fresh.oldest_unsealed_at) == (2, now - timedelta(hours=1))
    problem = fresh.problem
    assert problem is not None
    assert problem.kind == "unsealed"
    assert "2 条审计记录尚未封存" in problem.message
    # a row written moments ago and not sealed yet is only counted
    sealing.seal_all(session)
    record(session, actor=WHO, action="test.fresh", subject_type="thing", now=now)
    session.commit()
    counted = sealing.verify(session, now=now + timedelta(seconds=30))
    assert (counted.problem, counted.unsealed) == (None, 1)


def test_sealing_is_idempotent(session: Session, now: datetime) -> None:
    _write(session, now, 3)
    first = sealing.verify(session)
    assert sealing.seal_all(session) == 0
    assert sealing.seal(session) == 0
    again = sealing.verify(session)
    assert (again.problem, again.last_seq, again.last_hash) == (
        None,
        first.last_seq,
        first.last_hash,
    )


def test_sealing_in_small_batches_gives_the_same_chain(session: Session, now: datetime) -> None:
    before = sealing.verify(session)
    for i in range(5):
        record(session, actor=WHO, action="test.batch", subject_type="t", subject_id=i, now=now)
    session.commit()
    assert sealing.seal_all(session, batch=2) == 5
    verdict = sealing.verify(session)
    assert (verdict.problem, verdict.unsealed) == (None, 0)
    assert verdict.last_seq == before.last_seq + 5


def test_a_row_inserted_by_hand_among_sealed_rows_is_found(session: Session, now: datetime) -> None:
    ids = _write(session, now, 3)
    second = session.get(AuditEntry, ids[1])
    assert second is not None
    # A forged row claiming the second row's place (a copy of its link and hash).
    _raw(
        session,
        "UPDATE audit_entry SET chain_seq = chain_seq + 1000000 WHERE chain_seq >= :s",
        s=second.chain_seq,
    )
    _raw(
        session,
        "INSERT INTO audit_entry (at, actor_user_id, actor_label, action, subject_type,"
        " subject_id, outcome, reason, detail, chain_seq, prev_hash, row_hash) VALUES"
        " (:at, NULL, 'x', 'fake', 'thing', '1', 'success', '', '{}', :seq, :prev, :hash)",
        at=now.replace(tzinfo=None),
        seq=second.chain_seq,
        prev=second.prev_hash,
        hash=second.row_hash,
    )
    problem = sealing.verify(session).problem
    assert problem is not None
    assert problem.kind == "edited"
    assert problem.seq == second.chain_seq
    assert problem.audit_id != ids[1]


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
        ids = [
            record(own, actor=WHO, action="cli", subject_type="t", subject_id=i, now=now).id
            for i in range(3)
        ]
        own.commit()
    monkeypatch.setenv("CIVICGRID_DATABASE_URL", url)
    monkeypatch.setenv("CIVICGRID_VAR_DIR", str(tmp_path))
    from civicgrid.config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    sealed = runner.invoke(app, ["audit", "seal"])
    assert sealed.exit_code == 0, sealed.output
    assert "已封存 3 条审计记录" in sealed.output
    assert "已封存 0 条审计记录" in runner.invoke(app, ["audit", "seal"]).output
    with factory() as own:
        record(own, actor=WHO, action="cli", subject_type="t", now=SystemClock().now())
        own.commit()
    ok = runner.invoke(app, ["audit", "verify"])  # seals the new row first
    assert ok.exit_code == 0, ok.output
    assert "审计日志完整：4 条记录" in ok.output
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET action = 'x' WHERE id = :id"), {"id": ids[1]})
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1
    assert f"审计记录 #{ids[1]}" in bad.output
    assert "被修改" in bad.output
    malformed = runner.invoke(app, ["audit", "verify", "--anchor", "12"])
    assert malformed.exit_code == 2
    zero = runner.invoke(app, ["audit", "verify", "--stale-after", "0"])
    assert zero.exit_code == 2
    get_settings.cache_clear()
    engine.dispose()


def test_the_seal_job_runs_from_the_registry(tmp_path: object, now: datetime) -> None:
    from civicgrid.jobs.registry import default_jobs
    from civicgrid.jobs.runner import run_job

    engine = make_engine(f"sqlite:///{tmp_path}/job.db")
    migrate.upgrade(engine)
    (job,) = [j for j in default_jobs() if j.name == "audit.seal"]
    with make_session_factory(engine)() as s:
        record(s, actor=WHO, action="job", subject_type="t", now=now)
        s.commit()
    result = run_job(engine, job, now)
    assert (result.ran, result.error, result.result) == (True, "", {"sealed": 1})
    # within its interval the job does not run again; forced, it finds nothing to seal
    assert run_job(engine, job, now + timedelta(seconds=1)).ran is False
    assert run_job(engine, job, now, force=True).result == {"sealed": 0}
    with make_session_factory(engine)() as s:
        verdict = sealing.verify(s, now=now)
    assert (verdict.problem, verdict.rows, verdict.unsealed) == (None, 1, 0)
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
def test_concurrent_writers_and_sealers_on_postgresql_never_fork_the_chain(
    own_postgres: Engine, now: datetime
) -> None:
    factory = make_session_factory(own_postgres)
    barrier = threading.Barrier(6)
    done = threading.Event()
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

    def sealer() -> None:
        try:
            barrier.wait()
            while not done.is_set():
                with factory() as s:
                    sealing.seal_all(s, batch=7)
        except BaseException as exc:  # reported below
            errors.append(exc)

    writers = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    sealers = [threading.Thread(target=sealer) for _ in range(2)]
    for t in [*writers, *sealers]:
        t.start()
    for t in writers:
        t.join()
    done.set()
    for t in sealers:
        t.join()
    assert errors == []
    with factory() as s:
        sealing.seal_all(s)
        verdict = sealing.verify(s)
        seqs = s.scalars(select(AuditEntry.chain_seq).order_by(AuditEntry.chain_seq)).all()
    assert (verdict.problem, verdict.unsealed) == (None, 0)
    assert verdict.rows == 200
    assert list(seqs) == list(range(1, 201))


@pytest.mark.postgres
def test_writers_never_wait_on_the_chain_and_a_late_lower_id_is_sealed_later(
    own_postgres: Engine, now: datetime
) -> None:
    factory = make_session_factory(own_postgres)
    with factory() as early, factory() as late, factory() as holder, factory() as other:
        # ``early`` takes the lower id and keeps its transaction open ...
        low = record(early, actor=WHO, action="early", subject_type="t", now=now).id
        # ... and a sealer holds the chain head (nothing is committed to seal yet) ...
        assert sealing.seal(holder) == 0
        # ... while another writer commits without waiting for either: with a lock timeout,
        # any wait for a lock held by ``early`` or by the sealer would fail the statement.
        late.execute(text("SET lock_timeout = '1s'"))
        high = record(late, actor=WHO, action="late", subject_type="t", now=now).id
        late.commit()
        holder.commit()
        # The next sealer seals the committed row and does not wait for ``early`` either.
        other.execute(text("SET lock_timeout = '1s'"))
        assert sealing.seal(other) == 1
        other.commit()
        assert low < high
        early.commit()
    with factory() as s:
        assert sealing.seal_all(s) == 1
        chosen = select(AuditEntry.id, AuditEntry.chain_seq).where(AuditEntry.id.in_([low, high]))
        places = {r.id: r.chain_seq for r in s.execute(chosen)}
        verdict = sealing.verify(s)
    # chain order is sealing order: the lower id committed late and sits after the higher one
    assert places == {high: 1, low: 2}
    assert (verdict.problem, verdict.rows, verdict.last_seq) == (None, 2, 2)


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
