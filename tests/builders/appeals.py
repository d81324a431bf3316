"""Builders for appeals: a world of personas on the mini-territory, and ``make_appeal`` which
walks the real use cases to reach a status (so a fixture is never in a state the workflow
cannot produce)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

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
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
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
    a = appeal.id
    op, disp, unit = world.actor("operator"), world.actor("dispatcher"), world.actor(handler)
    if step == "accept":
        service.accept(session, appeal_id=a, actor=op, now=now)
    elif step == "dispatch":
        service.dispatch(session, appeal_id=a, lead=lead, actor=disp, now=now)
    elif step == "sign":
        service.sign(session, appeal_id=a, actor=unit, now=now)
    elif step == "contact":
        service.contact(session, appeal_id=a, note="已电话联系", actor=unit, now=now)
    elif step == "request_return":
        service.request_return(session, appeal_id=a, reason="不属于本单位职责", actor=unit, now=now)
    elif step == "request_extension":
        service.request_extension(
            session,
            appeal_id=a,
            reason="需协调产权单位",
            new_due_at=now + timedelta(days=30),
            actor=unit,
            now=now,
        )
    elif step == "request_termination":
        service.review_step(
            session,
            appeal_id=a,
            action=Action.REQUEST_TERMINATION,
            text="诉求人拒绝提供信息",
            actor=unit,
            now=now,
        )
    elif step == "approve_termination":
        service.review_step(
            session, appeal_id=a, action=Action.APPROVE_TERMINATION, actor=disp, now=now
        )
    elif step == "request_park":
        service.review_step(
            session,
            appeal_id=a,
            action=Action.REQUEST_PARK,
            text="需纳入明年改造计划",
            actor=unit,
            now=now,
        )
    elif step == "approve_park":
        service.review_step(session, appeal_id=a, action=Action.APPROVE_PARK, actor=disp, now=now)
    elif step == "reply":
        service.reply(session, appeal_id=a, text="已清理占道摊位", actor=unit, now=now)
    elif step == "callback":
        service.callback(
            session,
            appeal_id=a,
            resolved=True,
            satisfaction=Satisfaction.SATISFIED,
            actor=op,
            now=now,
        )
    elif step == "verify":
        service.verify(session, appeal_id=a, fixed=True, actor=world.actor("grid_a1"), now=now)
    elif step == "answer_directly":
        service.answer_directly(
            session, appeal_id=a, text="办理时间为工作日9点到17点", actor=op, now=now
        )
    elif step == "transfer_emergency":
        service.transfer_emergency(session, appeal_id=a, line=EmergencyLine.FIRE, actor=op, now=now)
    elif step == "redirect_legal_route":
        service.redirect_legal_route(session, appeal_id=a, text="请向法院起诉", actor=op, now=now)
    elif step == "explain":
        service.explain(session, appeal_id=a, text="涉及他人隐私，无法提供", actor=op, now=now)
    elif step == "refer_police":
        service.refer_police(session, appeal_id=a, text="反复恶意占线", actor=op, now=now)
    elif step == "merge":
        target = submit(session, world, now=now)
        service.merge(session, appeal_id=a, target_number=target.number, actor=op, now=now)
    else:  # pragma: no cover - a typo in _STEPS
        raise AssertionError(step)


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
