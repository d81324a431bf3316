"""What the participation pages share: reading typed form fields (a refusal names the field in
Chinese) and the communities a resident may choose in the resident forms."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.clock import BEIJING
from civicgrid.errors import Invalid
from civicgrid.participation import access


def int_field(form: dict[str, str], key: str, label: str) -> int:
    """A required whole number."""
    try:
        return int(form.get(key, "").strip())
    except ValueError as exc:
        raise Invalid(f"请填写{label}（整数）") from exc


def opt_int_field(form: dict[str, str], key: str) -> int | None:
    """An optional id; empty means None."""
    value = form.get(key, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise Invalid(f"“{value}”不是有效的编号") from exc


def opt_minutes_field(form: dict[str, str], key: str, label: str) -> int:
    """An optional number of minutes; empty means 0."""
    return int_field(form, key, label) if form.get(key) else 0


def when_field(form: dict[str, str], key: str, label: str) -> datetime:
    """A ``datetime-local`` field, read as Beijing time."""
    value = form.get(key, "").strip()
    try:
        return datetime.fromisoformat(value).replace(tzinfo=BEIJING)
    except ValueError as exc:
        raise Invalid(f"请填写{label}（日期和时间）") from exc


def opt_date_field(form: dict[str, str], key: str) -> date | None:
    """An optional ``date`` field."""
    value = form.get(key, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(f"日期“{value}”格式错误") from exc


def community_choices(session: Session, actor: Actor, now: datetime) -> list[tuple[str, str]]:
    """(code, name) of the communities a linked resident lives in; empty for staff."""
    if access.is_staff(actor):
        return []
    resident_id = access.linked_resident_id(session, actor.user_id)
    if resident_id is None:
        return []
    return [(r.code, r.name) for r in access.home_communities(session, resident_id, now.date())]
