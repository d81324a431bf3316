"""Notices to people (SMS, e-mail): templates admins edit, opt-outs, staff preferences, and the
joiner that queues one notice with the per-recipient daily cap.

A notice is an outbox row on channel ``sms`` or ``email`` whose address is stored encrypted
(``address_enc``) with its keyed hash as ``recipient_id``; the senders decrypt it when sending.
The body is JSON: the notice kind, the rendered Chinese text and the template parameters (an
SMS gateway with pre-approved templates takes the template id and the parameters).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Invalid, NotFound
from civicgrid.kit.crypto import FieldCipher
from civicgrid.kit.periods import local_date, local_day_start
from civicgrid.notify.addresses import CHANNELS, normalise
from civicgrid.notify.models import NoticeOptOut, NoticePreference, NoticeTemplate, OutboxMessage
from civicgrid.notify.service import Recipient, enqueue
from civicgrid.notify.templates import DEFAULTS, NoticeKind, NoticeText, check_text, render

RECIPIENT_KIND = "address"
COUNTED = ("pending", "sent", "dead")


def _kind(value: str) -> NoticeKind:
    try:
        return NoticeKind(value)
    except ValueError as exc:
        known = "、".join(k.value for k in NoticeKind)
        raise NotFound(f"没有这种通知：{value}；可选：{known} (unknown notice kind)") from exc


def template_for(session: Session, kind: NoticeKind) -> NoticeText:
    """The admins' wording of ``kind``, else the built-in default."""
    stored = session.scalar(select(NoticeTemplate).where(NoticeTemplate.kind == kind.value))
    if stored is None:
        return DEFAULTS[kind]
    return NoticeText(stored.subject, stored.body)


def list_templates(session: Session) -> list[tuple[NoticeKind, NoticeText, bool]]:
    """Every kind with its current text and whether an admin changed it."""
    stored = {t.kind: t for t in session.scalars(select(NoticeTemplate))}
    found = []
    for kind in NoticeKind:
        row = stored.get(kind.value)
        text = NoticeText(row.subject, row.body) if row else DEFAULTS[kind]
        found.append((kind, text, row is not None))
    return found


@use_case
def save_template(
    session: Session, *, kind: str, subject: str, body: str, actor: Actor, now: datetime
) -> NoticeText:
    """Store an admin's wording; Invalid (nothing stored) for an empty or over-long text or a
    placeholder the kind does not offer."""
    notice_kind = _kind(kind)
    try:
        text = check_text(notice_kind, NoticeText(subject, body))
    except ValueError as exc:
        raise Invalid(str(exc), detail={"field": "body"}) from exc
    row = session.scalar(select(NoticeTemplate).where(NoticeTemplate.kind == notice_kind.value))
    if row is None:
        row = NoticeTemplate(kind=notice_kind.value)
        session.add(row)
    row.subject, row.body = text.subject, text.body
    row.updated_at, row.updated_by_label = now, actor.label
    record(
        session,
        actor=actor,
        action="notice.template",
        subject_type="notice_template",
        subject_id=notice_kind.value,
        now=now,
        detail={"subject": text.subject, "body": text.body},
    )
    return text


@use_case
def reset_template(session: Session, *, kind: str, actor: Actor, now: datetime) -> NoticeText:
    """Go back to the built-in wording of ``kind``."""
    notice_kind = _kind(kind)
    row = session.scalar(select(NoticeTemplate).where(NoticeTemplate.kind == notice_kind.value))
    if row is not None:
        session.delete(row)
    record(
        session,
        actor=actor,
        action="notice.template_reset",
        subject_type="notice_template",
        subject_id=notice_kind.value,
        now=now,
    )
    return DEFAULTS[notice_kind]


def _address(channel: str, address: str) -> str:
    try:
        return normalise(channel, address)
    except ValueError as exc:
        raise Invalid(str(exc), detail={"field": "address"}) from exc


@use_case
def opt_out(
    session: Session,
    *,
    channel: str,
    address: str,
    cipher: FieldCipher,
    actor: Actor,
    now: datetime,
) -> bool:
    """Record that ``address`` wants no more notices (退订); returns False when it already
    had. Notices already queued for it are skipped when their turn comes."""
    digest = cipher.keyed_hash(_address(channel, address))
    exists = session.scalar(select(NoticeOptOut.id).where(NoticeOptOut.address_hash == digest))
    if exists is not None:
        return False
    session.add(NoticeOptOut(address_hash=digest, created_at=now, created_by_label=actor.label))
    record(session, actor=actor, action="notice.opt_out", subject_type="notice_opt_out", now=now)
    return True


def is_opted_out(session: Session, address_hash: str) -> bool:
    return (
        session.scalar(select(NoticeOptOut.id).where(NoticeOptOut.address_hash == address_hash))
        is not None
    )


def unit_keys(actor: Actor) -> list[str]:
    """The ``kind:id`` of every unit the actor holds a post at."""
    keys = []
    for post in actor.posts:
        if post.region_id is not None:
            keys.append(f"region:{post.region_id}")
        if post.department_id is not None:
            keys.append(f"department:{post.department_id}")
        if post.utility_id is not None:
            keys.append(f"utility:{post.utility_id}")
    return sorted(set(keys))


@use_case
def save_preference(
    session: Session,
    *,
    channel: str,
    address: str,
    deadline_warnings: bool,
    cipher: FieldCipher,
    actor: Actor,
    now: datetime,
) -> NoticePreference:
    """How the acting staff member wants deadline warnings of their units' orders. Invalid for
    an unknown channel, a malformed address, or a user without a post at a unit."""
    if actor.user_id is None:
        raise Invalid("只有登录用户可以设置通知方式 (log in to set notices)")
    units = unit_keys(actor)
    if not units:
        raise Invalid(
            "您没有承办单位的岗位，无需时限预警 (no post at a unit: nothing to warn about)",
            detail={"field": "channel"},
        )
    value = _address(channel, address)
    row = session.get(NoticePreference, actor.user_id)
    if row is None:
        row = NoticePreference(user_id=actor.user_id)
        session.add(row)
    row.channel = channel
    row.address_enc = cipher.encrypt(value)
    row.address_hash = cipher.keyed_hash(value)
    row.deadline_warnings = deadline_warnings
    row.units = units
    row.updated_at = now
    return row


def find_preference(session: Session, user_id: int) -> NoticePreference | None:
    return session.get(NoticePreference, user_id)


def preferences_for_units(
    session: Session, unit_keys_wanted: Sequence[str], channels: Sequence[str]
) -> list[NoticePreference]:
    """Staff who want deadline warnings on one of ``channels`` and hold a post at one of the
    units. (Staff are few; the unit match is done here rather than in engine-specific JSON
    SQL.)"""
    wanted = set(unit_keys_wanted)
    rows = session.scalars(
        select(NoticePreference)
        .where(
            NoticePreference.deadline_warnings.is_(True),
            NoticePreference.channel.in_(list(channels)),
        )
        .order_by(NoticePreference.user_id)
    ).all()
    return [r for r in rows if wanted & set(r.units)]


def sent_today(session: Session, address_hash: str, now: datetime) -> int:
    """Notices counted against the daily cap of one address (the Beijing calendar day)."""
    start = local_day_start(local_date(now))
    return (
        session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.recipient_kind == RECIPIENT_KIND,
                OutboxMessage.recipient_id == address_hash,
                OutboxMessage.channel.in_(CHANNELS),
                OutboxMessage.status.in_(COUNTED),
                OutboxMessage.created_at >= start,
            )
        )
        or 0
    )


def enqueue_notice(
    session: Session,
    *,
    kind: NoticeKind,
    channel: str,
    address_enc: str,
    address_hash: str,
    params: dict[str, str],
    daily_cap: int,
    now: datetime,
    link: str = "",
) -> OutboxMessage:
    """Queue one notice. It is written ``skipped`` for an address that opted out and
    ``capped`` once the address has had ``daily_cap`` notices today, so a loop can never
    flood a phone and the log shows why nothing went. Joins the caller's transaction."""
    text = render(template_for(session, kind), params)
    body = json.dumps(
        {"kind": kind.value, "text": text.body, "params": params},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    status, reason = "pending", ""
    if is_opted_out(session, address_hash):
        status, reason = "skipped", "已退订 (opted out)"
    elif sent_today(session, address_hash, now) >= daily_cap:
        status, reason = "capped", f"已达每日上限 {daily_cap} 条 (daily cap reached)"
    message = enqueue(
        session,
        recipient=Recipient(RECIPIENT_KIND, address_hash),
        subject=text.subject,
        body=body,
        link=link,
        channel=channel,
        now=now,
        status=status,
    )
    message.address_enc = address_enc
    message.last_error = reason
    return message
