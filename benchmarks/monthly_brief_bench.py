"""Benchmark of the 每月一题 brief: the page, the one-page PDF and the Excel file of a
district-month, over HTTP (FastAPI's TestClient in this process, logged in as the demo leader).

Run: ``.venv/bin/python benchmarks/monthly_brief_bench.py [--scale tiny] [--extra 10000]
[--runs 3] [--seed 42]``

Builds the demo city of ``--scale`` on a fresh SQLite file in a temporary folder and times the
three answers for the leader's district in its busiest month of the demo year. The first view
of a month mines the district-month and stores its hot-problem snapshot (timed once, "first
page"); every later answer is cut from that snapshot. With
``--extra N`` it then files N synthetic appeals (through the intake use case, a quarter of them
dispatched to a street of the district) into the leader's district in October 2025, a month the
demo year does not reach, so that month holds exactly N appeals: background complaints about
random problems at random compounds plus a few injected hot problems (one problem at one
compound, 50–300 appeals each; the texts of benchmarks/hotspots_bench.py), callers drawn from a
pool so that some call more than once. Each answer is fetched once to warm up, then timed
``--runs`` times; printed: the
district-month's appeals and per answer the median wall time and the
process CPU per request (the app runs in this process), and the size of the body.
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from hotspots_bench import FILLERS, MIDDLES, PREFIXES, PROBLEMS, SUFFIXES
from sqlalchemy import func, select

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid import migrate
from civicgrid.app import create_app
from civicgrid.appeals import service as appeals_service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.models import Appeal
from civicgrid.auth import service as auth_service
from civicgrid.clock import FrozenClock, monotonic
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.builder import DEMO_PASSWORD, build_demo_city
from civicgrid.kit.crypto import FieldCipher
from civicgrid.kit.periods import month_period
from civicgrid.media.store import LocalMediaStore
from civicgrid.territory.models import Region

YEAR_END = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
EXTRA_MONTH = (2025, 10)
PAGE = "/dashboard/monthly-topic"


def _district_of_leader(session: object) -> Region:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    user_id = auth_service.find_user_id(session, "leader")
    assert user_id is not None
    path = next(iter(auth_service.actor_for_user(session, user_id).scope.region_paths))
    region = session.scalars(select(Region).where(Region.path == path)).one()
    assert region.level == "district", region.level
    return region


def busiest_month(session: object, district: Region) -> tuple[str, int]:
    """The demo year's month with the most appeals in ``district``: (YYYY-MM, appeals)."""
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    best = ("", -1)
    month = (YEAR_END.year, YEAR_END.month)
    for _ in range(13):
        period = month_period(*month)
        n = session.scalar(
            select(func.count())
            .select_from(Appeal)
            .where(
                Appeal.region_path.startswith(district.path),
                Appeal.received_at >= period.start_utc,
                Appeal.received_at < period.end_utc,
            )
        )
        if int(n or 0) > best[1]:
            best = (period.key, int(n or 0))
        month = (month[0] - 1, 12) if month[1] == 1 else (month[0], month[1] - 1)
    return best


def file_synthetic(
    session_factory: object, district: Region, n: int, seed: int, field_key: str, media: Path
) -> float:
    """File ``n`` synthetic appeals in ``district`` in :data:`EXTRA_MONTH`; wall seconds."""
    from sqlalchemy.orm import Session, sessionmaker

    assert isinstance(session_factory, sessionmaker)
    rng = random.Random(seed)
    period = month_period(*EXTRA_MONTH)
    started = monotonic()
    with session_factory() as session:
        assert isinstance(session, Session)
        operator = auth_service.find_user_id(session, "operator")
        dispatcher = auth_service.find_user_id(session, "dispatcher")
        assert operator is not None
        assert dispatcher is not None
        op = auth_service.actor_for_user(session, operator)
        disp = auth_service.actor_for_user(session, dispatcher)
        communities = session.scalars(
            select(Region).where(Region.path.startswith(district.path), Region.level == "community")
        ).all()
        streets = session.scalars(
            select(Region).where(Region.path.startswith(district.path), Region.level == "street")
        ).all()
        compounds = sorted(
            {rng.choice(PREFIXES) + rng.choice(MIDDLES) + rng.choice(SUFFIXES) for _ in range(300)}
        )
        hot = [
            (rng.randrange(len(PROBLEMS)), rng.choice(compounds), rng.randint(50, 300))
            for _ in range(8)
        ]
        plan: list[tuple[int, str]] = [(p, place) for p, place, size in hot for _ in range(size)]
        plan += [
            (rng.randrange(len(PROBLEMS)), rng.choice(compounds)) for _ in range(n - len(plan))
        ]
        rng.shuffle(plan)
        cipher = FieldCipher(field_key)
        policy = appeals_service.MediaPolicy(store=LocalMediaStore(media), max_bytes=1 << 20)
        seconds = int((period.end_utc - period.start_utc).total_seconds())
        for i, (problem, place) in enumerate(plan[:n]):
            at = period.start_utc + timedelta(seconds=rng.randrange(seconds))
            phrases = PROBLEMS[problem][1]
            title = f"{place}{rng.choice(phrases)}"
            appeal = appeals_service.submit_appeal(
                session,
                data=appeals_service.NewAppeal(
                    channel=Channel.HOTLINE,
                    appeal_type=AppealType.COMPLAINT,
                    title=title,
                    content=f"{place}{rng.choice(phrases)}，{rng.choice(FILLERS)}。",
                    region_id=rng.choice(communities).id,
                    caller_name="市民",
                    caller_phone=f"139{rng.randrange(3000):08d}",
                ),
                actor=op,
                cipher=cipher,
                media=policy,
                now=at,
            )
            if i % 4 == 0:
                appeals_service.dispatch(
                    session,
                    appeal_id=appeal.id,
                    lead=("region", rng.choice(streets).id),
                    actor=disp,
                    now=at + timedelta(minutes=5),
                )
    return monotonic() - started


def time_answers(client: TestClient, month: str, district: str, runs: int) -> None:
    query = f"month={month}&district={district}"
    cpu0, wall0 = time.process_time(), monotonic()
    first = client.get(f"{PAGE}?{query}")  # no snapshot of this month yet: mines and stores it
    assert first.status_code == 200, first.text[:300]
    print(
        f"  first page (mines and stores the snapshot) wall {(monotonic() - wall0) * 1000:7.0f} ms,"
        f" CPU {(time.process_time() - cpu0) * 1000:7.0f} ms"
    )
    for name, url in (
        ("page", f"{PAGE}?{query}"),
        ("pdf", f"{PAGE}.pdf?{query}"),
        ("xlsx", f"{PAGE}.xlsx?{query}"),
    ):
        walls: list[float] = []
        cpus: list[float] = []
        size = 0
        assert client.get(url).status_code == 200  # warm-up: templates, word lists, caches
        for _ in range(runs):
            cpu0, wall0 = time.process_time(), monotonic()
            r = client.get(url)
            walls.append(monotonic() - wall0)
            cpus.append(time.process_time() - cpu0)
            assert r.status_code == 200, (url, r.status_code, r.text[:300])
            size = len(r.content)
        print(
            f"  {name:5s} wall median {statistics.median(walls) * 1000:7.0f} ms "
            f"(min {min(walls) * 1000:.0f}), CPU median {statistics.median(cpus) * 1000:7.0f} ms, "
            f"{size:,} bytes"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="tiny")
    parser.add_argument("--extra", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    key = Fernet.generate_key().decode("ascii")
    with tempfile.TemporaryDirectory(prefix="civicgrid-brief-bench-") as tmp:
        root = Path(tmp)
        url = f"sqlite:///{root / 'demo.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        clock = FrozenClock(YEAR_END)
        started = monotonic()
        build_demo_city(
            engine, seed=args.seed, scale=args.scale, clock=clock, field_key=key,
            media_dir=root / "media", models_dir=root / "models",
        )  # fmt: skip
        print(f"demo city ({args.scale}) built in {monotonic() - started:.0f} s")
        factory = make_session_factory(engine)
        with factory() as session:
            district = _district_of_leader(session)
            month, appeals = busiest_month(session, district)
        settings = Settings(
            var_dir=root / "var",
            database_url=url,
            secret_key=secrets.token_urlsafe(32),
            field_key=key,
        )
        app = create_app(settings, session_factory=factory, clock=clock)
        with TestClient(app) as client:
            r = client.post("/login", data={"username": "leader", "password": DEMO_PASSWORD})
            assert r.status_code == 200, r.text[:300]
            print(f"{district.name} {month}: {appeals} appeals (the demo's busiest month)")
            time_answers(client, month, district.code, args.runs)
            if args.extra:
                wall = file_synthetic(factory, district, args.extra, args.seed, key, root / "m")
                extra = f"{EXTRA_MONTH[0]}-{EXTRA_MONTH[1]:02d}"
                print(
                    f"{district.name} {extra}: {args.extra} synthetic appeals, {wall:.0f} s to file"
                )
                time_answers(client, extra, district.code, args.runs)


if __name__ == "__main__":
    main()
