"""The demo year's state and its simulated time line.

Every step of every appeal is an event on one time line (a heap ordered by time): the use cases
run in the order the steps would happen in a real year, each with its own simulated ``now``, and
a step that would fall after the year's end never runs. The step mixins (``intake``,
``handling``, ``closing``) add the steps; :class:`civicgrid.demo.appeals_year.build.Year` lists
them by name.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from civicgrid.appeals import service
from civicgrid.appeals.channels import Flow
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth.actor import Actor
from civicgrid.demo.appeals_year.actors import DemoActors
from civicgrid.demo.appeals_year.world import GridSpot, World
from civicgrid.dispatch.catalogue import Catalogue, CatalogueItem
from civicgrid.errors import DomainError
from civicgrid.kit.crypto import FieldCipher


@dataclass
class AppealsYearSummary:
    """What the year produced."""

    created: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_action: Counter[str] = field(default_factory=Counter)
    satisfaction: Counter[str] = field(default_factory=Counter)
    knowledge_articles: int = 0
    dropped: int = 0
    """Appeals whose remaining steps were dropped because someone acted on them meanwhile."""


@dataclass
class Case:
    """One appeal's plan and progress."""

    id: int
    number: str
    item: CatalogueItem
    grid: GridSpot | None
    flow: Flow
    level: UrgencyLevel
    received_at: datetime
    target: tuple[str, int] | None = None
    lead: tuple[str, int] | None = None
    reporter: Actor | None = None
    misrouted: bool = False
    slow: bool = False
    finish_due: datetime | None = None
    response_due: datetime | None = None
    dispatched_at: datetime | None = None
    rounds: int = 0
    whistled: bool = False
    extended: bool = False
    parked: bool = False
    status: str = AppealStatus.RECEIVED.value
    arrivals: list[tuple[int, int]] = field(default_factory=list)
    dropped: bool = False
    """Someone else acted on the appeal while the year was being built (``tolerant``)."""
    appeal: Appeal | None = None
    """The appeal row while the case is open: holding it keeps it in the session's identity map,
    so the next use case's load finds it there instead of building it (and its units) again."""


Step = Callable[[Case, datetime], None]


class Timeline:
    """The year's shared state: the cases by appeal id, the open ones by street (for 并单), the
    knowledge articles by category, the routing decisions already made, and the time line."""

    def __init__(
        self,
        session: Session,
        *,
        rng: random.Random,
        actors: DemoActors,
        world: World,
        catalogue: Catalogue,
        cipher: FieldCipher,
        media: service.MediaPolicy,
        start: datetime,
        end: datetime,
        summary: AppealsYearSummary,
        tolerant: bool = False,
    ) -> None:
        self.session = session
        self.tolerant = tolerant
        self.rng = rng
        self.actors = actors
        self.world = world
        self.catalogue = catalogue
        self.cipher = cipher
        self.media = media
        self.start = start
        self.end = end
        self.summary = summary
        self.queue: list[tuple[datetime, int, int, str]] = []
        self.cases: dict[int, Case] = {}
        self.seq = 0
        self.open_by_street: dict[int, list[Case]] = {}
        self.articles: dict[str, list[int]] = {}
        self.routes: dict[tuple[str, int], tuple[str, int] | None] = {}
        self.patrol_grids = [g for g in world.grids if g.id in actors.grid_workers]
        self.steps = self.step_table()

    def step_table(self) -> Mapping[str, Step]:
        """The steps the time line runs, by the name :meth:`later` schedules them under."""
        raise NotImplementedError

    # -- scheduling -------------------------------------------------------------------------

    def later(self, case: Case, at: datetime, step: str) -> None:
        """Schedule ``step`` of ``case`` at ``at``, unless that is after the year's end."""
        if at >= self.end:
            return
        self.seq += 1
        heapq.heappush(self.queue, (at, self.seq, case.id, step))

    def run_until(self, moment: datetime) -> None:
        """Run every step due by ``moment``, in time order (then in the order scheduled)."""
        while self.queue and self.queue[0][0] <= moment:
            at, _, case_id, step = heapq.heappop(self.queue)
            case = self.cases[case_id]
            if case.dropped:
                continue
            if not self.tolerant:
                self.steps[step](case, at)
            elif not self._tolerated(case, step, at):
                continue
            self.summary.by_action[step] += 1

    def _tolerated(self, case: Case, step: str, at: datetime) -> bool:
        """Run ``step`` of ``case``; when someone acted on the appeal meanwhile (the step is no
        longer allowed, or the row changed under it), drop the case's remaining steps. The use
        case rolled its own transaction (or SAVEPOINT) back; the appeal stays as the other
        person left it."""
        try:
            self.steps[step](case, at)
        except (DomainError, StaleDataError):
            if self.session.in_transaction():  # raised outside a use case (which rolls back)
                self.session.rollback()
            case.dropped = True
            self.summary.dropped += 1
            self._forget(case)
            return False
        return True

    def note(self, case: Case, appeal: Appeal) -> None:
        """Record the status a use case left the appeal in; a closed case is forgotten."""
        case.status = appeal.status
        if AppealStatus(appeal.status).terminal:
            self._forget(case)

    def _forget(self, case: Case) -> None:
        case.appeal = None
        if case.grid is None:
            return
        bucket = self.open_by_street.get(case.grid.street.id)
        if bucket and case in bucket:
            bucket.remove(case)
