"""Automatic routing as a background job: new appeals waiting for dispatch are classified,
located and routed from the database state alone; the category, the routing rule and the
reason are recorded with the dispatch in one transaction; uncertain appeals stay with the
dispatcher; a second run changes nothing."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.integration.dispatch.helpers import WATER

from civicgrid.appeals import queries as appeal_queries
from civicgrid.appeals import service as appeal_service
from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit.models import AuditEntry
from civicgrid.config import Settings
from civicgrid.dispatch import jobs as dispatch_jobs
from civicgrid.dispatch import queries, service
from civicgrid.dispatch.service.suggest import OpenAppeals, SharedReads
from civicgrid.errors import Conflict
from civicgrid.jobs.registry import default_jobs

S = AppealStatus
STRICT = service.DispatchPolicy(target_accuracy=0.999)


def _pending(session: Session, world: World, now: datetime, title: str, content: str) -> Appeal:
    return make_appeal(
        session, world=world, now=now, status=S.PENDING_DISPATCH, title=title, content=content
    )


def _count(session: Session, action: str, appeal_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.subject_id == str(appeal_id))
        )
        or 0
    )


def test_job_dispatches_and_records_category_rule_and_reason_together(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    appeal = _pending(session, world, now, "停水", "整栋楼停水一天了，什么时候来水")
    assert appeal.category == ""
    run = service.route_new_appeals(session, now=now, models_dir=trained_models)
    assert (run.scanned, run.dispatched, run.manual, run.refused) == (1, 1, 0, 0)
    session.expire_all()
    routed = session.get(Appeal, appeal.id)
    assert routed is not None
    assert routed.status == S.DISPATCHED
    assert routed.category == WATER
    lead = appeal_queries.lead_unit(routed)
    assert lead is not None
    assert (lead.unit_kind, lead.unit_id) == world.utility
    event = appeal_queries.timeline(session, appeal.id)[-1]
    assert event.action == "dispatch"
    assert event.actor_label == service.AUTO_ROUTE_ACTOR.label
    assert "智能派单" in event.note
    assert "服务区域" in event.note
    assert event.detail["category"] == WATER
    assert event.detail["basis"]["rule"] == "utility"
    assert event.detail["basis"]["place"] == "region"
    assert 0.8 <= event.detail["basis"]["confidence"] <= 1.0
    assert _count(session, "appeal.dispatch", appeal.id) == 1


def test_job_is_idempotent(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    confident = _pending(session, world, now, "停水", "整栋楼停水一天了，什么时候来水")
    unplaced = make_appeal(
        session,
        world=world,
        now=now,
        status=S.PENDING_DISPATCH,
        title="停水",
        content="整栋楼停水一天了",
        region_code=None,
    )
    first = service.route_new_appeals(session, now=now, models_dir=trained_models)
    assert (first.scanned, first.dispatched, first.manual) == (2, 1, 1)
    events = session.scalar(select(func.count()).select_from(TimelineEvent))
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    later = now + timedelta(minutes=1)
    second = service.route_new_appeals(session, now=later, models_dir=trained_models)
    assert second.scanned == 0
    assert session.scalar(select(func.count()).select_from(TimelineEvent)) == events
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits
    assert _count(session, "appeal.dispatch", confident.id) == 1
    assert [a.outcome for a in queries.attempts_for(session, confident.id)] == ["dispatched"]
    assert [a.outcome for a in queries.attempts_for(session, unplaced.id)] == ["manual"]
    # leaving an appeal to the dispatcher changes nothing: the audit log stays an audit log
    assert _count(session, "dispatch.auto_route", unplaced.id) == 0


def test_uncertain_appeals_stay_in_the_manual_queue_with_the_reason_recorded(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    appeal = _pending(session, world, now, "停水", "整栋楼停水一天了")
    before = len(appeal_queries.timeline(session, appeal.id))
    run = service.route_new_appeals(session, now=now, models_dir=trained_models, policy=STRICT)
    assert (run.scanned, run.dispatched, run.manual) == (1, 0, 1)
    session.expire_all()
    stays = session.get(Appeal, appeal.id)
    assert stays is not None
    assert stays.status == S.PENDING_DISPATCH
    assert stays.category == ""
    assert len(appeal_queries.timeline(session, appeal.id)) == before
    (attempt,) = queries.attempts_for(session, appeal.id)
    assert attempt.outcome == "manual"
    assert "未达到目标准确率" in attempt.reason
    assert attempt.model_version == service.loaded_model_version(trained_models)
    assert attempt.at == now


def test_job_leaves_received_old_and_sent_back_appeals_alone(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    received = make_appeal(session, world=world, now=now, title="停水", content="整栋楼停水")
    old = _pending(
        session, world, now - timedelta(days=10), "停水", "整栋楼停水一天了，什么时候来水"
    )
    sent_back = make_appeal(
        session,
        world=world,
        now=now,
        status=S.RETURN_REQUESTED,
        title="停水",
        content="整栋楼停水一天了，什么时候来水",
    )
    appeal_service.approve_return(
        session,
        appeal_id=sent_back.id,
        note="非本单位职责",
        actor=world.actor("dispatcher"),
        now=now,
    )
    assert sent_back.status == S.PENDING_DISPATCH
    run = service.route_new_appeals(session, now=now, models_dir=trained_models)
    assert run.scanned == 0
    session.expire_all()
    for appeal, status in ((received, S.RECEIVED), (old, S.PENDING_DISPATCH)):
        current = session.get(Appeal, appeal.id)
        assert current is not None
        assert current.status == status


def test_a_plan_overtaken_by_a_person_is_refused(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    appeal = _pending(session, world, now, "停水", "整栋楼停水一天了，什么时候来水")
    plan = service.plan_auto_route(
        session,
        appeal_id=appeal.id,
        actor=service.AUTO_ROUTE_ACTOR,
        models_dir=trained_models,
        now=now,
    )
    assert plan.action == "dispatch"
    appeal_service.dispatch(
        session,
        appeal_id=appeal.id,
        lead=world.street_a,
        actor=world.actor("dispatcher"),
        now=now,
    )
    with pytest.raises(Conflict):
        service.dispatch_routed(
            session, appeal_id=appeal.id, plan=plan, actor=service.AUTO_ROUTE_ACTOR, now=now
        )
    session.expire_all()
    current = session.get(Appeal, appeal.id)
    assert current is not None
    assert current.category == ""
    lead = appeal_queries.lead_unit(current)
    assert lead is not None
    assert (lead.unit_kind, lead.unit_id) == world.street_a


def test_registered_job_reads_the_settings(
    session: Session, world: World, now: datetime, trained_models: Path, tmp_path: Path
) -> None:
    assert "dispatch.auto_route" in {job.name for job in default_jobs()}
    settings = Settings(var_dir=tmp_path / "var")
    shutil.copytree(trained_models, settings.models_dir)
    appeal = _pending(session, world, now, "停水", "整栋楼停水一天了，什么时候来水")
    result = dispatch_jobs.auto_route(session, now, settings)
    assert result == {
        "scanned": 1,
        "dispatched": 1,
        "merged": 0,
        "manual": 0,
        "refused": 0,
        "failed": 0,
    }
    session.expire_all()
    routed = session.get(Appeal, appeal.id)
    assert routed is not None
    assert routed.status == S.DISPATCHED


def test_a_batch_reads_the_open_appeals_once_and_merges_each_copy_into_the_first(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    text = "门口垃圾堆放多日无人清运，气味很大"
    copies = [
        _pending(session, world, now + timedelta(hours=h), "垃圾堆放", text) for h in range(3)
    ]
    other = _pending(session, world, now, "施工噪音", "工地晚上施工噪声扰民，半夜还在打桩")
    shared = SharedReads.read(session)
    run = service.route_new_appeals(
        session, now=now + timedelta(hours=4), models_dir=trained_models, shared=shared
    )
    assert (run.scanned, run.merged) == (4, 2)
    # one read of the open appeals for the whole batch, not one per appeal
    assert shared.open_appeals.reads == 1
    session.expire_all()
    first, *later = (session.get(Appeal, a.id) for a in copies)
    assert first is not None
    assert first.status != S.MERGED
    for copy in later:
        assert copy is not None
        assert (copy.status, copy.merged_into_id) == (S.MERGED, first.id)
    assert {a.appeal_id for a in queries.attempts_for(session, other.id)} == {other.id}


def test_the_batchs_open_appeals_are_cut_to_each_window_and_forget_a_merged_one(
    session: Session, world: World, now: datetime
) -> None:
    early = _pending(session, world, now - timedelta(days=5), "垃圾", "垃圾没人清运")
    late = _pending(session, world, now, "垃圾", "垃圾还是没人清运")
    actor = world.actor("dispatcher")
    batch = OpenAppeals()
    window = batch.within(
        session, actor, since=now - timedelta(days=1), until=now + timedelta(1), now=now
    )
    assert [a.id for a in window] == [late.id]
    wider = batch.within(
        session, actor, since=now - timedelta(days=6), until=now + timedelta(1), now=now
    )
    assert {a.id for a in wider} == {early.id, late.id}
    assert batch.reads == 2
    inside = batch.within(session, actor, since=now - timedelta(days=6), until=now, now=now)
    assert [a.id for a in inside] == [early.id]  # the end of a window is not in it
    assert batch.reads == 2
    batch.forget(early.id)
    assert batch.within(session, actor, since=now - timedelta(days=6), until=now, now=now) == []
