"""The city-scale benchmark dataset (``benchmarks/scale_dataset.py``), built small on the tiny
territory: the copies of the template appeals are valid for the workflow and for the pages."""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, make_url, select, text
from tests.conftest import DEFAULT_PG_URL

from civicgrid.app import create_app
from civicgrid.appeals.channels import Flow
from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action, replay
from civicgrid.auth.roles import Role
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.accounts import DEMO_PASSWORD
from civicgrid.kit.crypto import FieldCipher
from civicgrid.register.models import Resident

FIELD_KEY = "b2u_3ZQZ8j0yJ6s9f0m7qX2yTqkzG7pB6w0b2uQZ9yQ="
YEAR_END = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"
ACTIONS = {a.value for a in Action}
TEMPLATE, APPEALS, RESIDENTS = 40, 250, 120

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def scale_dataset() -> Iterator[ModuleType]:
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(BENCHMARKS))  # the script imports its sibling bench_db
        yield importlib.import_module("scale_dataset")


@pytest.fixture(scope="module")
def built(scale_dataset: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    base = make_url(os.environ.get("CIVICGRID_TEST_DATABASE_URL", DEFAULT_PG_URL))
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    base_url = base.render_as_string(hide_password=False)
    name = f"civicgrid_scale_{uuid.uuid4().hex[:10]}"
    media = tmp_path_factory.mktemp("media")
    try:
        scale_dataset.main(
            ["--url", base_url, "--database", name, "--scale", "tiny", "--appeals", str(APPEALS),
             "--residents", str(RESIDENTS), "--template", str(TEMPLATE), "--callers", "300",
             "--field-key", FIELD_KEY, "--media-dir", str(media),
             "--year-end", YEAR_END.isoformat()]
        )  # fmt: skip
        engine = make_engine(base.set(database=name).render_as_string(hide_password=False))
        yield engine
        engine.dispose()
    finally:
        importlib.import_module("bench_db").drop_database(base_url, name)


def test_the_copies_replay_through_the_workflow(built: Engine) -> None:
    with make_session_factory(built)() as session:
        appeals = {a.id: a for a in session.scalars(select(Appeal))}
        steps: dict[int, list[tuple[Action, Role]]] = {i: [] for i in appeals}
        for event in session.scalars(select(TimelineEvent).order_by(TimelineEvent.id)):
            if event.action in ACTIONS and event.actor_role:
                steps[event.appeal_id].append((Action(event.action), Role(event.actor_role)))
        numbers = {a.number for a in appeals.values()}
        residents = session.scalar(select(func.count()).select_from(Resident))
    assert len(appeals) == APPEALS
    assert len(numbers) == APPEALS
    assert residents == RESIDENTS
    for appeal in appeals.values():
        replayed = replay(steps[appeal.id], flow=Flow(appeal.flow))
        assert replayed is AppealStatus(appeal.status), appeal.number
        assert appeal.received_at <= YEAR_END


def test_the_copies_are_placed_and_dated_like_their_template(built: Engine) -> None:
    cipher = FieldCipher(FIELD_KEY)
    with built.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.id, a.region_path, a.caller_phone_enc, a.caller_phone_hash, "
                "a.received_at, a.closed_at, u.unit_path FROM appeal a LEFT JOIN appeal_unit u "
                "ON u.appeal_id = a.id AND u.role = 'lead' AND u.released_at IS NULL "
                "AND u.unit_kind = 'region' WHERE a.id > :k"
            ),
            {"k": TEMPLATE},
        ).all()
        sequences = {
            d: int(v)
            for d, v in conn.execute(text("SELECT day, last_value FROM appeal_daily_sequence"))
        }
        max_number = conn.execute(text("SELECT max(number) FROM appeal")).scalar_one()
    assert len(rows) == APPEALS - TEMPLATE
    streets = followed = 0
    for _id, region_path, phone_enc, phone_hash, received, closed, unit_path in rows:
        if phone_enc:
            assert cipher.keyed_hash(cipher.decrypt(phone_enc)) == phone_hash
        assert closed is None or closed >= received
        assert received >= YEAR_END - timedelta(days=365 + 7 * 7)
        if unit_path and unit_path.count("/") > 3:  # a street (/city/district/street/)
            streets += 1
            followed += region_path.startswith(unit_path)
    # The street units follow the copies to their new grids (the few exceptions are the
    # template's misrouted orders, sent to another street on purpose).
    assert streets > 0
    assert followed >= 0.9 * streets
    day = datetime.strptime(max_number[:8], "%Y%m%d").date()  # noqa: DTZ007 - a date only
    assert sequences[day] >= int(max_number[8:])


def test_the_pages_answer_on_the_copies(built: Engine, tmp_path: Path) -> None:
    settings = Settings(
        var_dir=tmp_path / "var", database_url="sqlite:///unused-in-tests.db",
        secret_key="test-secret-key-not-for-production", field_key=FIELD_KEY,
    )  # fmt: skip
    app = create_app(
        settings, session_factory=make_session_factory(built), clock=FrozenClock(YEAR_END)
    )
    with built.connect() as conn:
        copy_id, number = conn.execute(
            text("SELECT id, number FROM appeal WHERE id > :k ORDER BY id DESC LIMIT 1"),
            {"k": TEMPLATE},
        ).one()
    with TestClient(app) as client:
        r = client.post(
            "/login", data={"username": "dispatcher", "password": DEMO_PASSWORD},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303, r.text
        listing = client.get("/appeals/inbox?status=all")
        assert listing.status_code == 200
        assert "<tbody>" in listing.text
        detail = client.get(f"/appeals/{copy_id}")
        assert detail.status_code == 200
        assert number in detail.text
        assert 'class="timeline"' in detail.text
