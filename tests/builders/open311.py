"""Builders for the Open311 server: the shipped dispatch catalogue loaded through its use case,
and client applications made through the key use case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.dispatch import service as dispatch_service
from civicgrid.open311 import service
from civicgrid.open311.models import Open311Client

ADMIN = Actor.system("test-open311")


def load_catalogue(session: Session, now: datetime) -> None:
    """The catalogue shipped with civicgrid, loaded as ``civicgrid catalogue load`` does."""
    dispatch_service.load_catalogue(
        session, catalogue=dispatch_service.default_catalogue(), actor=ADMIN, now=now
    )


def make_client(
    session: Session, now: datetime, *, name: str = "随手拍App", rate_limit: int = 60
) -> tuple[Open311Client, str]:
    """A client application and its plain key."""
    return service.create_client(
        session, name=name, rate_limit_per_minute=rate_limit, actor=ADMIN, now=now
    )
