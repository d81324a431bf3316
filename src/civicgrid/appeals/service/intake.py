"""Intake (受理) use cases: record an appeal with its photos, then one of the dispositions of
国办函〔2025〕66号 (DOMAIN §2.2): accept for dispatch, answer from the knowledge base, transfer
to 110/119/120/122, tell the legal route, explain, refer to the police, merge a duplicate.
Each use case is one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    Insert,
    Table,
    bindparam,
    false,
    func,
    insert,
    literal_column,
    null,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from civicgrid.appeals.calendar import WorkingCalendar
from civicgrid.appeals.caller import phone_hash, seal
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.deadlines import (
    DEFAULT_SLA_TABLE,
    LimitUnit,
    UrgencyLevel,
    deadlines_for,
)
from civicgrid.appeals.models import Appeal, Attachment, DailySequence, TimelineEvent
from civicgrid.appeals.numbering import format_appeal_no, numbering_day
from civicgrid.appeals.service.calendar_admin import working_calendar
from civicgrid.appeals.service.common import (
    CENTRE,
    SUBJECT,
    link,
    load_for_action,
    transition,
)
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import INTAKE, Action
from civicgrid.audit import service as audit
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import use_case
from civicgrid.errors import Forbidden, Invalid
from civicgrid.events.catalogue import EventType
from civicgrid.events.emit import AppealChange, event_params
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import MediaStore, clean_image
from civicgrid.notify.service import enqueue_params, enqueue_statement
from civicgrid.territory import queries as territory_queries
from civicgrid.territory.locate import CACHE as LOCATE_CACHE

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
    """Where photos go and how large they may be: each photo, and all photos of one appeal."""

    store: MediaStore
    max_bytes: int
    max_photos_per_appeal: int = 30
    max_bytes_per_appeal: int = 100 * 1024 * 1024


def _check_appeal_totals(
    session: Session, appeal: Appeal, photos: Sequence[bytes], media: MediaPolicy
) -> None:
    """Refuse photos that would take the appeal past its count or byte cap (Invalid)."""
    count, size = session.execute(
        select(func.count(), func.coalesce(func.sum(Attachment.size_bytes), 0)).where(
            Attachment.appeal_id == appeal.id
        )
    ).one()
    if count + len(photos) > media.max_photos_per_appeal:
        raise Invalid(f"每件诉求最多 {media.max_photos_per_appeal} 张照片，已有 {count} 张")
    total = int(size) + sum(len(p) for p in photos)
    if total > media.max_bytes_per_appeal:
        raise Invalid(
            f"照片总大小将达 {total / 1048576:.1f} MB，每件诉求上限 "
            f"{media.max_bytes_per_appeal / 1048576:.1f} MB"
        )


def _next_number_statement(dialect: str) -> ReturningInsert[int]:
    # On the table, not the mapped class: an ORM-enabled INSERT goes through the ORM's bulk
    # machinery, which cost as much CPU as the whole appeal INSERT.
    table = cast(Table, DailySequence.__table__)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(day=bindparam("day", type_=Date), last_value=1)
    return stmt.on_conflict_do_update(
        index_elements=["day"], set_={"last_value": table.c.last_value + 1}
    ).returning(table.c.last_value)


# Built once per dialect (constructing the statement cost as much as running it).
_NEXT_NUMBER = {name: _next_number_statement(name) for name in ("postgresql", "sqlite")}


def next_number(session: Session, received_at: datetime) -> str:
    """The next appeal number of the receipt day. Joins the caller's transaction.

    One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement increments the day's counter
    row atomically on SQLite (≥ 3.35) and PostgreSQL, so concurrent intakes never share a number.
    """
    day = numbering_day(received_at)
    dialect = session.get_bind().dialect.name
    stmt = _NEXT_NUMBER["postgresql" if dialect == "postgresql" else "sqlite"]
    value = session.execute(stmt, {"day": day}).scalar_one()
    return format_appeal_no(day, int(value))


def check_point(lon: float | None, lat: float | None) -> None:
    """Both coordinates or none, inside mainland China."""
    if (lon is None) != (lat is None):
        raise Invalid("经纬度须同时填写", detail={"field": "lon"})
    if lon is None or lat is None:
        return
    if not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
        raise Invalid(
            f"坐标不在中国境内：({lon}, {lat})，请检查经纬度是否填反",
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
        raise Invalid(f"最多上传 {MAX_PHOTOS} 张照片")
    checked = [clean_image(data, max_bytes=media.max_bytes) for data in photos]
    if checked:
        _check_appeal_totals(session, appeal, [data for data, _ in checked], media)
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
    if channel is Channel.OPEN311:
        # Filed only by the Open311 gateway, which acts as a system actor (no user account)
        # naming the client application; a logged-in user cannot claim this channel.
        if actor.user_id is None and actor.has_role(*INTAKE):
            return Role.OPERATOR
        raise Forbidden("只有 Open311 接口可以使用该渠道")
    if channel is Channel.GRID_PATROL:
        if actor.has_role(Role.GRID_WORKER):
            return Role.GRID_WORKER
        raise Forbidden("只有网格员可以上报巡查问题")
    if channel in STAFF_CHANNELS:
        for role in sorted(INTAKE):
            if actor.has_role(role):
                return role
    if channel in RESIDENT_CHANNELS and actor.has_role(Role.RESIDENT):
        return Role.RESIDENT
    raise Forbidden(f"您不能通过“{channel.label}”渠道登记诉求")


def _region_for(
    session: Session, data: NewAppeal, actor: Actor, role: Role
) -> tuple[int | None, str]:
    """The region the appeal lies in (the one given, else the grid holding its point) with
    its materialised path. A point is looked up in the process-wide grid index, which carries
    the grids' paths, so it costs no query; a given region costs one indexed read."""
    region_id = data.region_id
    path = None
    if region_id is None and data.lon is not None and data.lat is not None:
        found = LOCATE_CACHE.index(session).locate_grid(data.lon, data.lat)
        if found is not None:
            region_id, path = found
    elif region_id is not None:
        path = territory_queries.region_paths(session, [region_id]).get(region_id)
        if path is None:
            raise Invalid(f"区域不存在：{region_id}", detail={"field": "region_id"})
    if region_id is None or path is None:  # outside every grid
        if role is Role.GRID_WORKER:
            raise Invalid("巡查上报须选择网格", detail={"field": "region_id"})
        return None, ""
    if role is Role.GRID_WORKER and not actor.scope.covers_path(path):
        raise Forbidden(
            "只能上报本人负责网格内的问题：请选择您负责的网格，或在该网格内点选位置",
            detail={"field": "region_id"},
        )
    return region_id, path


def _calendar_for(session: Session, level: UrgencyLevel) -> WorkingCalendar:
    """The working calendar when the level's dispatch limit counts working days; otherwise
    the limit runs round the clock and the override table need not be read."""
    limit = DEFAULT_SLA_TABLE.rule(level).dispatch
    if limit is not None and limit.unit is LimitUnit.WORKING_DAYS:
        return working_calendar(session)
    return WorkingCalendar()


def _record_submission(
    session: Session,
    appeal: Appeal,
    *,
    title: str,
    role: Role,
    actor: Actor,
    now: datetime,
    photos: int,
) -> None:
    """Timeline event, outbox messages (the centre's and the ``appeal.created`` event) and
    audit row of a new appeal, as
    :func:`~civicgrid.appeals.service.common.record_change` writes them for other changes, but
    as Core INSERTs without ORM objects (intake does not need the rows back, and the unit of
    work's bookkeeping cost more than the inserts): on PostgreSQL one statement whose three
    data-modifying CTEs write the event and the two messages, elsewhere four statements. The
    statements are built once and compiled once (:data:`_SUBMISSION`). Joins the caller's
    transaction."""
    channel = Channel(appeal.channel)
    note = f"{channel.label}受理：{title}"
    detail = {"channel": channel.value, "photos": photos, "level": appeal.level}
    params = {
        "t_appeal_id": appeal.id,
        "t_at": now,
        "t_action": "submit",
        "t_from_status": "",
        "t_to_status": appeal.status,
        "t_actor_user_id": actor.user_id,
        "t_actor_label": actor.label,
        "t_actor_role": role.value,
        "t_note": note,
        "t_detail": detail,
        **enqueue_params(
            "o_",
            recipient=CENTRE,
            subject=f"新诉求 {appeal.number}：{title}",
            body=note,
            link=link(appeal),
            now=now,
        ),
        **event_params(
            "e_",
            EventType.CREATED,
            AppealChange(
                appeal_id=appeal.id,
                number=appeal.number,
                action="submit",
                from_status="",
                to_status=appeal.status,
                detail=detail,
                now=now,
            ),
        ),
        **audit.append_params(
            "a_",
            actor=actor,
            action="appeal.submit",
            subject_type=SUBJECT,
            subject_id=appeal.id,
            now=now,
            reason=note[:500],
            detail={"number": appeal.number, "from": "", "to": appeal.status, **detail},
        ),
    }
    dialect = session.get_bind().dialect.name
    for stmt in _SUBMISSION["postgresql" if dialect == "postgresql" else "sqlite"]:
        session.execute(stmt, params)


_TIMELINE_COLUMNS = (
    "appeal_id",
    "at",
    "action",
    "from_status",
    "to_status",
    "actor_user_id",
    "actor_label",
    "actor_role",
    "note",
    "detail",
)


def _submission_statements(dialect: str) -> tuple[Insert, ...]:
    table = cast(Table, TimelineEvent.__table__)
    values = {c: bindparam("t_" + c, type_=table.c[c].type) for c in _TIMELINE_COLUMNS}
    event = insert(table).values(values).inline()
    # The centre's message and the outbound event, one INSERT each: a multi-row VALUES insert
    # has no cache key in SQLAlchemy, so it (and a statement holding it) would be compiled
    # again on every intake.
    message = enqueue_statement("o_")
    outbound = enqueue_statement("e_")
    entry = audit.append_statement("a_")
    if dialect == "postgresql":
        return (
            entry.add_cte(
                event.cte("new_event"), message.cte("new_message"), outbound.cte("new_outbound")
            ),
        )
    return (event, message, outbound, entry)


# Built once per dialect, like the number statement.
_SUBMISSION = {name: _submission_statements(name) for name in ("postgresql", "sqlite")}


_APPEAL = cast(Table, Appeal.__table__)
# The columns intake fills for each appeal (keyword arguments of :func:`_insert_appeal`), and
# ``version``, which starts at 1 as the ORM's version counter does.
_INTAKE_COLUMNS = (
    "number",
    "channel",
    "flow",
    "appeal_type",
    "status",
    "level",
    "title",
    "content",
    "category",
    "address",
    "lon",
    "lat",
    "region_id",
    "region_path",
    "caller_name_enc",
    "caller_phone_enc",
    "caller_phone_hash",
    "confidential",
    "anonymous",
    "resident_user_id",
    "created_by_user_id",
    "reporter_grid_id",
    "received_at",
    "dispatch_due_at",
    "version",
)


def _column_default(column: Column[Any]) -> object:
    """The model's default of a column intake does not fill (None: NULL). Only constant
    defaults can be written into the statement once; a computed one must become an intake
    column."""
    default = column.default
    if default is None and column.server_default is not None:
        raise TypeError(f"appeal.{column.key}: intake would write NULL over the server default")
    if default is None:
        return None
    if not isinstance(default, ScalarElementColumnDefault):
        raise TypeError(f"appeal.{column.key}: intake needs a constant default or a value")
    return default.arg


# Every other column with the model's default: a new appeal is in the state the ORM would
# have inserted, and the defaults stay defined once, on the model.
_APPEAL_DEFAULTS = {
    c.key: _column_default(c)
    for c in _APPEAL.columns
    if not c.primary_key and c.key not in _INTAKE_COLUMNS
}


def _constant(column: Column[Any]) -> ColumnElement[Any]:
    """The model's default of ``column`` as an SQL constant (the same text on both engines)."""
    default = _APPEAL_DEFAULTS[column.key]
    if default is None:
        return null()
    if isinstance(default, bool):
        return true() if default else false()
    if isinstance(default, int):
        return literal_column(str(default), column.type)
    if isinstance(default, str):
        return literal_column("'" + default.replace("'", "''") + "'", column.type)
    raise TypeError(f"appeal.{column.key}: no SQL constant for the default {default!r}")


def _appeal_insert_statement() -> ReturningInsert[tuple[int]]:
    """``INSERT INTO appeal … RETURNING id`` with a bind parameter per intake column and the
    other columns' defaults as SQL constants. Under 50 parameters, so psycopg caches its parsed
    form (it re-parses statements with more on every execution)."""
    values = {
        column.key: bindparam("v_" + column.key, type_=column.type)
        if column.key in _INTAKE_COLUMNS
        else _constant(column)
        for column in _APPEAL.columns
        if not column.primary_key
    }
    return insert(_APPEAL).values(values).returning(_APPEAL.c.id)


# Built once, like the number statement.
_INSERT_APPEAL = _appeal_insert_statement()
_APPEAL_CLASS = Appeal.__mapper__.class_manager


def _insert_appeal(session: Session, **values: Any) -> Appeal:
    """Write a new appeal with one Core ``INSERT … RETURNING id`` and give it back as a
    persistent ORM object in ``session``, as if the ORM had inserted it (every column loaded,
    no units yet, ``version`` 1), so the rest of the request and later use cases work with it
    as usual. Joins the caller's transaction.

    The ORM's unit of work (flush) cost more CPU than everything else intake does in SQL."""
    values["version"] = 1
    params = {"v_" + key: value for key, value in values.items()}
    values["id"] = session.execute(_INSERT_APPEAL, params).scalar_one()
    # The object is filled as the ORM's loading fills a row it read (the state's dict directly,
    # without the attribute events of ``Appeal(**values)``, which cost four times as much),
    # then made persistent with every column loaded and an empty, loaded list of units.
    appeal: Appeal = _APPEAL_CLASS.new_instance()
    loaded = appeal.__dict__
    loaded.update(_APPEAL_DEFAULTS)
    loaded.update(values)
    set_committed_value(appeal, "units", [])
    make_transient_to_detached(appeal)
    session.add(appeal)
    return appeal


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
    (photo + GPS, inside their grids), which follow the grid loop; the Open311 gateway files
    ``open311`` appeals as a system actor. Raises Forbidden / Invalid.
    """
    return submit_joined(session, data=data, actor=actor, cipher=cipher, media=media, now=now)


def submit_joined(
    session: Session,
    *,
    data: NewAppeal,
    actor: Actor,
    cipher: FieldCipher,
    media: MediaPolicy,
    now: datetime,
) -> Appeal:
    """The intake of :func:`submit_appeal`, for a use case that records more beside the new
    appeal in the same transaction (the Open311 gateway records which application sent it).
    Joins the caller's transaction."""
    role = _check_submitter(actor, data.channel)
    title = data.title.strip()
    content = data.content.strip()
    if not title or not content:
        raise Invalid("请填写诉求标题和内容", detail={"field": "content"})
    check_point(data.lon, data.lat)
    if data.channel in (Channel.SNAPSHOT, Channel.GRID_PATROL):
        if not data.photos:
            raise Invalid(
                f"“{data.channel.label}”须附照片",
                detail={"field": "photos"},
            )
        if data.lon is None:
            raise Invalid(
                f"“{data.channel.label}”须带定位",
                detail={"field": "lon"},
            )
    if data.anonymous and data.confidential:
        raise Invalid("匿名诉求无需再设保密")
    region_id, region_path = _region_for(session, data, actor, role)
    caller_name, caller_phone = data.caller_name.strip(), data.caller_phone.strip()
    if data.anonymous:
        caller_name, caller_phone = "", ""
    elif role is Role.RESIDENT and not caller_name:
        caller_name = actor.display_name
    calendar = _calendar_for(session, data.level)
    due = deadlines_for(data.level, received_at=now, dispatched_at=None, calendar=calendar)
    appeal = _insert_appeal(
        session,
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
    photos = add_photos(
        session, appeal, data.photos, purpose="report", media=media, actor=actor, now=now
    )
    _record_submission(
        session, appeal, title=title, role=role, actor=actor, now=now, photos=len(photos)
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
    "submit_joined",
]
