"""Use cases of the register, tags (标签): the shipped catalogue, new tags, tagging residents and
houses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.register import access, rules
from civicgrid.register.models import House, HouseTag, Resident, ResidentTag, Tag
from civicgrid.register.service.common import audit, get_tag
from civicgrid.register.tags import default_tags


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


@use_case
def tag_resident(
    session: Session, *, resident_id: int, tag: str, actor: Actor, now: datetime
) -> ResidentTag:
    """Put a tag on a resident in scope."""
    resident = access.get_for_write(session, Resident, resident_id, actor)
    found = get_tag(session, tag, rules.TagTarget.RESIDENT)
    existing = session.scalar(
        select(ResidentTag).where(
            ResidentTag.resident_id == resident.id, ResidentTag.tag_id == found.id
        )
    )
    if existing is not None:
        raise Conflict(f"居民已有标签「{found.name}」")
    link = ResidentTag(
        resident_id=resident.id,
        tag_id=found.id,
        grid_id=resident.grid_id,
        region_path=resident.region_path,
        created_at=now,
    )
    session.add(link)
    session.flush()
    audit(session, actor, "resident.tag", "resident", resident.id, now, tag=found.code)
    return link


@use_case
def untag_resident(
    session: Session, *, resident_id: int, tag: str, actor: Actor, now: datetime
) -> None:
    """Remove a tag from a resident in scope."""
    resident = access.get_for_write(session, Resident, resident_id, actor)
    found = get_tag(session, tag, rules.TagTarget.RESIDENT)
    link = session.scalar(
        select(ResidentTag).where(
            ResidentTag.resident_id == resident.id, ResidentTag.tag_id == found.id
        )
    )
    if link is None:
        raise NotFound(f"居民没有标签「{found.name}」")
    session.delete(link)
    session.flush()
    audit(session, actor, "resident.untag", "resident", resident.id, now, tag=found.code)


@use_case
def tag_house(
    session: Session, *, house_id: int, tag: str, actor: Actor, now: datetime
) -> HouseTag:
    """Put a tag on a house in scope."""
    house = access.get_for_write(session, House, house_id, actor)
    found = get_tag(session, tag, rules.TagTarget.HOUSE)
    existing = session.scalar(
        select(HouseTag).where(HouseTag.house_id == house.id, HouseTag.tag_id == found.id)
    )
    if existing is not None:
        raise Conflict(f"房屋已有标签「{found.name}」")
    link = HouseTag(
        house_id=house.id,
        tag_id=found.id,
        grid_id=house.grid_id,
        region_path=house.region_path,
        created_at=now,
    )
    session.add(link)
    session.flush()
    audit(session, actor, "house.tag", "house", house.id, now, tag=found.code)
    return link


@use_case
def untag_house(session: Session, *, house_id: int, tag: str, actor: Actor, now: datetime) -> None:
    """Remove a tag from a house in scope."""
    house = access.get_for_write(session, House, house_id, actor)
    found = get_tag(session, tag, rules.TagTarget.HOUSE)
    link = session.scalar(
        select(HouseTag).where(HouseTag.house_id == house.id, HouseTag.tag_id == found.id)
    )
    if link is None:
        raise NotFound(f"房屋没有标签「{found.name}」")
    session.delete(link)
    session.flush()
    audit(session, actor, "house.untag", "house", house.id, now, tag=found.code)
