"""Use cases of the Open311 server: client applications and their keys, and filing a request
through the intake of every channel (``appeals.service.intake.submit_joined``) with the record
of which application sent it, in one transaction."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid.appeals.caller import seal
from civicgrid.appeals.channels import Channel
from civicgrid.appeals.service.intake import MediaPolicy, NewAppeal, submit_joined
from civicgrid.audit import service as audit
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.auth.scope import GLOBAL_SCOPE
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.kit.crypto import FieldCipher
from civicgrid.open311 import queries, rules
from civicgrid.open311.models import Open311Client, Open311Request
from civicgrid.register import queries as register_queries

KEY_PREFIX: Final = "o311_"
SUBJECT: Final = "open311_client"
DEFAULT_RATE_LIMIT: Final = 60
MAX_RATE_LIMIT: Final = 100_000
_SHOWN_PREFIX = 12


def key_hash(key: str) -> str:
    """The stored form of an API key (SHA-256: keys are 256-bit random, not passwords)."""
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def gateway_actor(client: Open311Client) -> Actor:
    """The system actor the gateway files a client's requests as: no user account, the
    application's name in the timeline and audit rows."""
    return Actor(
        user_id=None,
        username="open311",
        display_name=client.name,
        roles=frozenset({Role.OPERATOR}),
        scope=GLOBAL_SCOPE,
    )


# --- client applications --------------------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("只有系统管理员可以管理 Open311 客户端 (administrators only)")


@use_case
def create_client(
    session: Session, *, name: str, rate_limit_per_minute: int, actor: Actor, now: datetime
) -> tuple[Open311Client, str]:
    """A new client application and its key (returned once in plain text, stored hashed).
    Administrators only. Raises Forbidden, Invalid (empty or long name, bad limit) or
    Conflict (the name is taken)."""
    _require_admin(actor)
    name = name.strip()
    if not name or len(name) > 100:
        raise Invalid("客户端名称须为 1–100 个字符 (name: 1–100 characters)")
    if not 1 <= rate_limit_per_minute <= MAX_RATE_LIMIT:
        raise Invalid(
            f"每分钟限额须为 1–{MAX_RATE_LIMIT} (rate limit per minute: 1–{MAX_RATE_LIMIT})"
        )
    if queries.find_client_by_name(session, name) is not None:
        raise Conflict(f"客户端名称已存在：{name} (a client with this name exists)")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = Open311Client(
        name=name,
        key_prefix=key[:_SHOWN_PREFIX],
        key_hash=key_hash(key),
        rate_limit_per_minute=rate_limit_per_minute,
        created_at=now,
        created_by_label=actor.label,
    )
    session.add(client)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"客户端名称已存在：{name} (a client with this name exists)") from None
    audit.record(
        session,
        actor=actor,
        action="open311.client.create",
        subject_type=SUBJECT,
        subject_id=client.id,
        now=now,
        detail={"name": name, "rate_limit_per_minute": rate_limit_per_minute},
    )
    return client, key


@use_case
def revoke_client(
    session: Session, *, client_id: int, actor: Actor, now: datetime
) -> Open311Client:
    """Revoke a client's key: its requests stay, the key stops working. Revoking twice is
    refused with Conflict. Administrators only."""
    _require_admin(actor)
    client = queries.get_client(session, client_id)
    if client.revoked_at is not None:
        raise Conflict(f"客户端 {client.name} 的密钥已吊销 (already revoked)")
    client.revoked_at = now
    audit.record(
        session,
        actor=actor,
        action="open311.client.revoke",
        subject_type=SUBJECT,
        subject_id=client.id,
        now=now,
        detail={"name": client.name},
    )
    return client


def authenticate(session: Session, api_key: str) -> Open311Client:
    """The active client holding ``api_key``; Forbidden (403) for a missing, unknown or
    revoked key. Read only."""
    if not api_key.strip():
        raise Forbidden("缺少 api_key (api_key is required)")
    client = queries.find_client_by_hash(session, key_hash(api_key))
    if client is None or client.revoked_at is not None:
        raise Forbidden("api_key 无效或已吊销 (invalid or revoked api_key)")
    return client


# --- requests -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestForm:
    """What a client posted to ``POST requests`` (text as sent; checked by :func:`file_request`)."""

    service_code: str
    description: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    media_url: str = ""
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Place:
    lon: float | None
    lat: float | None
    address: str
    address_id: int | None
    region_id: int | None


def _place(session: Session, form: RequestForm) -> Place:
    """Where the request is: ``lat``+``long``, a standard address id, or an address text
    (located later by the dispatch router like any appeal's address). One is required; a
    standard address's grid wins over a point (the register placed it)."""
    address = rules.check_text(form.address_string, "address_string", rules.MAX_ADDRESS)
    lat_text, long_text = form.lat.strip(), form.long.strip()
    if bool(lat_text) != bool(long_text):
        raise Invalid("lat 与 long 须同时提供 (give both lat and long)")
    lon = rules.parse_coordinate(long_text, "long") if long_text else None
    lat = rules.parse_coordinate(lat_text, "lat") if lat_text else None
    address_id = None
    region_id = None
    if form.address_id.strip():
        text = form.address_id.strip()
        if not text.isascii() or not text.isdigit() or int(text) > 2**31 - 1:
            raise Invalid(f"address_id 须为正整数：{text!r} (address_id must be an integer)")
        found = register_queries.find_standard_address(session, int(text))
        if found is None:
            raise Invalid(f"没有编号为 {text} 的标准地址 (no such address_id)")
        address_id, region_id = found.id, found.grid_id
        address = address or found.name
        if lon is None and found.lon is not None and found.lat is not None:
            lon, lat = found.lon, found.lat
    if lon is None and not address:
        raise Invalid(
            "请提供位置：lat+long、address_string 或 address_id 之一 "
            "(a location is required: lat+long, address_string or address_id)"
        )
    return Place(lon=lon, lat=lat, address=address, address_id=address_id, region_id=region_id)


@use_case
def file_request(
    session: Session,
    *,
    client_id: int,
    form: RequestForm,
    cipher: FieldCipher,
    media: MediaPolicy,
    now: datetime,
) -> Open311Request:
    """``POST requests``: check every parameter, record the appeal through the intake of
    every channel (channel ``open311``, located by its point or address, then accepted and
    routed like any appeal) and, in the same transaction, which application sent it; returns
    that record, whose ``service_request_id`` is the appeal's number. Raises
    Invalid (400), Forbidden (403, a revoked client), NotFound (404, unknown service code)."""
    client = queries.get_client(session, client_id)
    if client.revoked_at is not None:
        raise Forbidden("api_key 无效或已吊销 (invalid or revoked api_key)")
    code = form.service_code.strip()
    if not code:
        raise Invalid("缺少参数 service_code (service_code is required)")
    item = next((i for i in queries.active_items(session) if i.code == code), None)
    if item is None or item.level != 3:
        raise Invalid(f"未知的 service_code：{code} (unknown service_code)")
    description = rules.check_description(form.description)
    definitions = rules.attributes_for(item)
    attributes = rules.check_attributes(definitions, form.attributes)
    media_url = rules.check_media_url(form.media_url)
    email = rules.check_email(form.email)
    name = rules.check_text(
        rules.caller_name(form.first_name, form.last_name), "name", rules.MAX_NAME
    )
    phone = rules.check_text(form.phone, "phone", rules.MAX_PHONE)
    device_id = rules.check_text(form.device_id, "device_id", rules.MAX_CLIENT_ID)
    account_id = rules.check_text(form.account_id, "account_id", rules.MAX_CLIENT_ID)
    place = _place(session, form)
    extra = rules.attribute_lines(definitions, attributes)
    content = f"{description}\n\n{extra}" if extra else description
    if media_url:
        content += f"\n\n照片链接：{media_url}"
    appeal = submit_joined(
        session,
        data=NewAppeal(
            channel=Channel.OPEN311,
            appeal_type=rules.appeal_type_for(item),
            title=f"{item.name}：{description.splitlines()[0][:60]}",
            content=content,
            level=rules.urgency_for(item),
            category=item.code,
            address=place.address,
            lon=place.lon,
            lat=place.lat,
            region_id=place.region_id,
            caller_name=name,
            caller_phone=phone,
        ),
        actor=gateway_actor(client),
        cipher=cipher,
        media=media,
        now=now,
    )
    record = Open311Request(
        appeal_id=appeal.id,
        service_request_id=appeal.number,
        client_id=client.id,
        service_code=item.code,
        description=description,
        media_url=media_url,
        address_id=place.address_id,
        email_enc=seal(cipher, email),
        device_id=device_id,
        account_id=account_id,
        attributes=dict(attributes),
        requested_at=now,
    )
    session.add(record)
    client.last_used_at = now
    session.flush()
    return record
