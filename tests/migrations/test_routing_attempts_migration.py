"""Migration ``dispatch_0001`` on data, on both engines: automatic routing's audit markers
(``dispatch.auto_route``) are carried over into ``dispatch_routing_attempt`` with the appeal,
the model version (empty for markers written before versions were recorded), outcome, reason
and time; other audit rows are not; the audit rows themselves stay. Runs inside the test's
transaction, which is rolled back afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from tests.builders.appeals import make_appeal, make_world

from civicgrid import migrate
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit.models import AuditEntry
from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.dispatch import queries

pytestmark = pytest.mark.slow

ROBOT = Actor.system("auto-route")


def _run(connection: Connection, verb: str, revision: str) -> None:
    cfg = migrate.alembic_config()
    cfg.attributes["connection"] = connection
    getattr(command, verb)(cfg, revision)


def _has_table(connection: Connection) -> bool:
    return sa.inspect(connection).has_table("dispatch_routing_attempt")


def _marker(
    session: Session, appeal_id: int, at: datetime, reason: str, detail: dict[str, str]
) -> None:
    record(
        session,
        actor=ROBOT,
        action="dispatch.auto_route",
        subject_type="appeal",
        subject_id=appeal_id,
        now=at,
        outcome="manual",
        reason=reason,
        detail=detail,
    )


def test_markers_are_carried_over_and_the_audit_log_keeps_them(
    connection: Connection, session: Session, now: datetime, tmp_path: Path
) -> None:
    world = make_world(session, now=now, media_root=tmp_path / "media")
    waiting = make_appeal(session, world=world, now=now, status=AppealStatus.PENDING_DISPATCH)
    other = make_appeal(session, world=world, now=now, status=AppealStatus.PENDING_DISPATCH)
    _run(connection, "downgrade", "exchange_0001")
    assert not _has_table(connection)
    earlier = now - timedelta(hours=2)
    _marker(session, waiting.id, earlier, "无法确定诉求发生地，请人工派单", {})
    _marker(session, waiting.id, now, "置信度不足，转人工派单", {"model_version": "t1"})
    _marker(session, other.id, now, "分类模型不可用", {"model_version": "none"})
    record(  # another action about the same appeal is not an attempt
        session,
        actor=ROBOT,
        action="appeal.dispatch",
        subject_type="appeal",
        subject_id=waiting.id,
        now=now,
    )
    session.commit()
    audit_rows = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))

    _run(connection, "upgrade", "dispatch@head")
    assert _has_table(connection)
    session.expire_all()
    carried = [
        (a.model_version, a.outcome, a.reason, a.at)
        for a in queries.attempts_for(session, waiting.id)
    ]
    assert carried == [
        ("", "manual", "无法确定诉求发生地，请人工派单", earlier),
        ("t1", "manual", "置信度不足，转人工派单", now),
    ]
    assert [a.model_version for a in queries.attempts_for(session, other.id)] == ["none"]
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audit_rows
    # the queue reads the carried attempts: tried with t1 → not again with t1; with t2 yes
    since = now - timedelta(days=3)
    assert waiting.id not in queries.unrouted_appeal_ids(
        session, since=since, limit=10, model_version="t1"
    )
    assert waiting.id in queries.unrouted_appeal_ids(
        session, since=since, limit=10, model_version="t2"
    )

    _run(connection, "downgrade", "exchange_0001")
    assert not _has_table(connection)
    _run(connection, "upgrade", "dispatch@head")
    assert _has_table(connection)
