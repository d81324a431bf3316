"""JSON API of appeals (``/api/v1/appeals``), split by concept: reference data (knowledge base,
working-day overrides), the appeals as records (intake, list, detail, self-rating, photos) and
the workflow actions driven by the action table.

Routes parse, call one use case and render; every decision is in the use cases and queries.
Errors map to HTTP by ``app.py``: Invalid 422, Forbidden 403, NotFound 404, Conflict 409.
"""

from __future__ import annotations

from fastapi import APIRouter

from civicgrid.appeals.api import actions, records, reference
from civicgrid.appeals.api.deps import PREFIX

router = APIRouter(tags=["appeals"])
# The fixed paths (/knowledge, /calendar/...) before /{appeal_id}, so that they do not collide.
router.include_router(reference.router, prefix=PREFIX)
router.include_router(records.router, prefix=PREFIX)
router.include_router(actions.router, prefix=PREFIX)

__all__ = ["router"]
