"""The background job tries an appeal at most once per model version: an appeal left to the
dispatcher (for its category, its place or an unexpected error) is not retried with the same
model, gets exactly one more attempt once another trained model is the current one, and an
appeal left while no model existed is routed when the first model arrives."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.integration.dispatch.helpers import ODD, FailingOnOddText, training_rows

from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit.models import AuditEntry
from civicgrid.dispatch import queries, service
from civicgrid.dispatch.artifacts import current_version, save_model
from civicgrid.dispatch.classifier import train

S = AppealStatus
CONFIDENT = "整栋楼停水一天了，什么时候来水"


def _pending(
    session: Session,
    world: World,
    received: datetime,
    content: str,
    *,
    title: str = "停水",
    placed: bool = True,
) -> Appeal:
    if placed:
        return make_appeal(
            session,
            world=world,
            now=received,
            status=S.PENDING_DISPATCH,
            title=title,
            content=content,
        )
    return make_appeal(
        session,
        world=world,
        now=received,
        status=S.PENDING_DISPATCH,
        title=title,
        content=content,
        region_code=None,
    )


def _marker_versions(session: Session, appeal_id: int) -> list[str]:
    return [a.model_version for a in queries.attempts_for(session, appeal_id)]


def _audit_rows(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_an_appeal_is_tried_once_per_model_version(
    session: Session, world: World, now: datetime, trained_models: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    shutil.copytree(trained_models, models)
    model_a = current_version(models)
    unplaced = _pending(session, world, now - timedelta(hours=3), "整栋楼停水一天了", placed=False)
    vague = _pending(session, world, now - timedelta(hours=2), "请帮忙看看", title="咨询")
    failing = _pending(session, world, now - timedelta(hours=1), f"整栋楼停水，{ODD}", placed=False)
    index = FailingOnOddText(session)

    first = service.route_new_appeals(
        session, now=now, models_dir=models, shared=index.reads(session)
    )
    assert (first.scanned, first.manual, first.failed, first.dispatched) == (3, 2, 1, 0)
    for appeal in (unplaced, vague, failing):
        assert _marker_versions(session, appeal.id) == [model_a]

    audits = _audit_rows(session)
    same_model = service.route_new_appeals(
        session, now=now + timedelta(minutes=1), models_dir=models, shared=index.reads(session)
    )
    assert same_model.scanned == 0
    assert _audit_rows(session) == audits

    model_b = save_model(
        train(training_rows()), {}, models_dir=models, now=now, version="t-retry"
    ).version
    assert current_version(models) == model_b != model_a
    retried = service.route_new_appeals(
        session, now=now + timedelta(minutes=2), models_dir=models, shared=index.reads(session)
    )
    assert (retried.scanned, retried.manual, retried.failed, retried.dispatched) == (3, 2, 1, 0)
    for appeal in (unplaced, vague, failing):
        assert _marker_versions(session, appeal.id) == [model_a, model_b]
    session.expire_all()
    for appeal in (unplaced, vague, failing):
        stays = session.get(Appeal, appeal.id)
        assert stays is not None
        assert stays.status == S.PENDING_DISPATCH

    audits = _audit_rows(session)
    again = service.route_new_appeals(
        session, now=now + timedelta(minutes=3), models_dir=models, shared=index.reads(session)
    )
    assert again.scanned == 0
    assert _audit_rows(session) == audits


def test_appeals_left_without_a_model_are_routed_when_one_is_trained(
    session: Session, world: World, now: datetime, trained_models: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    confident = _pending(session, world, now, CONFIDENT)

    without = service.route_new_appeals(session, now=now, models_dir=models)
    assert (without.scanned, without.manual, without.dispatched) == (1, 1, 0)
    assert _marker_versions(session, confident.id) == [queries.NO_MODEL]
    assert service.route_new_appeals(session, now=now, models_dir=models).scanned == 0

    shutil.copytree(trained_models, models)
    with_model = service.route_new_appeals(session, now=now, models_dir=models)
    assert (with_model.scanned, with_model.manual, with_model.dispatched) == (1, 0, 1)
    session.expire_all()
    routed = session.get(Appeal, confident.id)
    assert routed is not None
    assert routed.status == S.DISPATCHED
    attempts = [(a.model_version, a.outcome) for a in queries.attempts_for(session, confident.id)]
    assert attempts == [(queries.NO_MODEL, "manual"), (current_version(models), "dispatched")]
    assert service.route_new_appeals(session, now=now, models_dir=models).scanned == 0


def test_an_attempt_without_a_model_version_does_not_hold_the_appeal_back(
    session: Session, world: World, now: datetime, trained_models: Path
) -> None:
    """Attempts carried over from audit markers written before the version was recorded
    (empty version) count for no model version."""
    appeal = _pending(session, world, now, "整栋楼停水一天了", placed=False)
    version = service.loaded_model_version(trained_models)
    since = now - timedelta(days=3)
    service.record_attempt(
        session,
        appeal_id=appeal.id,
        outcome=queries.AttemptOutcome.MANUAL,
        reason="需人工派单",
        model_version="",
        now=now,
    )
    assert queries.unrouted_appeal_ids(session, since=since, limit=10, model_version=version) == [
        appeal.id
    ]
    run = service.route_new_appeals(session, now=now, models_dir=trained_models)
    assert (run.scanned, run.manual) == (1, 1)
    assert _marker_versions(session, appeal.id) == ["", version]
    assert queries.unrouted_appeal_ids(session, since=since, limit=10, model_version=version) == []
