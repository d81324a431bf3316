"""Intake writes the appeal with one Core INSERT and hands back an ORM object as if the ORM had
inserted it: the object, the stored row and the model's defaults must agree."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, func, inspect, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, submit

from civicgrid.appeals import service
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.service import intake
from civicgrid.appeals.states import AppealStatus


def _columns(appeal: Appeal) -> dict[str, object]:
    return {c.key: getattr(appeal, c.key) for c in Appeal.__table__.columns}


def test_new_appeal_object_is_loaded_and_equals_its_stored_row(
    session: Session, world: World, now: datetime
) -> None:
    appeal = submit(session, world, now=now)
    state = inspect(appeal)
    assert state.persistent
    assert state.unloaded == set()  # no column or the units would be read again
    assert not session.is_modified(appeal)
    assert appeal.units == []
    returned = _columns(appeal)
    session.expire_all()
    stored = session.scalars(select(Appeal).where(Appeal.id == returned["id"])).one()
    assert _columns(stored) == returned
    assert stored.version == 1
    assert stored.region_id is not None


def test_columns_intake_does_not_fill_hold_the_model_defaults(
    session: Session, world: World, now: datetime
) -> None:
    appeal = submit(session, world, now=now)
    session.expire_all()
    stored = session.get(Appeal, appeal.id)
    assert stored is not None
    for column in Appeal.__table__.columns:
        if column.primary_key or column.key in intake._INTAKE_COLUMNS:
            continue
        default = getattr(column.default, "arg", None)
        assert getattr(stored, column.key) == default, column.key


def test_the_next_use_case_updates_the_new_appeal_under_its_version(
    session: Session, world: World, now: datetime
) -> None:
    appeal = submit(session, world, now=now)
    accepted = service.accept(
        session,
        appeal_id=appeal.id,
        actor=world.actor("operator"),
        now=now,
        expected_version=1,
    )
    assert accepted is appeal
    assert (accepted.status, accepted.version) == (AppealStatus.PENDING_DISPATCH, 2)


def test_appeal_insert_binds_only_the_intake_columns() -> None:
    """Under psycopg's 50 parameters, so that it caches the statement's parsed form."""
    params = set(intake._INSERT_APPEAL.compile().params)
    assert params == {"v_" + key for key in intake._INTAKE_COLUMNS}
    assert len(params) < 50


def test_a_default_intake_cannot_write_as_a_constant_is_refused_at_import() -> None:
    table = Table(
        "t",
        MetaData(),
        Column("stamped", DateTime, server_default=func.now()),
        Column("computed", Integer, default=lambda: 1),
        Column("plain", Integer, default=3),
    )
    for name in ("stamped", "computed"):
        with pytest.raises(TypeError, match=f"appeal.{name}"):
            intake._column_default(table.c[name])
    assert intake._column_default(table.c.plain) == 3
