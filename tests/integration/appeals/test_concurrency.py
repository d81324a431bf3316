"""Two sessions on separate connections act on the same appeal: one wins, the other gets a
Conflict, and nothing is lost. Data is committed for real and removed afterwards."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from tests.builders.appeals import FIELD_KEY, MAX_BYTES

from civicgrid.appeals import queries, service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.models import Appeal, DailySequence, TimelineEvent
from civicgrid.appeals.service.intake import next_number
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit.models import AuditEntry
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.auth.scope import GLOBAL_SCOPE
from civicgrid.clock import BEIJING
from civicgrid.db import make_session_factory
from civicgrid.errors import Conflict
from civicgrid.events.emit import CHANNEL as EVENT_CHANNEL
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import LocalMediaStore
from civicgrid.notify.models import OutboxMessage

# A day no other test numbers appeals on, so the committed counter row cannot disturb them.
NOW = datetime(2031, 3, 4, 10, 0, tzinfo=BEIJING)
OPERATOR = Actor(
    user_id=None,
    username="op-race",
    display_name="话务员",
    roles=frozenset({Role.OPERATOR, Role.DISPATCHER}),
    scope=GLOBAL_SCOPE,
)


@pytest.fixture
def committed(engine: Engine, tmp_path: Path) -> Iterator[int]:
    factory = make_session_factory(engine)
    with factory() as session:
        appeal = service.submit_appeal(
            session,
            data=service.NewAppeal(
                channel=Channel.HOTLINE,
                appeal_type=AppealType.HELP,
                title="并发测试",
                content="两个人同时操作",
            ),
            actor=OPERATOR,
            cipher=FieldCipher(FIELD_KEY),
            media=service.MediaPolicy(store=LocalMediaStore(tmp_path), max_bytes=MAX_BYTES),
            now=NOW,
        )
        appeal_id = appeal.id
    try:
        yield appeal_id
    finally:
        with engine.begin() as conn:
            conn.execute(delete(TimelineEvent).where(TimelineEvent.appeal_id == appeal_id))
            conn.execute(delete(Appeal).where(Appeal.id == appeal_id))
            conn.execute(
                delete(AuditEntry).where(
                    AuditEntry.subject_type == "appeal", AuditEntry.subject_id == str(appeal_id)
                )
            )
            conn.execute(delete(OutboxMessage).where(OutboxMessage.link == f"/appeals/{appeal_id}"))
            # the appeal's outbound events (appeal.created, ...) carry its id in their body only
            conn.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.channel == EVENT_CHANNEL,
                    OutboxMessage.body.contains(f'"appeal_id":{appeal_id},'),
                )
            )
            conn.execute(delete(DailySequence).where(DailySequence.day == NOW.date()))


def test_concurrent_actions_conflict(engine: Engine, committed: int) -> None:
    factory = make_session_factory(engine)
    first: Session = factory()
    second: Session = factory()
    try:
        # the second clerk opens the order, then the first one accepts it
        seen = queries.by_id_for(second, OPERATOR, committed)
        assert seen.version == 1
        second.commit()  # end the read transaction; the loaded state is kept
        service.accept(first, appeal_id=committed, actor=OPERATOR, now=NOW)
        with pytest.raises(Conflict):
            service.explain(second, appeal_id=committed, text="无法受理", actor=OPERATOR, now=NOW)
    finally:
        first.close()
        second.close()
    with factory() as check:
        appeal = check.get(Appeal, committed)
        assert appeal is not None
        assert appeal.status == AppealStatus.PENDING_DISPATCH
        assert appeal.version == 2
        actions = check.scalars(
            select(TimelineEvent.action).where(TimelineEvent.appeal_id == committed)
        ).all()
        assert list(actions) == ["submit", "accept"]


def test_concurrent_intakes_never_share_a_number(engine: Engine) -> None:
    day = datetime(2031, 3, 5, 9, 0, tzinfo=BEIJING)
    factory = make_session_factory(engine)
    numbers: list[str] = []

    def second_clerk() -> None:
        with factory() as other:
            numbers.append(next_number(other, day))
            other.commit()

    first = factory()
    try:
        numbers.append(next_number(first, day))  # the counter row is now locked by `first`
        thread = threading.Thread(target=second_clerk)
        thread.start()
        first.commit()
        thread.join()
        assert sorted(numbers) == ["2031030500001", "2031030500002"]
    finally:
        first.close()
        with engine.begin() as conn:
            conn.execute(delete(DailySequence).where(DailySequence.day == day.date()))
