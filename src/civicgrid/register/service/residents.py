"""Use cases of the register, residents (人房 — the 人): registering a resident in a house,
moving them, and revealing their full ID number and phone (with a reason, audited)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Invalid
from civicgrid.kit.crypto import FieldCipher
from civicgrid.kit.masking import mask_id_number, mask_phone
from civicgrid.register import access, idcard, rules
from civicgrid.register.models import House, Residence, Resident, ResidentTag
from civicgrid.register.service.common import audit, get_tag


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 50:
        raise Invalid("姓名不能为空且不超过 50 个字", detail={"field": "name"})
    return name


def _checked_phone(phone: str) -> str:
    """The normalised phone ('' for none); Invalid (field ``phone``) when malformed."""
    phone = rules.normalise_phone(phone) if phone.strip() else ""
    if phone and not rules.is_valid_phone(phone):
        raise Invalid("手机号格式错误（应为 11 位手机号或带区号的固话）", detail={"field": "phone"})
    return phone


def _residence_kind(kind: str) -> rules.ResidenceKind:
    try:
        return rules.ResidenceKind.from_text(kind)
    except ValueError as exc:
        raise Invalid(str(exc), detail={"field": "kind"}) from exc


@use_case
def register_resident(
    session: Session,
    *,
    house_id: int,
    name: str,
    id_no: str,
    phone: str = "",
    ethnicity: str = "",
    household_place: str = "",
    kind: str,
    relation_to_owner: str = "",
    from_on: date | None = None,
    tags: Sequence[str] = (),
    actor: Actor,
    cipher: FieldCipher,
    now: datetime,
) -> Resident:
    """Register a person living in a house in scope: validates the ID number (GB 11643) and
    phone, refuses an ID number already registered (Conflict), stores them encrypted."""
    house = access.get_for_write(session, House, house_id, actor)
    name = _checked_name(name)
    try:
        info = idcard.parse(id_no, today=now.date())
    except idcard.IdNumberError as exc:
        raise Invalid(str(exc), detail={"field": "id_no"}) from exc
    phone = _checked_phone(phone)
    residence_kind = _residence_kind(kind)
    if from_on is not None and from_on > now.date():
        raise Invalid("入住日期不能晚于今天", detail={"field": "from_on"})
    id_hash = cipher.keyed_hash(info.number)
    if session.scalar(select(Resident.id).where(Resident.id_no_hash == id_hash)) is not None:
        raise Conflict("该身份证号已登记", detail={"field": "id_no"})
    tag_rows = [get_tag(session, t, rules.TagTarget.RESIDENT) for t in dict.fromkeys(tags)]
    resident = Resident(
        name=name,
        gender=info.gender,
        birth_on=info.birth_on,
        id_no_enc=cipher.encrypt(info.number),
        id_no_hash=id_hash,
        id_no_masked=mask_id_number(info.number),
        phone_enc=cipher.encrypt(phone) if phone else None,
        phone_hash=cipher.keyed_hash(phone) if phone else None,
        phone_masked=mask_phone(phone),
        ethnicity=ethnicity.strip(),
        household_place=household_place.strip(),
        grid_id=house.grid_id,
        region_path=house.region_path,
        created_at=now,
        updated_at=now,
    )
    session.add(resident)
    session.flush()
    session.add(
        Residence(
            resident_id=resident.id,
            house_id=house.id,
            kind=residence_kind.value,
            relation_to_owner=relation_to_owner.strip(),
            from_on=from_on,
            to_on=None,
            grid_id=house.grid_id,
            region_path=house.region_path,
        )
    )
    for tag in tag_rows:
        session.add(
            ResidentTag(
                resident_id=resident.id,
                tag_id=tag.id,
                grid_id=house.grid_id,
                region_path=house.region_path,
                created_at=now,
            )
        )
    house.is_vacant = False
    session.flush()
    audit(session, actor, "resident.create", "resident", resident.id, now, house_id=house.id)
    return resident


@use_case
def move_resident(
    session: Session,
    *,
    resident_id: int,
    house_id: int,
    kind: str,
    relation_to_owner: str = "",
    on: date,
    actor: Actor,
    now: datetime,
) -> Residence:
    """End the resident's current residences on ``on`` and start a new one in ``house_id``;
    the resident's grid follows the new house. Both must be in the actor's scope."""
    resident = access.get_for_write(session, Resident, resident_id, actor)
    house = access.get_for_write(session, House, house_id, actor)
    residence_kind = _residence_kind(kind)
    if on > now.date():
        raise Invalid("迁入日期不能晚于今天", detail={"field": "on"})
    current = session.scalars(
        select(Residence).where(Residence.resident_id == resident.id, Residence.to_on.is_(None))
    ).all()
    for res in current:
        if res.house_id == house.id:
            raise Conflict("居民已居住在该房屋", detail={"field": "house_id"})
        if res.from_on is not None and on < res.from_on:
            raise Invalid("迁出日期不能早于入住日期", detail={"field": "on"})
        res.to_on = on
    residence = Residence(
        resident_id=resident.id,
        house_id=house.id,
        kind=residence_kind.value,
        relation_to_owner=relation_to_owner.strip(),
        from_on=on,
        to_on=None,
        grid_id=house.grid_id,
        region_path=house.region_path,
    )
    session.add(residence)
    resident.grid_id, resident.region_path, resident.updated_at = (
        house.grid_id,
        house.region_path,
        now,
    )
    for link in session.scalars(select(ResidentTag).where(ResidentTag.resident_id == resident.id)):
        link.grid_id, link.region_path = house.grid_id, house.region_path
    house.is_vacant = False
    session.flush()
    audit(session, actor, "resident.move", "resident", resident.id, now, house_id=house.id)
    return residence


@use_case
def update_resident(
    session: Session,
    *,
    resident_id: int,
    name: str,
    phone: str | None = None,
    ethnicity: str = "",
    household_place: str = "",
    actor: Actor,
    cipher: FieldCipher,
    now: datetime,
) -> Resident:
    """Correct a resident's name, ethnicity, household place and phone (``phone=None`` keeps
    the stored phone, ``""`` removes it; a new one is stored encrypted and masked). The ID
    number is the person's identity and is not edited here: a wrong one means a new entry.
    Audited with the names of the changed fields, never their values."""
    resident = access.get_for_write(session, Resident, resident_id, actor)
    name = _checked_name(name)
    if len(ethnicity.strip()) > 20:
        raise Invalid("民族不超过 20 个字", detail={"field": "ethnicity"})
    if len(household_place.strip()) > 100:
        raise Invalid("户籍地不超过 100 个字", detail={"field": "household_place"})
    changed = [
        key
        for key, old, new in (
            ("name", resident.name, name),
            ("ethnicity", resident.ethnicity, ethnicity.strip()),
            ("household_place", resident.household_place, household_place.strip()),
        )
        if old != new
    ]
    resident.name = name
    resident.ethnicity = ethnicity.strip()
    resident.household_place = household_place.strip()
    if phone is not None:
        plain = _checked_phone(phone)
        new_hash = cipher.keyed_hash(plain) if plain else None
        if new_hash != resident.phone_hash:
            changed.append("phone")
            resident.phone_enc = cipher.encrypt(plain) if plain else None
            resident.phone_hash = new_hash
            resident.phone_masked = mask_phone(plain)
    resident.updated_at = now
    session.flush()
    audit(session, actor, "resident.update", "resident", resident.id, now, fields=changed)
    return resident


@use_case
def reveal_resident(
    session: Session,
    *,
    resident_id: int,
    reason: str,
    actor: Actor,
    cipher: FieldCipher,
    now: datetime,
) -> access.RevealedResident:
    """Show one resident's full ID number and phone: needs a reveal role, the resident in
    scope and a reason; writes an audit row naming actor, resident and reason."""
    resident = access.get_for(session, Resident, resident_id, actor)
    return access.reveal(
        session, resident=resident, actor=actor, reason=reason, cipher=cipher, now=now
    )
