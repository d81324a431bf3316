"""Benchmark of the automatic routing job (``dispatch.auto_route``) on the demo city.

Builds the demo city (``--scale tiny`` by default, ``--appeals`` appeals of a year) into a
fresh SQLite file, loads the shipped catalogue, trains the classifier on the closed appeals of
the database (what ``civicgrid model train`` does without ``--csv``), then re-files ``--n``
closed appeals as new hotline appeals — same title, content, address and point, **no
category** — and accepts them for dispatch. One run of the job (``route_new_appeals``, no
batch limit) then classifies, locates and routes every appeal waiting for dispatch (the
copies, plus the demo's own few); a second run must find nothing.

Printed: wall and CPU time of the run and per appeal; how many were dispatched, merged or left
manual, and the main reason of those left; of the dispatched copies, how often the category
and the lead unit equal those of the original appeal (the demo's own routing, DOMAIN §1.4).
The training appeals include the originals, so the category figure is optimistic; the
classifier's honest accuracy is in the classifier benchmark.

    .venv/bin/python benchmarks/auto_route_bench.py [--n 200] [--appeals 1500] [--seed 42]
"""

from __future__ import annotations

import argparse
import platform
import random
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid import migrate
from civicgrid.appeals import queries as appeal_queries
from civicgrid.appeals import service as appeal_service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth.actor import Actor
from civicgrid.clock import FrozenClock, monotonic
from civicgrid.db import make_engine, make_session_factory
from civicgrid.demo.builder import build_demo_city
from civicgrid.dispatch import service
from civicgrid.dispatch.artifacts import save_model
from civicgrid.dispatch.classifier import train
from civicgrid.dispatch.models import RoutingAttempt
from civicgrid.dispatch.queries import AttemptOutcome
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import LocalMediaStore

WHY = (  # first match names the main reason an appeal was left to the dispatcher
    ("knowledge base (咨询)", "知识库"),
    ("category below threshold", "最可能的类别"),
    ("grouping item", "未设定承办规则"),
    ("no place", "无法确定诉求发生地"),
    ("street item, district only", "只识别到区一级"),
    ("unit below threshold", "承办单位判定置信度"),
)
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Beijing
MIN_PER_LABEL = 3  # rarer categories are left out of training (calibration needs a few)


def _first_lead(appeal: Appeal) -> tuple[str, int] | None:
    """The first lead unit the appeal was sent to (released or not)."""
    leads = sorted(
        (u for u in appeal.units if u.role == "lead"), key=lambda u: (u.assigned_at, u.id)
    )
    return (leads[0].unit_kind, leads[0].unit_id) if leads else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--appeals", type=int, default=1500)
    parser.add_argument("--scale", default="tiny")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--show", type=int, default=0, help="print this many disagreements")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="civicgrid-auto-route-"))
    engine = make_engine(f"sqlite:///{work / 'bench.db'}")
    migrate.upgrade(engine)
    key = Fernet.generate_key().decode("ascii")
    wall = monotonic()
    build_demo_city(
        engine, seed=args.seed, scale=args.scale, clock=FrozenClock(NOW - timedelta(hours=1)),
        field_key=key, appeals=args.appeals, media_dir=work / "media",
        models_dir=work / "demo-models",
    )  # fmt: skip
    print(f"demo city ({args.scale}, {args.appeals} appeals): {monotonic() - wall:.1f} s wall")
    session = make_session_factory(engine)()
    system = Actor.system("bench")
    service.load_catalogue(session, catalogue=service.default_catalogue(), actor=system, now=NOW)
    pairs = service.training_pairs(session, NOW)
    counts = Counter(label for _, label in pairs)
    pairs = [(text, label) for text, label in pairs if counts[label] >= MIN_PER_LABEL]
    models = work / "models"
    wall = monotonic()
    save_model(train(pairs), {}, models_dir=models, now=NOW, version="bench")
    print(f"classifier on {len(pairs)} closed appeals: {monotonic() - wall:.1f} s wall")
    closed = session.scalars(
        select(Appeal)
        .where(Appeal.status == AppealStatus.CLOSED.value, Appeal.category != "")
        .order_by(Appeal.id)
    ).all()
    originals = random.Random(args.seed).sample(list(closed), min(args.n, len(closed)))
    cipher = FieldCipher(key)
    media = appeal_service.MediaPolicy(store=LocalMediaStore(work / "media"), max_bytes=1 << 20)
    copies: dict[int, Appeal] = {}
    for original in originals:
        new = appeal_service.submit_appeal(
            session,
            data=appeal_service.NewAppeal(
                channel=Channel.HOTLINE, appeal_type=AppealType.COMPLAINT,
                title=original.title, content=original.content, address=original.address,
                lon=original.lon, lat=original.lat, region_id=original.region_id,
                caller_name="张三", caller_phone="13812345678",
            ),
            actor=system, cipher=cipher, media=media, now=NOW,
        )  # fmt: skip
        appeal_service.accept(session, appeal_id=new.id, actor=system, now=NOW)
        copies[new.id] = original
    policy = service.DispatchPolicy(auto_route_batch=10_000)  # every waiting appeal in one run
    wall, cpu = monotonic(), time.process_time()
    run = service.route_new_appeals(session, now=NOW, models_dir=models, policy=policy)
    wall, cpu = monotonic() - wall, time.process_time() - cpu
    again = service.route_new_appeals(session, now=NOW, models_dir=models, policy=policy)
    same_category = same_unit = dispatched = compared = 0
    for appeal_id, original in copies.items():
        routed = session.get(Appeal, appeal_id)
        assert routed is not None
        if routed.status != AppealStatus.DISPATCHED.value:
            continue
        dispatched += 1
        same_category += routed.category == original.category
        ours, theirs = _first_lead(routed), _first_lead(original)
        if theirs is None:  # the original was answered by the hotline, never dispatched
            continue
        compared += 1
        same_unit += ours == theirs
        if ours != theirs and args.show > 0:
            args.show -= 1
            note = appeal_queries.timeline(session, appeal_id)[-1].note
            print(f"  {original.number} {original.category}: demo {theirs}, ours {ours}: {note}")
    print(f"python {platform.python_version()}, {platform.machine()}, SQLite")
    print(f"run: {run.as_dict()}; second run: {again.as_dict()}")
    each = max(run.scanned, 1)
    print(
        f"job run: {wall:.2f} s wall, {cpu:.2f} s CPU; per appeal "
        f"{wall / each * 1000:.0f} ms wall, {cpu / each * 1000:.0f} ms CPU"
    )
    if dispatched:
        print(
            f"dispatched {dispatched}/{len(copies)}: same category "
            f"{same_category / dispatched:.1%}; same lead unit as the original "
            f"{same_unit / max(compared, 1):.1%} of {compared} originals that were dispatched"
        )
    why: Counter[str] = Counter()
    left = session.scalars(
        select(RoutingAttempt).where(
            RoutingAttempt.outcome.not_in([AttemptOutcome.DISPATCHED, AttemptOutcome.MERGED])
        )
    )
    for attempt in left:
        why[next((name for name, key in WHY if key in attempt.reason), "other")] += 1
    print("left to the dispatcher: " + ", ".join(f"{k} {v}" for k, v in why.most_common()))
    session.close()
    engine.dispose()


if __name__ == "__main__":
    main()
