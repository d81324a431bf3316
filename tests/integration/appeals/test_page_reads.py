"""The public record the portal shows beside an appeal (queries.public_record): the timeline and
the caller's own rating of the current reply round, falling back to the last self-service rating
once the appeal is closed; two statements, a third only for that fallback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from tests.builders.appeals import PNG, World, make_appeal
from tests.integration.appeals.test_use_case_statements import statements_of

from civicgrid.appeals import queries, service
from civicgrid.appeals.channels import Channel
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import AppealStatus, Satisfaction

S = AppealStatus


def _resident_replied(session: Session, world: World, now: datetime) -> Appeal:
    return make_appeal(
        session,
        world=world,
        status=S.REPLIED,
        now=now,
        by="resident",
        channel=Channel.SNAPSHOT,
        photos=(PNG,),
        lon=116.45,
        lat=39.91,
    )


def _rate(session: Session, world: World, appeal: Appeal, now: datetime, *, ok: bool) -> None:
    service.rate_by_caller(
        session,
        appeal_id=appeal.id,
        resolved=ok,
        satisfaction=Satisfaction.SATISFIED if ok else Satisfaction.DISSATISFIED,
        actor=world.actor("resident"),
        cipher=world.cipher,
        now=now,
    )


def test_a_replied_appeal_reads_its_timeline_and_no_rating_in_two_statements(
    session: Session, world: World, now: datetime
) -> None:
    appeal = _resident_replied(session, world, now)
    session.expire_all()
    appeal = queries.by_id_for(session, world.actor("resident"), appeal.id)
    with statements_of(session) as seen:
        record = queries.public_record(session, appeal)
    assert len(seen) == 2, seen
    assert record.rating is None
    assert record.events[0].action == "submit"
    assert [e.id for e in record.events] == sorted(e.id for e in record.events)


def _rated_reopened_and_replied_again(session: Session, world: World, now: datetime) -> Appeal:
    """The caller rated the reply dissatisfied, the callback reopened it, the unit replied again
    (round 1 of the reply is open)."""
    appeal = _resident_replied(session, world, now)
    _rate(session, world, appeal, now, ok=False)
    service.callback(
        session,
        appeal_id=appeal.id,
        resolved=False,
        satisfaction=Satisfaction.DISSATISFIED,
        reopen=True,
        reason="问题仍在",
        actor=world.actor("operator"),
        now=now,
    )
    service.reply(
        session, appeal_id=appeal.id, text="已再次处理", actor=world.actor("street_a"), now=now
    )
    return appeal


def test_the_rating_of_the_current_round_is_shown(
    session: Session, world: World, now: datetime
) -> None:
    appeal = _resident_replied(session, world, now)
    _rate(session, world, appeal, now, ok=False)
    record = queries.public_record(session, appeal)
    assert record.rating is not None
    assert (record.rating.round, record.rating.satisfaction) == (0, "dissatisfied")


def test_a_closed_appeal_falls_back_to_the_last_self_service_rating(
    session: Session, world: World, now: datetime
) -> None:
    appeal = _rated_reopened_and_replied_again(session, world, now)
    service.callback(
        session,
        appeal_id=appeal.id,
        resolved=True,
        satisfaction=Satisfaction.SATISFIED,
        actor=world.actor("operator"),
        now=now,
    )
    assert (appeal.status, appeal.reopen_count) == (S.CLOSED.value, 1)
    with statements_of(session) as seen:
        record = queries.public_record(session, appeal)
    assert len(seen) == 3, seen
    assert record.rating is not None
    assert (record.rating.round, record.rating.channel) == (0, "self_service")


def test_an_open_appeal_does_not_fall_back_to_an_earlier_round(
    session: Session, world: World, now: datetime
) -> None:
    appeal = _rated_reopened_and_replied_again(session, world, now)
    assert (appeal.status, appeal.reopen_count) == (S.REPLIED.value, 1)
    assert queries.public_record(session, appeal).rating is None
