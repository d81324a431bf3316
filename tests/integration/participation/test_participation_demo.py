"""The participation demo data builds through the use cases on a community with residents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.auth import MiniTerritory, make_user
from tests.builders.register import make_house, make_resident

from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.participation.consultations.models import Consultation
from civicgrid.participation.demo import build_participation_demo
from civicgrid.participation.volunteers.models import ServiceCertificate, ServiceOrder


def test_demo_data_covers_every_area(session: Session, now: datetime) -> None:
    MiniTerritory(session, now)
    for i in range(14):
        house = make_house(session, grid_code=MiniTerritory.GRID_A1, now=now)
        make_resident(session, house=house, name=f"居民{i}", now=now)
    make_user(session, role=Role.RESIDENT, username="resident", now=now)
    summary = build_participation_demo(session, seed=42, actor=Actor.system("demo"), now=now)
    assert summary.community == "建国里社区"
    assert summary.teams == 5
    assert summary.orders == 6
    statuses = set(session.scalars(select(Consultation.status)))
    assert statuses == {"proposed", "noticed", "implementing", "evaluated"}
    orders = set(session.scalars(select(ServiceOrder.status)))
    assert orders == {"ordered", "assigned", "taken", "served", "confirmed", "rated"}
    assert session.scalar(select(func.count()).select_from(ServiceCertificate)) == 1
