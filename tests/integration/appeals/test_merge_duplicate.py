"""One-click 并单 from the duplicate suggestions: the suggested duplicate is merged through the
appeals action table, with a timeline event on both appeals and an audit entry; repeating the
same merge (a double click, a stale form) writes nothing; the merge stays in the actor's scope
and role."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, submit, submit_duplicate_pair
from tests.integration.appeals.conftest import actions_of, state_of

from civicgrid.appeals import actions, queries, service
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.schemas import MergeRequest
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action
from civicgrid.audit.models import AuditEntry
from civicgrid.dispatch import service as dispatch_service
from civicgrid.errors import Forbidden, Invalid, InvalidTransition, NotFound


def _pair(session: Session, world: World, now: datetime) -> tuple[int, str, int]:
    first, again = submit_duplicate_pair(session, world, now=now)
    return first.id, first.number, again.id


def _merge(
    session: Session, world: World, now: datetime, appeal_id: int, number: str, version: int
) -> Appeal:
    row = actions.row_for(Action.MERGE)
    assert row is not None
    call = actions.ActionCall(session, appeal_id, world.actor("dispatcher"), now, world.media)
    body = MergeRequest(target_number=number, note="疑似重复", expected_version=version)
    result = actions.take(row, body, call)
    assert isinstance(result, Appeal)
    return result


def _version(session: Session, world: World, appeal_id: int) -> int:
    return queries.by_id_for(session, world.actor("dispatcher"), appeal_id).version


def _audit_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_the_suggested_duplicate_is_merged_once_with_events_on_both(
    session: Session, world: World, now: datetime
) -> None:
    main_id, main_number, dup_id = _pair(session, world, now)
    found = dispatch_service.duplicates_for(
        session, actor=world.actor("dispatcher"), appeal_id=dup_id
    )
    assert [c.appeal.number for c in found] == [main_number]

    version = _version(session, world, dup_id)
    audits = _audit_count(session)
    merged = _merge(session, world, now, dup_id, main_number, version)
    assert merged.status == AppealStatus.MERGED
    assert merged.merged_into_id == main_id
    assert actions_of(session, dup_id) == ["submit", "merge"]
    assert actions_of(session, main_id) == ["submit", "merge_in"]
    assert _audit_count(session) > audits

    # The same click again, with the form's now stale version: nothing changes or is written.
    before = state_of(session, dup_id)
    again = _merge(session, world, now, dup_id, main_number, version)
    assert again.id == dup_id
    assert state_of(session, dup_id) == before
    assert actions_of(session, main_id) == ["submit", "merge_in"]


def test_a_merged_appeal_cannot_be_merged_elsewhere(
    session: Session, world: World, now: datetime
) -> None:
    _main_id, main_number, dup_id = _pair(session, world, now)
    other = submit(session, world, now=now, title="路灯不亮", content="小区路灯坏了")
    _merge(session, world, now, dup_id, main_number, _version(session, world, dup_id))
    before = state_of(session, dup_id)
    with pytest.raises(InvalidTransition):
        _merge(session, world, now, dup_id, other.number, _version(session, world, dup_id))
    assert state_of(session, dup_id) == before


def test_merge_stays_in_role_and_scope(session: Session, world: World, now: datetime) -> None:
    _main_id, main_number, dup_id = _pair(session, world, now)
    before = state_of(session, dup_id)
    # A handler may not merge; an operator of another district does not see the appeal.
    with pytest.raises(Forbidden):
        service.merge(
            session,
            appeal_id=dup_id,
            target_number=main_number,
            actor=world.actor("street_a"),
            now=now,
        )
    with pytest.raises((NotFound, Invalid)):
        service.merge(
            session,
            appeal_id=dup_id,
            target_number=main_number,
            actor=world.actor("district_b_operator"),
            now=now,
        )
    assert state_of(session, dup_id) == before
