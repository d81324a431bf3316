"""Use cases of the register, tags (标签): the shipped catalogue, new tags, tagging residents and
houses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.register import access, rules
from civicgrid.register.models import House, HouseTag, Resident, ResidentTag, Tag
from civicgrid.register.service.common import audit, get_tag
from civicgrid.register.tags import default_tags

Owner = TypeVar("Owner", Resident, House)
Link = TypeVar("Link", ResidentTag, HouseTag)


@use_case
def ensure_default_tags(session: Session, *, actor: Actor, now: datetime) -> int:
    """Create the shipped tags that are missing (idempotent); returns how many were added."""
    access.require_role(actor, rules.TAG_ADMIN_ROLES, "管理标签")
    existing = set(session.scalars(select(Tag.code)))
    added = 0
    for t in default_tags():
        if t.code in existing:
            continue
        session.add(
            Tag(
                code=t.code,
                name=t.name,
                family=t.family.value,
                level=t.level.value,
                target=t.target.value,
                is_sensitive=t.is_sensitive,
                created_at=now,
            )
        )
        added += 1
    session.flush()
    audit(session, actor, "tags.seed", "tag", "", now, added=added)
    return added


@use_case
def create_tag(
    session: Session,
    *,
    code: str,
    name: str,
    family: str,
    level: str,
    target: str,
    is_sensitive: bool = False,
    actor: Actor,
    now: datetime,
) -> Tag:
    """Add a tag to the catalogue (admin)."""
    access.require_role(actor, rules.TAG_ADMIN_ROLES, "管理标签")
    try:
        fam, lvl, tgt = rules.TagFamily(family), rules.TagLevel(level), rules.TagTarget(target)
    except ValueError as exc:
        raise Invalid(f"标签分类、层级或对象无效: {exc}") from exc
    if not code.strip() or not name.strip():
        raise Invalid("标签代码和名称不能为空")
    taken = session.scalar(select(Tag.id).where((Tag.code == code) | (Tag.name == name)))
    if taken is not None:
        raise Conflict(f"标签代码「{code}」或名称「{name}」已存在")
    tag = Tag(
        code=code.strip(),
        name=name.strip(),
        family=fam.value,
        level=lvl.value,
        target=tgt.value,
        is_sensitive=is_sensitive,
        created_at=now,
    )
    session.add(tag)
    session.flush()
    audit(session, actor, "tag.create", "tag", tag.id, now, code=tag.code)
    return tag


@dataclass(frozen=True, slots=True)
class _Tagging(Generic[Owner, Link]):
    """What tagging a resident and tagging a house differ in: the tagged row, its link table
    and the link's column naming it, the tag target, the noun in messages, the audit subject."""

    owner: type[Owner]
    link: type[Link]
    owner_key: str
    target: rules.TagTarget
    noun: str
    subject: str

    def find_link(self, session: Session, owner_id: int, tag_id: int) -> Link | None:
        column = getattr(self.link, self.owner_key)
        return session.scalar(
            select(self.link).where(column == owner_id, self.link.tag_id == tag_id)
        )


_RESIDENT_TAGS = _Tagging(
    Resident, ResidentTag, "resident_id", rules.TagTarget.RESIDENT, "居民", "resident"
)
_HOUSE_TAGS = _Tagging(House, HouseTag, "house_id", rules.TagTarget.HOUSE, "房屋", "house")


def _add_tag(
    session: Session,
    kind: _Tagging[Owner, Link],
    owner_id: int,
    tag: str,
    actor: Actor,
    now: datetime,
) -> Link:
    """Link ``tag`` to the row in scope (Conflict when it is there already); audited."""
    owner = access.get_for_write(session, kind.owner, owner_id, actor)
    found = get_tag(session, tag, kind.target)
    if kind.find_link(session, owner.id, found.id) is not None:
        raise Conflict(f"{kind.noun}已有标签「{found.name}」")
    link = kind.link(
        **{kind.owner_key: owner.id},
        tag_id=found.id,
        grid_id=owner.grid_id,
        region_path=owner.region_path,
        created_at=now,
    )
    session.add(link)
    session.flush()
    audit(session, actor, f"{kind.subject}.tag", kind.subject, owner.id, now, tag=found.code)
    return link


def _remove_tag(
    session: Session,
    kind: _Tagging[Owner, Link],
    owner_id: int,
    tag: str,
    actor: Actor,
    now: datetime,
) -> None:
    """Unlink ``tag`` from the row in scope (NotFound when it is not there); audited."""
    owner = access.get_for_write(session, kind.owner, owner_id, actor)
    found = get_tag(session, tag, kind.target)
    link = kind.find_link(session, owner.id, found.id)
    if link is None:
        raise NotFound(f"{kind.noun}没有标签「{found.name}」")
    session.delete(link)
    session.flush()
    audit(session, actor, f"{kind.subject}.untag", kind.subject, owner.id, now, tag=found.code)


@use_case
def tag_resident(
    session: Session, *, resident_id: int, tag: str, actor: Actor, now: datetime
) -> ResidentTag:
    """Put a tag on a resident in scope."""
    return _add_tag(session, _RESIDENT_TAGS, resident_id, tag, actor, now)


@use_case
def untag_resident(
    session: Session, *, resident_id: int, tag: str, actor: Actor, now: datetime
) -> None:
    """Remove a tag from a resident in scope."""
    _remove_tag(session, _RESIDENT_TAGS, resident_id, tag, actor, now)


@use_case
def tag_house(
    session: Session, *, house_id: int, tag: str, actor: Actor, now: datetime
) -> HouseTag:
    """Put a tag on a house in scope."""
    return _add_tag(session, _HOUSE_TAGS, house_id, tag, actor, now)


@use_case
def untag_house(session: Session, *, house_id: int, tag: str, actor: Actor, now: datetime) -> None:
    """Remove a tag from a house in scope."""
    _remove_tag(session, _HOUSE_TAGS, house_id, tag, actor, now)
