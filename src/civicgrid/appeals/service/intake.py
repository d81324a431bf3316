"""Intake (受理) use cases: record an appeal with its photos, then one of the dispositions of
国办函〔2025〕66号 (DOMAIN §2.2): accept for dispatch, answer from the knowledge base, transfer
to 110/119/120/122, tell the legal route, explain, refer to the police, merge a duplicate.
Each use case is one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.caller import phone_hash, seal
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.deadlines import UrgencyLevel, deadlines_for
from civicgrid.appeals.models import Appeal, Attachment, DailySequence
from civicgrid.appeals.numbering import format_appeal_no, numbering_day
from civicgrid.appeals.service.common import (
    CENTRE,
    SUBJECT,
    flush,
    load_for_action,
    record_change,
    transition,
)
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import INTAKE, Action
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import use_case
from civicgrid.errors import Forbidden, Invalid
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import MediaStore, check_image
from civicgrid.territory import queries as territory_queries
from civicgrid.territory.locate import locate

# Mainland China's extent in WGS 84; a point outside is a typo or a swapped pair.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
MAX_PHOTOS = 9

STAFF_CHANNELS = frozenset({Channel.HOTLINE, Channel.WEB, Channel.API})
RESIDENT_CHANNELS = frozenset({Channel.WEB, Channel.SNAPSHOT})


@dataclass(frozen=True, slots=True, kw_only=True)
class NewAppeal:
    """What intake records (DOMAIN §2.4 五要素: who, when, where, what, how)."""

    channel: Channel
    appeal_type: AppealType
    title: str
    content: str
    level: UrgencyLevel = UrgencyLevel.GENERAL
    category: str = ""
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    region_id: int | None = None
    caller_name: str = ""
    caller_phone: str = ""
    confidential: bool = False
    anonymous: bool = False
    photos: Sequence[bytes] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class MediaPolicy:
    """Where photos go and how large they may be."""

    store: MediaStore
    max_bytes: int


def next_number(session: Session, received_at: datetime) -> str:
    """The next appeal number of the receipt day. Joins the caller's transaction.

    One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement increments the day's counter
    row atomically on SQLite (≥ 3.35) and PostgreSQL, so concurrent intakes never share a number.
    """
    day = numbering_day(received_at)
    dialect = session.get_bind().dialect.name
    stmt: Insert
    if dialect == "postgresql":
        pg = postgresql.insert(DailySequence).values(day=day, last_value=1)
        stmt = pg.on_conflict_do_update(
            index_elements=["day"], set_={"last_value": DailySequence.last_value + 1}
        )
    else:
        lite = sqlite.insert(DailySequence).values(day=day, last_value=1)
        stmt = lite.on_conflict_do_update(
            index_elements=["day"], set_={"last_value": DailySequence.last_value + 1}
        )
    value = session.execute(stmt.returning(DailySequence.last_value)).scalar_one()
    return format_appeal_no(day, int(value))


def check_point(lon: float | None, lat: float | None) -> None:
    """Both coordinates or none, inside mainland China."""
    if (lon is None) != (lat is None):
        raise Invalid(
            "经纬度须同时填写 (give both longitude and latitude)", detail={"field": "lon"}
        )
    if lon is None or lat is None:
        return
    if not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
        raise Invalid(
            f"坐标不在中国境内：({lon}, {lat})，请检查经纬度是否填反 "
            "(coordinates outside China; longitude and latitude swapped?)",
            detail={"field": "lon"},
        )


def add_photos(
    session: Session,
    appeal: Appeal,
    photos: Sequence[bytes],
    *,
    purpose: str,
    media: MediaPolicy,
    actor: Actor,
    now: datetime,
) -> list[Attachment]:
    """Check every photo by content and size first, then store them. Joins the caller's
    transaction (the bytes are content-addressed, so a rollback leaves only a harmless file)."""
    if len(photos) > MAX_PHOTOS:
        raise Invalid(f"最多上传 {MAX_PHOTOS} 张照片 (at most {MAX_PHOTOS} photos)")
    checked = [(data, check_image(data, max_bytes=media.max_bytes)) for data in photos]
    rows = []
    for data, content_type in checked:
        key = media.store.save(data, content_type)
        row = Attachment(
            appeal_id=appeal.id,
            purpose=purpose,
            media_key=key,
            content_type=content_type,
            size_bytes=len(data),
            uploaded_by_user_id=actor.user_id,
            uploaded_at=now,
        )
        session.add(row)
        rows.append(row)
    return rows


def _check_submitter(actor: Actor, channel: Channel) -> Role:
    if channel is Channel.GRID_PATROL:
        if actor.has_role(Role.GRID_WORKER):
            return Role.GRID_WORKER
        raise Forbidden("只有网格员可以上报巡查问题 (only grid workers file patrol reports)")
    if channel in STAFF_CHANNELS:
        for role in sorted(INTAKE):
            if actor.has_role(role):
                return role
    if channel in RESIDENT_CHANNELS and actor.has_role(Role.RESIDENT):
        return Role.RESIDENT
    raise Forbidden(
        f"您不能通过“{channel.label}”渠道登记诉求 (you may not file appeals on channel {channel})"
    )


def _region_for(
    session: Session, data: NewAppeal, actor: Actor, role: Role
) -> tuple[int | None, str]:
    region_id = data.region_id
    if region_id is None and data.lon is not None and data.lat is not None:
        located = locate(session, data.lon, data.lat)
        region_id = located.grid.region_id if located else None
    if region_id is None:
        if role is Role.GRID_WORKER:
            raise Invalid(
                "巡查上报须选择网格 (a patrol report needs its grid)", detail={"field": "region_id"}
            )
        return None, ""
    region = territory_queries.regions_by_ids(session, [region_id]).get(region_id)
    if region is None:
        raise Invalid(f"区域不存在：{region_id} (no such region)", detail={"field": "region_id"})
    if role is Role.GRID_WORKER and not actor.scope.covers_path(region.path):
        raise Forbidden("只能上报本人负责网格内的问题 (report only in your own grids)")
    return region.id, region.path


@use_case
def submit_appeal(
    session: Session,
    *,
    data: NewAppeal,
    actor: Actor,
    cipher: FieldCipher,
    media: MediaPolicy,
    now: datetime,
) -> Appeal:
    """Record a new appeal (status ``received``) with its number, dispatch deadline and photos.

    Operators and dispatchers file hotline, web and API appeals; residents file web and 随手拍
    (photo + location required) appeals about themselves; grid workers file patrol reports
    (photo + GPS, inside their grids), which follow the grid loop. Raises Forbidden / Invalid.
    """
    role = _check_submitter(actor, data.channel)
    title = data.title.strip()
    content = data.content.strip()
    if not title or not content:
        raise Invalid(
            "请填写诉求标题和内容 (title and content are required)", detail={"field": "content"}
        )
    check_point(data.lon, data.lat)
    if data.channel in (Channel.SNAPSHOT, Channel.GRID_PATROL):
        if not data.photos:
            raise Invalid(
                f"“{data.channel.label}”须附照片 (a {data.channel} report needs a photo)",
                detail={"field": "photos"},
            )
        if data.lon is None:
            raise Invalid(
                f"“{data.channel.label}”须带定位 (a {data.channel} report needs its location)",
                detail={"field": "lon"},
            )
    if data.anonymous and data.confidential:
        raise Invalid("匿名诉求无需再设保密 (an anonymous appeal cannot also be confidential)")
    region_id, region_path = _region_for(session, data, actor, role)
    caller_name, caller_phone = data.caller_name.strip(), data.caller_phone.strip()
    if data.anonymous:
        caller_name, caller_phone = "", ""
    elif role is Role.RESIDENT and not caller_name:
        caller_name = actor.display_name
    calendar = queries.load_calendar(session)
    due = deadlines_for(data.level, received_at=now, dispatched_at=None, calendar=calendar)
    appeal = Appeal(
        number=next_number(session, now),
        channel=data.channel.value,
        flow=data.channel.flow.value,
        appeal_type=data.appeal_type.value,
        status=AppealStatus.RECEIVED.value,
        level=data.level.value,
        title=title[:200],
        content=content,
        category=data.category.strip(),
        address=data.address.strip(),
        lon=data.lon,
        lat=data.lat,
        region_id=region_id,
        region_path=region_path,
        caller_name_enc=seal(cipher, caller_name),
        caller_phone_enc=seal(cipher, caller_phone),
        caller_phone_hash=phone_hash(cipher, caller_phone),
        confidential=data.confidential,
        anonymous=data.anonymous,
        resident_user_id=actor.user_id if role is Role.RESIDENT else None,
        created_by_user_id=actor.user_id,
        reporter_grid_id=region_id if role is Role.GRID_WORKER else None,
        received_at=now,
        dispatch_due_at=due.dispatch_due,
    )
    session.add(appeal)
    flush(session)
    photos = add_photos(
        session, appeal, data.photos, purpose="report", media=media, actor=actor, now=now
    )
    record_change(
        session,
        appeal,
        action="submit",
        actor=actor,
        role=role,
        now=now,
        from_status="",
        note=f"{data.channel.label}受理：{title}",
        detail={"channel": data.channel.value, "photos": len(photos), "level": data.level.value},
        notify=[CENTRE],
        subject=f"新诉求 {appeal.number}：{title}"[:200],
    )
    return appeal


@use_case
def accept(
    session: Session,
    *,
    appeal_id: int,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """受理转派: accept the appeal for dispatch (``received`` → ``pending_dispatch``)."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    transition(session, appeal, Action.ACCEPT, actor=actor, now=now, notify=[CENTRE])
    return appeal


__all__ = [
    "SUBJECT",
    "MediaPolicy",
    "NewAppeal",
    "accept",
    "add_photos",
    "check_point",
    "next_number",
    "submit_appeal",
]
