"""The reads the assessment makes of other packages' tables, through their queries modules:
``appeals.queries.unscoped_facts`` (appeal rows with lead unit and latest callback, changed
appeals, settled events, headers) and the territory's level reads."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal

from civicgrid.appeals.models import Appeal
from civicgrid.appeals.queries import unscoped_facts
from civicgrid.appeals.states import AppealStatus
from civicgrid.territory import queries as territory_queries


def _rows(
    session: Session,
    appeal_ids: list[int],
    *,
    lead_only: bool = False,
    leave_out_status: str | None = None,
) -> dict[int, dict[str, object]]:
    stmt = unscoped_facts.assessment_source(
        appeal_ids=appeal_ids, lead_only=lead_only, leave_out_status=leave_out_status
    )
    return {row.appeal_id: row._asdict() for row in session.execute(stmt)}


def test_source_rows_carry_the_lead_unit_and_the_latest_callback(
    session: Session, world: World, now: datetime
) -> None:
    closed = make_appeal(session, world=world, status=AppealStatus.CLOSED, now=now)
    received = make_appeal(session, world=world, status=AppealStatus.RECEIVED, now=now)
    rows = _rows(session, [closed.id, received.id])
    assert set(rows) == {closed.id, received.id}
    assert tuple(rows[closed.id]) == unscoped_facts.SOURCE_COLUMNS
    assert (rows[closed.id]["unit_kind"], rows[closed.id]["unit_id"]) == world.street_a
    assert rows[closed.id]["callback_at"] is not None
    assert rows[closed.id]["status"] == AppealStatus.CLOSED.value
    # not dispatched yet: no lead unit, no callback
    assert rows[received.id]["unit_kind"] is None
    assert rows[received.id]["callback_at"] is None
    # lead_only drops it, leave_out_status drops the closed one
    assert set(_rows(session, [closed.id, received.id], lead_only=True)) == {closed.id}
    left = _rows(session, [closed.id, received.id], leave_out_status="closed")
    assert set(left) == {received.id}


def test_changed_appeals_settled_events_count_and_headers(
    session: Session, world: World, now: datetime
) -> None:
    first = make_appeal(session, world=world, status=AppealStatus.RECEIVED, now=now)
    mark = unscoped_facts.last_event_id_settled(session, after=0, at_or_before=now)
    assert mark is not None
    assert unscoped_facts.last_event_id_settled(session, after=mark, at_or_before=now) is None
    second = make_appeal(session, world=world, status=AppealStatus.RECEIVED, now=now)
    changed = unscoped_facts.appeal_ids_with_events_after(session, mark)
    assert second.id in changed
    assert first.id not in changed
    earlier = now - timedelta(days=1)
    assert unscoped_facts.last_event_id_settled(session, after=0, at_or_before=earlier) is None
    total = session.scalar(select(func.count()).select_from(Appeal))
    assert unscoped_facts.count_appeals(session) == total
    headers = unscoped_facts.appeal_headers(session, [second.id, first.id, -1])
    assert set(headers) == {first.id, second.id}
    assert headers[first.id].number == first.number
    assert headers[first.id].received_at == first.received_at
    assert unscoped_facts.appeal_headers(session, []) == {}


def test_territory_levels_for_the_assessment(session: Session, world: World) -> None:
    levels = territory_queries.region_levels(session, ("district", "street"))
    assert set(levels.values()) == {"district", "street"}
    street_id = world.street_a[1]
    assert levels[street_id] == "street"
    streets = territory_queries.regions_at_level(session, "street")
    assert street_id in {rid for rid, _name, _path in streets}
    parents = {row.id: row for row in session.execute(territory_queries.region_parents_select())}
    assert parents[street_id].level == "street"
    assert levels[parents[street_id].parent_id] == "district"
