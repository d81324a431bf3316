"""The background job's queue: one appeal that fails with an unexpected error is logged,
marked as left to the dispatcher and skipped afterwards, while the appeals behind it are
still routed; the queue is read in one statement, however many appeals already wait in the
manual queue, and picks the same appeals as the former per-appeal audit lookups."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.integration.dispatch.helpers import ODD, FailingOnOddText

from civicgrid.appeals import queries as appeal_queries
from civicgrid.appeals import service as appeal_service
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit.service import list_entries
from civicgrid.auth.actor import Actor
from civicgrid.dispatch import queries, service
from civicgrid.dispatch.models import RoutingAttempt

S = AppealStatus
CONFIDENT = ("停水", "整栋楼停水一天了，什么时候来水")
_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


def _pending(
    session: Session, world: World, received: datetime, content: str, *, placed: bool = True
) -> Appeal:
    if placed:
        return make_appeal(
            session,
            world=world,
            now=received,
            status=S.PENDING_DISPATCH,
            title="停水",
            content=content,
        )
    return make_appeal(
        session,
        world=world,
        now=received,
        status=S.PENDING_DISPATCH,
        title="停水",
        content=content,
        region_code=None,
    )


def _markers(session: Session, appeal_id: int) -> list[RoutingAttempt]:
    return list(queries.attempts_for(session, appeal_id))


def test_an_unexpected_error_marks_the_appeal_and_the_queue_behind_it_is_routed(
    session: Session,
    world: World,
    now: datetime,
    trained_models: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing = _pending(session, world, now - timedelta(hours=2), f"整栋楼停水，{ODD}", placed=False)
    confident = _pending(session, world, now - timedelta(hours=1), CONFIDENT[1])
    unplaced = _pending(session, world, now, "整栋楼停水一天了", placed=False)
    index = FailingOnOddText(session)
    with caplog.at_level(logging.ERROR, logger="civicgrid.dispatch.service.auto_route"):
        run = service.route_new_appeals(
            session, now=now, models_dir=trained_models, shared=index.reads(session)
        )
    assert run.as_dict() == {
        "scanned": 3,
        "dispatched": 1,
        "merged": 0,
        "manual": 1,
        "refused": 0,
        "failed": 1,
    }
    assert index.calls_on_odd_text == 1
    assert [r.getMessage() for r in caplog.records] == [
        f"automatic routing of appeal {failing.id} failed"
    ]
    assert caplog.records[0].exc_info is not None
    assert caplog.records[0].exc_info[0] is UnicodeError
    session.expire_all()
    statuses = {
        a.id: a.status
        for a in session.scalars(
            select(Appeal).where(Appeal.id.in_([failing.id, confident.id, unplaced.id]))
        )
    }
    assert statuses == {
        failing.id: S.PENDING_DISPATCH,
        confident.id: S.DISPATCHED,
        unplaced.id: S.PENDING_DISPATCH,
    }
    (marker,) = _markers(session, failing.id)
    assert marker.outcome == "failed"
    assert marker.reason == "自动分派出错，转人工（UnicodeError）"
    assert len(_markers(session, unplaced.id)) == 1
    again = service.route_new_appeals(
        session,
        now=now + timedelta(minutes=1),
        models_dir=trained_models,
        shared=index.reads(session),
    )
    assert again.scanned == 0
    assert index.calls_on_odd_text == 1
    assert len(_markers(session, failing.id)) == 1


def _unrouted_as_before(
    session: Session, *, since: datetime, now: datetime, limit: int
) -> list[int]:
    """The queue read the slow way: every appeal waiting for dispatch through the appeal
    list, then one attempt lookup per appeal until ``limit`` untried ones are found."""
    system = Actor.system("dispatch-auto-route")
    waiting: list[tuple[datetime, int]] = []
    offset = 0
    while True:
        page = appeal_queries.list_for(
            session,
            system,
            appeal_queries.AppealFilters(
                statuses=(S.PENDING_DISPATCH.value,),
                received_from=since,
                offset=offset,
                limit=2,
            ),
            now=now,
        )
        waiting.extend((a.received_at, a.id) for a in page.items if a.dispatched_at is None)
        offset += 2
        if offset >= page.total or not page.items:
            break
    out: list[int] = []
    for _received, appeal_id in sorted(waiting):
        if not queries.attempts_for(session, appeal_id):
            out.append(appeal_id)
            if len(out) >= limit:
                break
    return out


def _mark_tried(
    session: Session, appeal: Appeal, now: datetime, model_version: str = queries.NO_MODEL
) -> None:
    service.record_attempt(
        session,
        appeal_id=appeal.id,
        outcome=queries.AttemptOutcome.MANUAL,
        reason="需人工派单",
        model_version=model_version,
        now=now,
    )


def test_the_queue_holds_the_same_appeals_as_before_on_a_mixed_set(
    session: Session, world: World, now: datetime
) -> None:
    since = now - timedelta(days=3)
    untried = [
        _pending(session, world, now - timedelta(hours=h), f"停水第{h}天") for h in (30, 5, 50, 1)
    ]
    same_time = [_pending(session, world, now - timedelta(hours=7), f"同时{i}") for i in range(2)]
    for h in (40, 6, 2):
        _mark_tried(session, _pending(session, world, now - timedelta(hours=h), f"已试{h}"), now)
    old = _pending(session, world, now - timedelta(days=4), "很久以前停水")
    received = make_appeal(session, world=world, now=now, title="停水", content="刚受理")
    dispatched = make_appeal(session, world=world, now=now, status=S.DISPATCHED, content="已派")
    sent_back = make_appeal(session, world=world, now=now, status=S.RETURN_REQUESTED)
    appeal_service.approve_return(
        session,
        appeal_id=sent_back.id,
        note="非本单位职责",
        actor=world.actor("dispatcher"),
        now=now,
    )
    # untried appeals carry audit rows (intake, acceptance): only an attempt counts
    assert list_entries(session, subject_type="appeal", subject_id=untried[1].id)

    expected_order = [untried[2].id, untried[0].id, *sorted(a.id for a in same_time)]
    expected_order += [untried[1].id, untried[3].id]
    for limit in (1, 3, 6, 100):
        current = queries.unrouted_appeal_ids(
            session, since=since, limit=limit, model_version=queries.NO_MODEL
        )
        before = _unrouted_as_before(session, since=since, now=now, limit=limit)
        assert current == before == expected_order[:limit]
    everything = set(
        queries.unrouted_appeal_ids(session, since=since, limit=100, model_version=queries.NO_MODEL)
    )
    assert everything.isdisjoint({old.id, received.id, dispatched.id, sent_back.id})


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []
    conn = session.connection()

    def listener(*args: object) -> None:
        statement = str(args[2]).lstrip()
        if not statement.upper().startswith(_TRANSACTION_CONTROL):
            seen.append(" ".join(statement.split())[:80])

    event.listen(conn, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", listener)


def test_a_run_reads_the_queue_in_one_statement_however_many_were_tried(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    counts: list[int] = []
    version = service.loaded_model_version(trained_models)
    for _round in range(2):
        for i in range(4):
            appeal = _pending(session, world, now, f"人工派单{_round}-{i}")
            _mark_tried(session, appeal, now, version)
        with _statements(session) as seen:
            run = service.route_new_appeals(session, now=now, models_dir=trained_models)
        assert run.scanned == 0
        counts.append(len(seen))
    assert counts == [1, 1]
