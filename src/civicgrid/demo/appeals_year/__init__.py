"""A year of appeals for the demo city, created only through the appeal use cases.

:func:`build_appeals_year` draws ``count`` appeals over the twelve months that end at
``year_end`` and walks each through the workflow with the demo users as actors. Every step is an
event on one simulated time line (a heap ordered by time), so the use cases run in the order the
steps would happen in a real year and each receives its own simulated ``now``; steps that would
fall after ``year_end`` never run, which leaves the last weeks' appeals open in whatever status
they reached (pending dispatch, signed, in progress, awaiting review, replied …).

What is drawn, deterministic per seed (``random.Random``, never the wall clock):

- the catalogue item, weighted by category volume (DOMAIN §1.9) and by season — heating in
  winter, flooding and drainage in summer, catkins in spring, snow clearing in winter;
- the appeal type by item (DOMAIN §1.2: about half are inquiries, most of them answered at intake,
  from a knowledge-base article where one fits); the channel (hotline ≈ 85 %, web, 随手拍 with a
  point inside the grid, grid patrol by the grid's worker);
- the intake disposition (direct answer, transfer to 110/119/120/122, legal route, explanation,
  police, 并单 of a duplicate into an open order) or dispatch to the unit the catalogue's owner
  rule gives (:func:`civicgrid.dispatch.routing.route`: the street of the appeal's grid, the
  district's department of the item's kind, the utility serving the place, else the district);
- how the unit handles it: mostly signed, contacted and replied in time, some late; send-backs
  of misrouted orders, extensions, termination, parking, 吹哨报到, 督办 and 催办; the callback
  (mostly 满意, some 基本满意 / 不满意, some reopened) or the grid worker's verification.

Modules: ``actors`` (who acts), ``world`` (the territory as the year sees it), ``arrivals``
(items and receipt times), ``photos``, ``timeline`` (the year's state and time line), the steps
in ``intake``, ``handling`` and ``closing``, and ``build`` (the step table and
:func:`build_appeals_year`).
"""

from __future__ import annotations

from civicgrid.demo.appeals_year.actors import DemoActors, create_demo_actors
from civicgrid.demo.appeals_year.build import (
    DEFAULT_COUNTS,
    RECENT_DAYS,
    YearPlan,
    build_appeals_year,
    plan_year,
)
from civicgrid.demo.appeals_year.timeline import AppealsYearSummary

__all__ = [
    "DEFAULT_COUNTS",
    "RECENT_DAYS",
    "AppealsYearSummary",
    "DemoActors",
    "YearPlan",
    "build_appeals_year",
    "create_demo_actors",
    "plan_year",
]
