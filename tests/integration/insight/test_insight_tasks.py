"""Governance tasks (每月一题): adoption, milestones, status, linked appeals and volumes before
and after, with the audit rows and every refusal, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.builders.auth import MiniTerritory, make_department
from tests.integration.insight.conftest import file_appeal

from civicgrid.audit.models import AuditEntry
from civicgrid.errors import Conflict, Forbidden, Invalid, InvalidTransition, NotFound
from civicgrid.insight import service
from civicgrid.insight.governance import TaskStatus
from civicgrid.insight.models import GovernanceTask, MonthlyTopic


def _task(**overrides: object) -> service.NewTask:
    values: dict[str, object] = {
        "year": 2026,
        "month": 11,
        "theme": "冬季供暖保障",
        "title": "老旧小区暖气不热",
        "lead_department_code": MiniTerritory.DEPARTMENT,
        "measures": "排查管网，更换老旧暖气片",
        "category": "供暖",
        "milestones": [("完成排查", date(2026, 12, 10))],
    }
    values.update(overrides)
    return service.NewTask(**values)  # type: ignore[arg-type]


def _audits(session: Session, action: str) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        )
        or 0
    )


def test_a_leader_adopts_a_problem_under_the_months_topic(
    session: Session, world: World, now: datetime
) -> None:
    other = make_department(
        session,
        code="ZJW",
        name="住建委",
        region=world.territory.region(MiniTerritory.CITY),
        now=now,
    )

    task = service.adopt_task(
        session,
        data=_task(co_department_codes=["ZJW", MiniTerritory.DEPARTMENT]),
        actor=world.actor("leader"),
        now=now,
    )

    assert task.status == TaskStatus.PLANNED.value
    assert task.topic.theme == "冬季供暖保障"
    assert (task.topic.year, task.topic.month) == (2026, 11)
    assert task.co_department_ids == [other.id]  # the lead is not its own co-department
    assert [m.title for m in task.milestones] == ["完成排查"]
    assert _audits(session, "insight.task.adopt") == 1

    second = service.adopt_task(
        session, data=_task(title="供暖费退费难", theme=""), actor=world.actor("admin"), now=now
    )
    assert second.topic_id == task.topic_id


def test_adoption_refusals(session: Session, world: World, now: datetime) -> None:
    leader = world.actor("leader")
    with pytest.raises(Forbidden):
        service.adopt_task(session, data=_task(), actor=world.actor("dispatcher"), now=now)
    with pytest.raises(Invalid, match="本月主题"):
        service.adopt_task(session, data=_task(theme=""), actor=leader, now=now)
    with pytest.raises(Invalid, match="牵头部门"):
        service.adopt_task(session, data=_task(lead_department_code="NOPE"), actor=leader, now=now)
    with pytest.raises(Invalid, match="问题名称"):
        service.adopt_task(session, data=_task(title="  "), actor=leader, now=now)
    with pytest.raises(NotFound):
        service.adopt_task(
            session,
            data=_task(region_code="999999999999"),
            actor=leader,
            now=now,
        )
    assert session.scalar(select(func.count()).select_from(MonthlyTopic)) == 0

    service.adopt_task(session, data=_task(), actor=leader, now=now)
    with pytest.raises(Conflict, match="主题已定"):
        service.adopt_task(session, data=_task(theme="别的主题"), actor=leader, now=now)
    service.adopt_task(session, data=_task(title="二"), actor=leader, now=now)
    service.adopt_task(session, data=_task(title="三"), actor=leader, now=now)
    with pytest.raises(Conflict, match="最多 3 个"):
        service.adopt_task(session, data=_task(title="四"), actor=leader, now=now)
    assert session.scalar(select(func.count()).select_from(GovernanceTask)) == 3


def test_milestones_and_status_follow_the_rules(
    session: Session, world: World, now: datetime
) -> None:
    task = service.adopt_task(session, data=_task(), actor=world.actor("leader"), now=now)
    supervisor = world.actor("supervisor")

    milestone = service.add_milestone(
        session,
        task_id=task.id,
        title="整改完成 80%",
        due_on=date(2027, 1, 15),
        actor=supervisor,
        now=now,
    )
    assert milestone.id is not None
    with pytest.raises(InvalidTransition):
        service.change_status(
            session, task_id=task.id, status=TaskStatus.COMPLETED, actor=supervisor, now=now
        )
    service.change_status(
        session, task_id=task.id, status=TaskStatus.IN_PROGRESS, actor=supervisor, now=now
    )
    done = service.change_status(
        session, task_id=task.id, status=TaskStatus.COMPLETED, actor=supervisor, now=now
    )

    assert done.status == "completed"
    assert _audits(session, "insight.task.status") == 2
    assert _audits(session, "insight.task.milestone") == 1
    with pytest.raises(Forbidden):
        service.add_milestone(
            session,
            task_id=task.id,
            title="x",
            due_on=date(2027, 1, 1),
            actor=world.actor("operator"),
            now=now,
        )
    with pytest.raises(NotFound):
        service.change_status(
            session, task_id=9999, status=TaskStatus.CANCELLED, actor=supervisor, now=now
        )


def test_a_cancelled_task_takes_no_more_milestones(
    session: Session, world: World, now: datetime
) -> None:
    leader = world.actor("leader")
    task = service.adopt_task(session, data=_task(), actor=leader, now=now)
    service.change_status(
        session, task_id=task.id, status=TaskStatus.CANCELLED, actor=leader, now=now
    )

    with pytest.raises(Conflict):
        service.add_milestone(
            session, task_id=task.id, title="x", due_on=date(2027, 1, 1), actor=leader, now=now
        )


def test_linking_appeals_checks_scope_and_ignores_repeats(
    session: Session, world: World, now: datetime
) -> None:
    leader = world.actor("leader")
    task = service.adopt_task(session, data=_task(), actor=leader, now=now)
    a = file_appeal(session, world, at=now, title="暖气不热")
    b = file_appeal(session, world, at=now, title="暖气不热")

    assert (
        service.link_appeals(
            session, task_id=task.id, appeal_ids=[a.id, b.id], actor=leader, now=now
        )
        == 2
    )
    assert (
        service.link_appeals(session, task_id=task.id, appeal_ids=[a.id], actor=leader, now=now)
        == 0
    )
    with pytest.raises(NotFound, match="99999"):
        service.link_appeals(session, task_id=task.id, appeal_ids=[99999], actor=leader, now=now)
    with pytest.raises(Invalid):
        service.link_appeals(session, task_id=task.id, appeal_ids=[], actor=leader, now=now)
    assert _audits(session, "insight.task.link") == 2


def test_task_detail_compares_volumes_before_and_after_adoption(
    session: Session, world: World, now: datetime
) -> None:
    tz = now.tzinfo
    for month, n in {(2026, 8): 4, (2026, 9): 6, (2026, 10): 8}.items():
        for i in range(n):
            file_appeal(
                session,
                world,
                at=datetime(month[0], month[1], 12, 10, tzinfo=tz) + timedelta(hours=i),
                title="暖气不热",
                category="供暖",
            )
    adopted_at = datetime(2026, 11, 2, 2, tzinfo=tz)
    task = service.adopt_task(session, data=_task(), actor=world.actor("leader"), now=adopted_at)
    linked = file_appeal(session, world, at=now, title="暖气不热", category="供暖")
    service.link_appeals(
        session, task_id=task.id, appeal_ids=[linked.id], actor=world.actor("leader"), now=now
    )
    later = datetime(2027, 1, 5, 2, tzinfo=tz)
    for i in range(2):
        file_appeal(
            session,
            world,
            at=datetime(2026, 12, 12, 2, tzinfo=tz) + timedelta(hours=i),
            title="暖气不热",
            category="供暖",
        )

    detail = service.task_detail(
        session, task_id=task.id, actor=world.actor("leader"), now=later, months=3
    )

    months = [v.month for v in detail.volumes]
    assert months == [(2026, 8), (2026, 9), (2026, 10), (2026, 11), (2026, 12), (2027, 1)]
    assert [v.category_count for v in detail.volumes] == [4, 6, 8, 1, 2, 0]
    assert [v.linked_count for v in detail.volumes] == [0, 0, 0, 1, 0, 0]
    comparison = detail.category_comparison
    assert comparison is not None
    assert comparison.before_mean == 6.0
    assert comparison.after_mean == 1.5  # November and December; January is incomplete
    assert comparison.change_pct == -75.0
    assert detail.lead_department == "朝阳区城管执法局"
    assert detail.linked_appeal_ids == [linked.id]
