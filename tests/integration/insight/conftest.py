"""Fixtures for the proactive-governance integration tests: the appeals world (personas on the
mini-territory) and a helper that files an appeal at a given time, optionally with a category
and a lead unit, through the real intake and dispatch use cases."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from tests.builders.appeals import StoredWorld, World
from tests.builders.auth import MiniTerritory

from civicgrid.appeals import service as appeals_service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.models import Appeal


@pytest.fixture
def world(session: Session, stored_world: StoredWorld, tmp_path: Path) -> World:
    return stored_world.attach(session, media_root=tmp_path / "media")


def file_appeal(
    session: Session,
    world: World,
    *,
    at: datetime,
    title: str,
    content: str = "",
    category: str = "",
    region_code: str = MiniTerritory.COMMUNITY_A1,
    phone: str = "13812345678",
    lead: tuple[str, int] | None = None,
) -> Appeal:
    """An appeal received at ``at`` (and dispatched to ``lead`` at the same instant)."""
    appeal = appeals_service.submit_appeal(
        session,
        data=appeals_service.NewAppeal(
            channel=Channel.HOTLINE,
            appeal_type=AppealType.COMPLAINT,
            title=title,
            content=content or f"{title}，请尽快处理。",
            category=category,
            region_id=world.region_id(region_code),
            caller_name="王五",
            caller_phone=phone,
        ),
        actor=world.actor("operator"),
        cipher=world.cipher,
        media=world.media,
        now=at,
    )
    if lead is not None:
        appeals_service.dispatch(
            session, appeal_id=appeal.id, lead=lead, actor=world.actor("dispatcher"), now=at
        )
    return appeal
