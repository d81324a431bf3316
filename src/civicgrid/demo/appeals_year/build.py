"""Building the year: the whole step table on one time line, and :func:`build_appeals_year`,
which draws the year's arrivals and runs every step that falls inside the year."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.appeals import service
from civicgrid.appeals.models import Appeal
from civicgrid.clock import BEIJING
from civicgrid.demo.appeals_year.actors import DemoActors
from civicgrid.demo.appeals_year.arrivals import item_tables, receipt_times
from civicgrid.demo.appeals_year.closing import ClosingSteps
from civicgrid.demo.appeals_year.handling import HandlingSteps
from civicgrid.demo.appeals_year.intake import IntakeSteps
from civicgrid.demo.appeals_year.timeline import AppealsYearSummary, Step
from civicgrid.demo.appeals_year.world import load_world
from civicgrid.dispatch.catalogue import Catalogue, load_default_catalogue
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import LocalMediaStore

# Appeals per scale when the caller does not say: a year's volume for the small city
# (≈ 20,000, about 55 a day, ≈ 5.3 use cases each), a couple of hundred for the tiny test city,
# none for the benchmark city. docs/benchmarks.md has what building them costs.
DEFAULT_COUNTS = {"tiny": 200, "small": 20_000, "city": 0}


class Year(IntakeSteps, HandlingSteps, ClosingSteps):
    """The demo year with every step it schedules."""

    def step_table(self) -> Mapping[str, Step]:
        return {
            # intake
            "accept": self._accept,
            # handling
            "dispatch": self._dispatch,
            "sign": self._sign,
            "request_return": self._request_return,
            "decide_return": self._decide_return,
            "contact": self._contact,
            "whistle": self._whistle,
            "arrival": self._arrival,
            "handle": self._handle,
            "decide_extension": self._decide_extension,
            "decide_termination": self._decide_termination,
            "decide_park": self._decide_park,
            "unpark": self._unpark,
            "remind": self._remind,
            "reply": self._reply,
            # closing
            "callback": self._callback,
            "callback_answer": self._callback_answer,
            "verify": self._verify,
            "close_disposed": self._close_disposed,
        }


# The recent weeks are built with the rest of the city (the open orders a visitor tries are
# among them); the months before can follow later (``civicgrid demo-history``).
RECENT_DAYS = 14
PARTS = ("recent", "history")


@dataclass(frozen=True)
class YearPlan:
    """When the year's appeals arrive, split at ``recent_from`` (a Beijing midnight) into the
    recent weeks and the history before them. Drawn from its own random stream, so both parts
    see the same receipt times whichever is built first and whenever."""

    start: datetime
    end: datetime
    recent_from: datetime
    recent: list[datetime]
    history: list[datetime]

    @property
    def total(self) -> int:
        return len(self.recent) + len(self.history)

    def times(self, part: str) -> list[datetime]:
        """The receipt times of ``part`` (``recent`` or ``history``), in time order."""
        if part not in PARTS:
            raise ValueError(f"unknown part of the demo year: {part!r}")
        return self.recent if part == "recent" else self.history


def plan_year(
    *, seed: int, scale: str, year_end: datetime, count: int | None = None,
    recent_days: int = RECENT_DAYS,
) -> YearPlan:  # fmt: skip
    """The receipt times of ``count`` appeals (default per scale, :data:`DEFAULT_COUNTS`) over
    the year that ends at ``year_end``, split ``recent_days`` before its end."""
    total = DEFAULT_COUNTS.get(scale, 0) if count is None else count
    end = year_end.astimezone(BEIJING)
    start = end - timedelta(days=365)
    recent_from = (end - timedelta(days=recent_days)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    rng = random.Random(f"civicgrid-appeals-{seed}-{scale}-arrivals")
    times = receipt_times(rng, start, end, total) if total > 0 else []
    return YearPlan(
        start=start,
        end=end,
        recent_from=recent_from,
        recent=[t for t in times if t >= recent_from],
        history=[t for t in times if t < recent_from],
    )


def build_appeals_year(
    session: Session,
    *,
    seed: int,
    scale: str,
    plan: YearPlan,
    part: str,
    actors: DemoActors,
    field_key: str,
    media_dir: Path,
    addresses: Mapping[str, Sequence[str]] | None = None,
    catalogue: Catalogue | None = None,
    progress: Callable[[int, int], None] | None = None,
    progress_every: int = 50,
    tolerant: bool = False,
) -> AppealsYearSummary:
    """Create the appeals of one ``part`` of the ``plan`` (``recent`` or ``history``), each
    walked through the use cases as far as the simulated year allows; ``recent`` also creates
    the knowledge base, ``history`` finds it in the database.

    ``addresses`` maps a grid code to register addresses used as the appeals' places;
    ``media_dir`` receives the photos of 随手拍 and patrol reports; ``progress(done, total)``
    hears about every ``progress_every`` appeals (and the last). Runs inside the caller's
    outer transaction (:func:`civicgrid.demo.builder.build_session`), or, with ``tolerant``,
    while people use the city (:func:`civicgrid.demo.builder.build_demo_history`): a step that
    someone else's action made impossible drops that appeal's remaining steps instead of
    failing the build."""
    times = plan.times(part)
    summary = AppealsYearSummary()
    if not times:
        return summary
    rng = random.Random(f"civicgrid-appeals-{seed}-{scale}-{part}")
    catalogue = catalogue or load_default_catalogue()
    year = Year(
        session,
        rng=rng,
        actors=actors,
        world=load_world(session, addresses or {}),
        catalogue=catalogue,
        cipher=FieldCipher(field_key),
        media=service.MediaPolicy(store=LocalMediaStore(media_dir), max_bytes=1 << 20),
        start=plan.start,
        end=plan.end,
        summary=summary,
        tolerant=tolerant,
    )
    if part == "recent":
        year.create_knowledge(plan.start - timedelta(days=3))
    else:
        year.load_knowledge()
    leaves, tables = item_tables(catalogue)
    total = len(times)
    for n, at in enumerate(times, start=1):
        year.run_until(at)
        item = rng.choices(leaves, cum_weights=tables[at.month])[0]
        year.submit(item, at)
        if progress is not None and (n % progress_every == 0 or n == total):
            progress(n, total)
    year.run_until(plan.end)
    session.expunge_all()
    ids = list(year.cases)
    for start_at in range(0, len(ids), 900):
        chunk = ids[start_at : start_at + 900]
        for status, n in session.execute(
            select(Appeal.status, func.count()).where(Appeal.id.in_(chunk)).group_by(Appeal.status)
        ):
            summary.by_status[str(status)] += int(n)
    return summary
