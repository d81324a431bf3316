"""Builders for appeals: a world of personas on the mini-territory, and ``make_appeal`` which
walks the real use cases to reach a status (so a fixture is never in a state the workflow
cannot produce)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.appeals import service
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.appeals.states import AppealStatus, EmergencyLine, Satisfaction
from civicgrid.appeals.workflow import Action
from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import LocalMediaStore
from tests.builders.auth import MiniTerritory, make_user

FIELD_KEY = "b2u_3ZQZ8j0yJ6s9f0m7qX2yTqkzG7pB6w0b2uQZ9yQ="


def _photo(fmt: str) -> bytes:
    """A real 8×8 photo, encoded as the intake re-encodes (so a PNG comes back byte-equal)."""
    out = io.BytesIO()
    options: dict[str, Any] = {"optimize": True} if fmt == "PNG" else {"quality": 90}
    Image.new("RGB", (8, 8), (31, 95, 168)).save(out, fmt, **options)
    return out.getvalue()


PNG = _photo("PNG")
JPEG = _photo("JPEG")
MAX_BYTES = 4096


@dataclass
class Persona:
    """A user with one post: the actor for use cases and the token for the API."""

    actor: Actor
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    """The mini-territory with one persona per role, a cipher and a media store."""

    territory: MiniTerritory
    people: dict[str, Persona]
    cipher: FieldCipher
    media: service.MediaPolicy
    tokens: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Persona:
        return self.people[name]

    def actor(self, name: str) -> Actor:
        return self.people[name].actor

    @property
    def street_a(self) -> tuple[str, int]:
        return ("region", self.territory.region(MiniTerritory.STREET_A).id)

    @property
    def street_b(self) -> tuple[str, int]:
        return ("region", self.territory.region(MiniTerritory.STREET_B).id)

    @property
    def department(self) -> tuple[str, int]:
        return ("department", self.territory.department().id)

    @property
    def utility(self) -> tuple[str, int]:
        return ("utility", self.territory.utility().id)

    def region_id(self, code: str) -> int:
        return self.territory.region(code).id


PERSONAS: dict[str, tuple[Role, dict[str, str]]] = {
    "operator": (Role.OPERATOR, {"region_code": MiniTerritory.CITY}),
    "dispatcher": (Role.DISPATCHER, {"region_code": MiniTerritory.CITY}),
    "supervisor": (Role.SUPERVISOR, {"region_code": MiniTerritory.CITY}),
    "leader": (Role.LEADER, {"region_code": MiniTerritory.CITY}),
    "admin": (Role.ADMIN, {}),
    "street_a": (Role.STREET_HANDLER, {"region_code": MiniTerritory.STREET_A}),
    "street_b": (Role.STREET_HANDLER, {"region_code": MiniTerritory.STREET_B}),
    "department": (Role.DEPARTMENT_HANDLER, {"department_code": MiniTerritory.DEPARTMENT}),
    "utility": (Role.UTILITY_HANDLER, {"utility_code": MiniTerritory.UTILITY}),
    "grid_a1": (Role.GRID_WORKER, {"region_code": MiniTerritory.GRID_A1}),
    "grid_a2": (Role.GRID_WORKER, {"region_code": MiniTerritory.GRID_A2}),
    "resident": (Role.RESIDENT, {}),
    "resident2": (Role.RESIDENT, {}),
    "district_b_operator": (Role.OPERATOR, {"region_code": MiniTerritory.DISTRICT_B}),
}


def make_world(session: Session, *, now: datetime, media_root: Path) -> World:
    """The mini-territory and one persona per entry of :data:`PERSONAS`."""
    territory = MiniTerritory(session, now)
    people: dict[str, Persona] = {}
    for name, (role, anchors) in PERSONAS.items():
        user, token = make_user(session, role=role, now=now, **anchors)
        people[name] = Persona(auth_service.actor_for_user(session, user.id), token)
    return World(
        territory=territory,
        people=people,
        cipher=FieldCipher(FIELD_KEY),
        media=service.MediaPolicy(store=LocalMediaStore(media_root), max_bytes=MAX_BYTES),
    )


@dataclass(frozen=True)
class StoredWorld:
    """The personas of a world already built and committed in a database (see
    ``tests/conftest.py``: built once per database, shared by every test that asks for it).
    :meth:`attach` gives a test its :class:`World` over its own session and media folder."""

    people: dict[str, Persona]

    @classmethod
    def build(cls, session: Session, *, now: datetime, media_root: Path) -> StoredWorld:
        """Build the world through the use cases and commit it."""
        world = make_world(session, now=now, media_root=media_root)
        session.commit()
        return cls(people=world.people)

    def attach(self, session: Session, *, media_root: Path) -> World:
        """The world over ``session``. The session starts its transaction here, as it had after
        building the world in the test itself, so a savepoint the test opens later on the same
        connection nests inside it."""
        session.connection()
        return World(
            territory=MiniTerritory.attach(session),
            people=dict(self.people),
            cipher=FieldCipher(FIELD_KEY),
            media=service.MediaPolicy(store=LocalMediaStore(media_root), max_bytes=MAX_BYTES),
        )


def submit(
    session: Session,
    world: World,
    *,
    now: datetime,
    by: str = "operator",
    channel: Channel = Channel.HOTLINE,
    appeal_type: AppealType = AppealType.COMPLAINT,
    title: str = "小区门口占道经营",
    content: str = "每天晚上有商贩占用人行道，行人无法通行。",
    level: UrgencyLevel = UrgencyLevel.GENERAL,
    region_code: str | None = MiniTerritory.COMMUNITY_A1,
    lon: float | None = None,
    lat: float | None = None,
    photos: tuple[bytes, ...] = (),
    caller_name: str = "张三",
    caller_phone: str = "13812345678",
    confidential: bool = False,
) -> Appeal:
    """Record an appeal through the intake use case."""
    return service.submit_appeal(
        session,
        data=service.NewAppeal(
            channel=channel,
            appeal_type=appeal_type,
            title=title,
            content=content,
            level=level,
            region_id=world.region_id(region_code) if region_code else None,
            lon=lon,
            lat=lat,
            photos=photos,
            caller_name=caller_name,
            caller_phone=caller_phone,
            confidential=confidential,
        ),
        actor=world.actor(by),
        cipher=world.cipher,
        media=world.media,
        now=now,
    )


DUPLICATE_TITLE = "幸福路12号院门口垃圾堆放"


def submit_duplicate_pair(
    session: Session, world: World, *, now: datetime
) -> tuple[Appeal, Appeal]:
    """Two appeals of the same problem at the same place from two callers (the second a likely
    duplicate of the first), recorded through the intake use case."""
    first = submit(
        session,
        world,
        now=now,
        title=DUPLICATE_TITLE,
        content="门口垃圾堆放多日无人清运，气味很大，希望尽快处理。",
    )
    again = submit(
        session,
        world,
        now=now,
        title="幸福路12号院垃圾没人清运",
        content="门口垃圾堆放好几天没有清运，气味很大。",
        caller_phone="13900000000",
    )
    return first, again


def make_appeal(
    session: Session,
    *,
    world: World,
    status: AppealStatus = AppealStatus.RECEIVED,
    now: datetime,
    grid: bool = False,
    lead: tuple[str, int] | None = None,
    handler: str | None = None,
    **submit_args: object,
) -> Appeal:
    """An appeal brought to ``status`` through the real use cases, on the hotline flow (or the
    grid loop with ``grid=True``: a patrol report by the grid worker of grid A1)."""
    if grid:
        submit_args.setdefault("by", "grid_a1")
        submit_args.setdefault("channel", Channel.GRID_PATROL)
        submit_args.setdefault("region_code", MiniTerritory.GRID_A1)
        submit_args.setdefault("lon", 116.45)
        submit_args.setdefault("lat", 39.91)
        submit_args.setdefault("photos", (PNG,))
    appeal = submit(session, world, now=now, **submit_args)  # type: ignore[arg-type]
    steps = list(_STEPS[status])
    if grid and steps[-1:] == ["callback"]:
        steps[-1] = "verify"
    lead = lead or world.street_a
    handler = handler or {"region": "street_a", "department": "department"}.get(lead[0], "utility")
    for step in steps:
        _run(session, world, appeal, step, now=now, lead=lead, handler=handler)
    assert appeal.status == status.value, (appeal.status, status)
    return appeal


_S = AppealStatus
_TO_PROGRESS = ["dispatch", "sign", "contact"]
_STEPS: dict[AppealStatus, list[str]] = {
    _S.RECEIVED: [],
    _S.PENDING_DISPATCH: ["accept"],
    _S.DISPATCHED: ["dispatch"],
    _S.SIGNED: ["dispatch", "sign"],
    _S.IN_PROGRESS: _TO_PROGRESS,
    _S.RETURN_REQUESTED: ["dispatch", "request_return"],
    _S.EXTENSION_REQUESTED: [*_TO_PROGRESS, "request_extension"],
    _S.TERMINATION_REQUESTED: [*_TO_PROGRESS, "request_termination"],
    _S.PARK_REQUESTED: [*_TO_PROGRESS, "request_park"],
    _S.PARKED: [*_TO_PROGRESS, "request_park", "approve_park"],
    _S.REPLIED: [*_TO_PROGRESS, "reply"],
    _S.PENDING_VERIFICATION: [*_TO_PROGRESS, "reply"],
    _S.TERMINATED: [*_TO_PROGRESS, "request_termination", "approve_termination"],
    _S.CLOSED: [*_TO_PROGRESS, "reply", "callback"],
    _S.ANSWERED_DIRECTLY: ["answer_directly"],
    _S.TRANSFERRED_EMERGENCY: ["transfer_emergency"],
    _S.REDIRECTED_LEGAL_ROUTE: ["redirect_legal_route"],
    _S.EXPLAINED: ["explain"],
    _S.REFERRED_POLICE: ["refer_police"],
    _S.MERGED: ["merge"],
}


@dataclass(frozen=True)
class _Step:
    """What a builder step needs: the appeal, the time, the lead unit and its handler."""

    session: Session
    world: World
    appeal_id: int
    now: datetime
    lead: tuple[str, int]
    handler: str

    @property
    def operator(self) -> Actor:
        return self.world.actor("operator")

    @property
    def dispatcher(self) -> Actor:
        return self.world.actor("dispatcher")

    @property
    def unit(self) -> Actor:
        return self.world.actor(self.handler)

    def review(self, action: Action, actor: Actor, text: str = "") -> object:
        return service.review_step(
            self.session, appeal_id=self.appeal_id, action=action, text=text, actor=actor,
            now=self.now,
        )  # fmt: skip


def _merge(s: _Step) -> object:
    target = submit(s.session, s.world, now=s.now)
    return service.merge(
        s.session, appeal_id=s.appeal_id, target_number=target.number, actor=s.operator, now=s.now
    )


# One use case call per builder step (the names used in _STEPS).
_RUNNERS: dict[str, Callable[[_Step], object]] = {
    "accept": lambda s: service.accept(
        s.session, appeal_id=s.appeal_id, actor=s.operator, now=s.now
    ),
    "dispatch": lambda s: service.dispatch(
        s.session, appeal_id=s.appeal_id, lead=s.lead, actor=s.dispatcher, now=s.now
    ),
    "sign": lambda s: service.sign(s.session, appeal_id=s.appeal_id, actor=s.unit, now=s.now),
    "contact": lambda s: service.contact(
        s.session, appeal_id=s.appeal_id, note="已电话联系", actor=s.unit, now=s.now
    ),
    "request_return": lambda s: service.request_return(
        s.session, appeal_id=s.appeal_id, reason="不属于本单位职责", actor=s.unit, now=s.now
    ),
    "request_extension": lambda s: service.request_extension(
        s.session,
        appeal_id=s.appeal_id,
        reason="需协调产权单位",
        new_due_at=s.now + timedelta(days=30),
        actor=s.unit,
        now=s.now,
    ),
    "request_termination": lambda s: s.review(
        Action.REQUEST_TERMINATION, s.unit, "诉求人拒绝提供信息"
    ),
    "approve_termination": lambda s: s.review(Action.APPROVE_TERMINATION, s.dispatcher),
    "request_park": lambda s: s.review(Action.REQUEST_PARK, s.unit, "需纳入明年改造计划"),
    "approve_park": lambda s: s.review(Action.APPROVE_PARK, s.dispatcher),
    "reply": lambda s: service.reply(
        s.session, appeal_id=s.appeal_id, text="已清理占道摊位", actor=s.unit, now=s.now
    ),
    "callback": lambda s: service.callback(
        s.session,
        appeal_id=s.appeal_id,
        resolved=True,
        satisfaction=Satisfaction.SATISFIED,
        actor=s.operator,
        now=s.now,
    ),
    "verify": lambda s: service.verify(
        s.session, appeal_id=s.appeal_id, fixed=True, actor=s.world.actor("grid_a1"), now=s.now
    ),
    "answer_directly": lambda s: service.answer_directly(
        s.session,
        appeal_id=s.appeal_id,
        text="办理时间为工作日9点到17点",
        actor=s.operator,
        now=s.now,
    ),
    "transfer_emergency": lambda s: service.transfer_emergency(
        s.session, appeal_id=s.appeal_id, line=EmergencyLine.FIRE, actor=s.operator, now=s.now
    ),
    "redirect_legal_route": lambda s: service.redirect_legal_route(
        s.session, appeal_id=s.appeal_id, text="请向法院起诉", actor=s.operator, now=s.now
    ),
    "explain": lambda s: service.explain(
        s.session, appeal_id=s.appeal_id, text="涉及他人隐私，无法提供", actor=s.operator, now=s.now
    ),
    "refer_police": lambda s: service.refer_police(
        s.session, appeal_id=s.appeal_id, text="反复恶意占线", actor=s.operator, now=s.now
    ),
    "merge": _merge,
}


def _run(
    session: Session,
    world: World,
    appeal: Appeal,
    step: str,
    *,
    now: datetime,
    lead: tuple[str, int],
    handler: str,
) -> None:
    _RUNNERS[step](_Step(session, world, appeal.id, now, lead, handler))


def reloaded(session: Session, appeal_id: int) -> Appeal:
    """The appeal as stored now (the session's cached state dropped first)."""
    session.expire_all()
    appeal = session.get(Appeal, appeal_id)
    assert appeal is not None
    return appeal


def timeline_count(session: Session, appeal_id: int) -> int:
    """How many timeline events the appeal has."""
    stmt = (
        select(func.count()).select_from(TimelineEvent).where(TimelineEvent.appeal_id == appeal_id)
    )
    return int(session.scalar(stmt) or 0)
