"""Shared set-up of the dispatch tests: the shipped catalogue loaded, a real classifier trained
on a few dozen appeals labelled with catalogue codes, and the reference rows routing needs."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session
from tests.builders.appeals import _STEPS, World, _run
from tests.builders.auth import MiniTerritory

from civicgrid.appeals import service as appeal_service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth.actor import Actor
from civicgrid.dispatch import queries, service
from civicgrid.dispatch.artifacts import save_model
from civicgrid.dispatch.classifier import train
from civicgrid.dispatch.places import ParsedAddress, RegionIndex
from civicgrid.dispatch.service.suggest import SharedReads
from civicgrid.territory.models import UtilityServiceArea

SYSTEM = Actor.system("dispatch-tests")
ODD = "无法解析的奇怪文本"
GARBAGE = "010101"  # 暴露垃圾: street
NOISE = "030101"  # 夜间施工噪声: department 城管执法局
WATER = "040101"  # 停水: utility water

PLACES = ["幸福小区", "和平里", "花园社区", "河西新村"]
TOPICS = {
    GARBAGE: ["门口垃圾堆放无人清运", "垃圾桶满了没人清理", "垃圾堆在路边发臭", "垃圾几天没人收"],
    NOISE: ["工地夜间施工噪音扰民", "晚上工地打桩太吵", "夜里施工机器轰鸣", "凌晨还在施工噪声大"],
    WATER: ["突然停水没有通知", "家里没有自来水了", "整栋楼停水一天", "停水了什么时候来水"],
}


def training_rows() -> list[tuple[str, str]]:
    return [
        (f"{place}{phrase}，请尽快处理。", label)
        for label, phrases in TOPICS.items()
        for place, phrase in itertools.product(PLACES, phrases)
    ]


def train_model(models_dir: Path, now: datetime) -> Path:
    """A real calibrated classifier over three catalogue codes, stored as the current model."""
    save_model(train(training_rows()), {}, models_dir=models_dir, now=now, version="t1")
    return models_dir


def load_catalogue(session: Session, now: datetime) -> None:
    service.load_catalogue(session, catalogue=service.default_catalogue(), actor=SYSTEM, now=now)


def serve_water(session: Session, world: World) -> None:
    """Give the mini-territory's water company the whole city as its service area."""
    session.add(
        UtilityServiceArea(
            utility_id=world.territory.utility().id,
            region_id=world.region_id(MiniTerritory.CITY),
        )
    )
    session.commit()


def make_categorised(
    session: Session,
    world: World,
    *,
    now: datetime,
    title: str,
    content: str,
    category: str,
    status: AppealStatus = AppealStatus.CLOSED,
) -> Appeal:
    """An appeal recorded with ``category`` at intake, then walked to ``status`` by the same
    steps as :func:`tests.builders.appeals.make_appeal`."""
    appeal = appeal_service.submit_appeal(
        session,
        data=appeal_service.NewAppeal(
            channel=Channel.HOTLINE,
            appeal_type=AppealType.COMPLAINT,
            title=title,
            content=content,
            category=category,
            region_id=world.region_id(MiniTerritory.COMMUNITY_A1),
            caller_name="张三",
            caller_phone="13812345678",
        ),
        actor=world.actor("operator"),
        cipher=world.cipher,
        media=world.media,
        now=now,
    )
    for step in _STEPS[status]:
        _run(session, world, appeal, step, now=now, lead=world.street_a, handler="street_a")
    assert appeal.status == status.value
    return appeal


class FailingOnOddText(RegionIndex):
    """The territory's real names, whose address parser fails on one text (:data:`ODD`), as a
    third-party parser can on input it does not expect."""

    def __init__(self, session: Session) -> None:
        super().__init__(queries.region_names(session))
        self.calls_on_odd_text = 0

    def parse(self, text: str) -> ParsedAddress:
        if ODD in text:
            self.calls_on_odd_text += 1
            raise UnicodeError(f"cannot parse {text!r}")
        return super().parse(text)

    def reads(self, session: Session) -> SharedReads:
        """What the routing job reads once per run, with this index for the names."""
        return SharedReads(self, queries.catalogue(session))
