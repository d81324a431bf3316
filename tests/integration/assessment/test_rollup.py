"""The rollup tables against a direct computation from the appeals: after the incremental job,
after a full rebuild, and (hypothesis) for random appeal histories walked through the real use
cases."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal

from civicgrid.appeals import queries as appeals_queries
from civicgrid.appeals import service as appeals_service
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import AppealStatus, Satisfaction
from civicgrid.appeals.workflow import Action
from civicgrid.assessment import queries, service
from civicgrid.assessment.models import AssessmentDaily, AssessmentFact
from civicgrid.assessment.periods import parse_period
from civicgrid.assessment.ranking import UnitType
from civicgrid.assessment.rates import (
    AppealSnapshot,
    Counts,
    Metric,
    UnitKeys,
    appeal_fact,
    fact_counts,
)
from civicgrid.db import make_session_factory
from civicgrid.territory.models import Region

Key = tuple[str, int, date]


def _units(session: Session, appeal: Appeal) -> UnitKeys:
    lead = appeals_queries.lead_unit(appeal)
    if lead is None:
        return UnitKeys()
    if lead.unit_kind == "department":
        return UnitKeys(department_id=lead.unit_id)
    if lead.unit_kind == "utility":
        return UnitKeys(utility_id=lead.unit_id)
    region = session.get(Region, lead.unit_id)
    assert region is not None
    if region.level == "district":
        return UnitKeys(district_id=region.id)
    assert region.level == "street"
    return UnitKeys(district_id=region.parent_id, street_id=region.id)


def direct(session: Session, now: datetime) -> dict[Key, Counts]:
    """三率 counters per unit and day computed straight from the appeal rows."""
    session.expire_all()
    totals: dict[Key, Counts] = defaultdict(Counts)
    for appeal in session.scalars(select(Appeal)):
        callbacks = appeals_queries.callbacks(session, appeal.id)
        latest = max(callbacks, key=lambda c: (c.at, c.id)) if callbacks else None
        snap = AppealSnapshot(
            appeal_id=appeal.id,
            status=appeal.status,
            units=_units(session, appeal),
            response_due_at=appeal.response_due_at,
            signed_at=appeal.signed_at,
            contacted_at=appeal.contacted_at,
            closed_at=appeal.closed_at,
            callback_at=latest.at if latest else None,
            resolved=appeal.resolved,
            satisfaction=appeal.satisfaction,
            answered_directly=appeal.disposition == Action.ANSWER_DIRECTLY.value,
            unreasonable=appeal.excluded_from_rates,
        )
        fact = appeal_fact(snap, now)
        for kind, unit_id in fact.units.pairs():
            for day in {fact.response_day, fact.eval_day} - {None}:
                assert day is not None
                totals[(kind, unit_id, day)] = totals[(kind, unit_id, day)] + fact_counts(fact, day)
    return {k: v for k, v in totals.items() if v != Counts()}


def stored(session: Session) -> dict[Key, Counts]:
    rows = session.scalars(select(AssessmentDaily))
    return {
        (r.unit_type, r.unit_id, r.day): Counts(
            r.response_due,
            r.response_on_time,
            r.valid_callbacks,
            r.resolved,
            r.satisfied,
            r.fairly_satisfied,
            r.excluded,
        )
        for r in rows
    }


# --- hand-written scenario ------------------------------------------------------------------


def test_month_of_street_a(session: Session, world: World, now: datetime) -> None:
    on_time = make_appeal(session, world=world, status=AppealStatus.CLOSED, now=now)
    late = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    terminated = make_appeal(session, world=world, status=AppealStatus.TERMINATED, now=now)
    make_appeal(session, world=world, status=AppealStatus.ANSWERED_DIRECTLY, now=now)
    dept = make_appeal(
        session, world=world, status=AppealStatus.CLOSED, now=now, lead=world.department
    )
    later = now + timedelta(days=2)  # the response window (24 h) of `late` has closed
    result = service.refresh(session, now=later)
    assert result.appeals >= 5
    assert stored(session) == direct(session, later)

    period = parse_period("2026-11")
    street_id = world.street_a[1]
    counts = queries.unit_counts(session, UnitType.STREET, street_id, period)
    assert counts == Counts(
        response_due=3, response_on_time=2, valid_callbacks=1, resolved=1, satisfied=1, excluded=1
    )
    district = world.region_id("110105000000")
    assert queries.unit_counts(session, UnitType.DISTRICT, district, period) == counts

    leader = world.actor("leader")
    table = service.ranking(session, actor=leader, period=period, unit_type=UnitType.STREET)
    first = table.units[0]
    assert first.unit_id == street_id
    assert first.rank == 1
    assert first.rates.response == pytest.approx(2 / 3)
    assert table.units[1].rank is None  # street B has no appeals
    assert table.units[1].counts.n == 0

    admin = world.actor("admin")
    page = service.drill(
        session,
        actor=admin,
        period=period,
        unit_type=UnitType.STREET,
        unit_id=street_id,
        metric=Metric.RESPONSE_LATE,
    )
    assert [r.appeal_id for r in page.rows] == [late.id]
    excluded = service.drill(
        session,
        actor=admin,
        period=period,
        unit_type=UnitType.STREET,
        unit_id=street_id,
        metric=Metric.EXCLUDED,
    )
    assert [(r.appeal_id, r.exclusion) for r in excluded.rows] == [(terminated.id, "terminated")]
    for metric in Metric:
        drilled = service.drill(
            session,
            actor=admin,
            period=period,
            unit_type=UnitType.STREET,
            unit_id=street_id,
            metric=metric,
            limit=500,
        )
        assert drilled.total == counts.value(metric) == len(drilled.rows)
    dept_counts = queries.unit_counts(session, UnitType.DEPARTMENT, world.department[1], period)
    assert dept_counts.valid_callbacks == 1
    assert on_time.id not in {r.appeal_id for r in page.rows}
    assert dept.id != on_time.id


def test_incremental_change_recomputes_only_affected_days(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    service.refresh(session, now=now)
    before = stored(session)
    assert before == direct(session, now)
    later = now + timedelta(days=3)
    appeals_service.callback(
        session,
        appeal_id=appeal.id,
        resolved=False,
        satisfaction=Satisfaction.DISSATISFIED,
        reopen=True,
        reason="诉求人反映问题仍在",
        actor=world.actor("operator"),
        now=later,
    )
    result = service.refresh(session, now=later)
    assert result.appeals == 1
    # only the callback day changed, for the street and its district; the response day of the
    # appeal is untouched
    assert result.keys == 2
    assert stored(session) == direct(session, later)
    # a second round: the callback moves to its new day and the old day empties
    unit = world.actor("street_a")
    even_later = later + timedelta(days=2)
    appeals_service.reply(
        session, appeal_id=appeal.id, text="已再次清理", actor=unit, now=even_later
    )
    appeals_service.callback(
        session,
        appeal_id=appeal.id,
        resolved=True,
        satisfaction=Satisfaction.FAIRLY_SATISFIED,
        actor=world.actor("operator"),
        now=even_later,
    )
    service.refresh(session, now=even_later)
    assert stored(session) == direct(session, even_later)


def test_rebuild_equals_incremental(session: Session, world: World, now: datetime) -> None:
    for status in (AppealStatus.CLOSED, AppealStatus.SIGNED, AppealStatus.TERMINATED):
        make_appeal(session, world=world, status=status, now=now)
    make_appeal(session, world=world, status=AppealStatus.CLOSED, now=now, lead=world.utility)
    later = now + timedelta(days=1, hours=1)
    service.refresh(session, now=later)
    incremental = stored(session)
    result = service.rebuild(session, now=later)
    assert result.appeals == session.scalar(select(func.count()).select_from(Appeal))
    assert stored(session) == incremental == direct(session, later)
    assert session.scalar(select(func.count()).select_from(AssessmentFact)) == result.facts


def test_empty_database_gives_zero_rankings(session: Session, world: World, now: datetime) -> None:
    service.rebuild(session, now=now)
    table = service.ranking(
        session,
        actor=world.actor("leader"),
        period=parse_period("2026-W48"),
        unit_type=UnitType.UTILITY,
    )
    assert [u.counts.n for u in table.units] == [0]
    assert table.units[0].rates.score == 0.0
    assert table.total_rates.response == 0.0


# --- property: random histories --------------------------------------------------------------


@dataclass(frozen=True)
class Script:
    lead: str
    stage: int  # 0 submitted … 5 called back; 6 terminated; 7 answered directly
    gaps: tuple[int, ...]  # hours between steps
    resolved: bool
    satisfaction: Satisfaction
    reopen: bool


scripts = st.builds(
    Script,
    lead=st.sampled_from(["street_a", "street_b", "department", "utility"]),
    stage=st.integers(0, 7),
    gaps=st.tuples(*(st.integers(0, 40) for _ in range(7))),
    resolved=st.booleans(),
    satisfaction=st.sampled_from(list(Satisfaction)),
    reopen=st.booleans(),
)


def _play(session: Session, world: World, script: Script, start: datetime) -> datetime:
    at = start
    gaps = iter(script.gaps)

    def tick() -> datetime:
        nonlocal at
        at = at + timedelta(hours=next(gaps))
        return at

    lead = getattr(world, script.lead)
    op, disp, unit = world.actor("operator"), world.actor("dispatcher"), world.actor(script.lead)
    appeal = make_appeal(session, world=world, status=AppealStatus.RECEIVED, now=at)
    a = appeal.id
    if script.stage == 7:
        appeals_service.answer_directly(
            session, appeal_id=a, text="工作日办理", actor=op, now=tick()
        )
        return at
    steps: list[Callable[[], object]] = [
        lambda: appeals_service.dispatch(session, appeal_id=a, lead=lead, actor=disp, now=tick()),
        lambda: appeals_service.sign(session, appeal_id=a, actor=unit, now=tick()),
        lambda: appeals_service.contact(session, appeal_id=a, actor=unit, now=tick()),
        lambda: appeals_service.reply(session, appeal_id=a, text="已处理", actor=unit, now=tick()),
        lambda: appeals_service.callback(
            session,
            appeal_id=a,
            resolved=script.resolved,
            satisfaction=script.satisfaction,
            reopen=script.reopen,
            reason="问题仍在" if script.reopen else "",
            actor=op,
            now=tick(),
        ),
    ]
    if script.stage == 6:
        for step in steps[:3]:
            step()
        appeals_service.review_step(
            session,
            appeal_id=a,
            action=Action.REQUEST_TERMINATION,
            text="拒绝提供信息",
            actor=unit,
            now=tick(),
        )
        appeals_service.review_step(
            session, appeal_id=a, action=Action.APPROVE_TERMINATION, actor=disp, now=tick()
        )
        return at
    for step in steps[: script.stage]:
        step()
    return at


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batches=st.lists(st.lists(scripts, min_size=1, max_size=3), min_size=1, max_size=3),
    final_gap=st.integers(0, 60),
)
def test_rollup_equals_direct_computation(
    connection: Connection,
    session: Session,
    world: World,
    now: datetime,
    batches: list[list[Script]],
    final_gap: int,
) -> None:
    savepoint = connection.begin_nested()
    s = make_session_factory(connection)()
    try:
        clock = now
        for batch in batches:
            latest = clock
            for script in batch:
                latest = max(latest, _play(s, world, script, clock))
            clock = latest + timedelta(hours=1)
            service.refresh(s, now=clock)
            assert stored(s) == direct(s, clock)
        clock += timedelta(hours=final_gap)
        service.refresh(s, now=clock)
        expected = direct(s, clock)
        assert stored(s) == expected
        service.rebuild(s, now=clock)
        assert stored(s) == expected
    finally:
        s.close()
        savepoint.rollback()


def test_refresh_job_is_registered_and_moves_the_watermark(
    session: Session, world: World, now: datetime
) -> None:
    from civicgrid.assessment import jobs as assessment_jobs
    from civicgrid.assessment import rollup
    from civicgrid.jobs.registry import default_jobs

    assert "assessment.refresh" in {job.name for job in default_jobs()}
    make_appeal(session, world=world, status=AppealStatus.SIGNED, now=now)
    summary = assessment_jobs.refresh_rollup(session, now)
    assert isinstance(summary, dict)
    assert summary["appeals"] == 1
    mark = rollup.watermark(session)
    assert mark is not None
    assert mark.last_event_id == 0  # the events are younger than the commit lag
    later = now + rollup.COMMIT_LAG
    second = assessment_jobs.refresh_rollup(session, later)
    assert isinstance(second, dict)
    assert second["appeals"] == 1  # read again, idempotently, until settled
    assert rollup.watermark(session).last_event_id > 0  # type: ignore[union-attr]
    third = assessment_jobs.refresh_rollup(session, later)
    assert isinstance(third, dict)
    assert third["appeals"] == 0


def test_appeal_marked_unreasonable_is_excluded_after_refresh(
    session: Session, world: World, now: datetime
) -> None:
    marked = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    plain = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    appeals_service.mark_unreasonable(
        session,
        appeal_id=marked.id,
        reason="诉求超出政策范围，经审核认定为不合理诉求",
        actor=world.actor("supervisor"),
        now=now,
    )
    for appeal in (marked, plain):
        appeals_service.callback(
            session,
            appeal_id=appeal.id,
            resolved=False,
            satisfaction=Satisfaction.DISSATISFIED,
            actor=world.actor("operator"),
            now=now,
        )
    later = now + timedelta(days=2)
    service.refresh(session, now=later)
    assert stored(session) == direct(session, later)

    period = parse_period("2026-11")
    street_id = world.street_a[1]
    counts = queries.unit_counts(session, UnitType.STREET, street_id, period)
    assert (counts.valid_callbacks, counts.resolved, counts.satisfied, counts.excluded) == (
        1,
        0,
        0,
        1,
    )
    excluded = service.drill(
        session,
        actor=world.actor("admin"),
        period=period,
        unit_type=UnitType.STREET,
        unit_id=street_id,
        metric=Metric.EXCLUDED,
    )
    assert [(r.appeal_id, r.exclusion) for r in excluded.rows] == [(marked.id, "unreasonable")]
