"""The one shape of a participation JSON route: the actor, the unit of work and the request's
instant come in as one dependency, the route calls one use case with them and answers its
schema. Domain errors are mapped to 4xx by the application (``civicgrid.app``), not here.

``service.start(call.session, project_id=project_id, **call.by)`` passes ``actor`` and ``now``
as keyword arguments; :class:`ActingAs` is a TypedDict, so mypy still checks them against the
use case's signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from civicgrid.auth.actor import ActingAs, Actor
from civicgrid.auth.deps import CurrentActor
from civicgrid.deps import DbSession, Now


@dataclass(frozen=True, slots=True)
class UseCaseCall:
    """The authenticated actor, the request's session and the request's instant."""

    session: Session
    actor: Actor
    now: datetime

    @property
    def by(self) -> ActingAs:
        return {"actor": self.actor, "now": self.now}


def use_case_call(actor: CurrentActor, session: DbSession, now: Now) -> UseCaseCall:
    """FastAPI dependency: 401 without a valid login or token (from ``CurrentActor``)."""
    return UseCaseCall(session=session, actor=actor, now=now)


Call = Annotated[UseCaseCall, Depends(use_case_call)]
