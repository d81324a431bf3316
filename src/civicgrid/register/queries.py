"""Read-side queries of the register, always filtered by the actor's data scope.

Lists return masked data only: ``id_no_masked`` and ``phone_masked`` are stored beside the
ciphertexts, so no list ever decrypts anything. Plain values come only from
:func:`civicgrid.register.access.reveal`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, String, bindparam, func, select
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.errors import Invalid
from civicgrid.kit.crypto import FieldCipher
from civicgrid.kit.search import LIKE_ESCAPE, contains_pattern
from civicgrid.register import access, idcard, rules
from civicgrid.register.models import (
    Address,
    Building,
    House,
    HouseTag,
    PatrolPoint,
    PatrolTrack,
    Residence,
    Resident,
    ResidentTag,
    Tag,
    Visit,
    VisitSubject,
)

MAX_LIMIT = 500


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def list_tags(session: Session, *, target: str | None = None) -> Sequence[Tag]:
    """The tag catalogue (not personal data; no scope)."""
    stmt = select(Tag).order_by(Tag.id)
    if target:
        stmt = stmt.where(Tag.target == target)
    return session.scalars(stmt).all()


def tags_by_key(session: Session) -> dict[str, Tag]:
    """Tags keyed by both code and name (imports accept either)."""
    found: dict[str, Tag] = {}
    for tag in session.scalars(select(Tag)):
        found[tag.code] = tag
        found[tag.name] = tag
    return found


def list_addresses_for(
    session: Session,
    actor: Actor,
    *,
    grid_id: int | None = None,
    q: str = "",
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Address]:
    """Standard addresses in the actor's scope, optionally of one grid or matching text (a
    large scope needs a term of ``rules.MIN_INDEXED_TERM`` characters, as the other searches by
    address: Invalid)."""
    access.require_role(actor, rules.READ_ROLES, "查看人房信息")
    if q.strip():
        search_start(session, Address.region_path, actor, [q.strip()])
    stmt = address_search_stmt(actor, grid_id=grid_id, q=q)
    return session.scalars(stmt.order_by(Address.id).limit(_limit(limit)).offset(offset)).all()


def address_search_stmt(actor: Actor, *, grid_id: int | None = None, q: str = "") -> Select[Any]:
    """Addresses in scope, of one grid, whose name contains ``q`` literally (``%`` and ``_``
    escaped). ``name LIKE '%…%'`` is the expression the PostgreSQL trigram index
    ``ix_register_address_name_trgm`` covers; keep them the same."""
    stmt = select(Address).where(access.scope_filter(Address.region_path, actor))
    if grid_id is not None:
        stmt = stmt.where(Address.grid_id == grid_id)
    if q:
        stmt = stmt.where(contains_text(Address.name, q))
    return stmt


def list_buildings_for(
    session: Session, actor: Actor, *, address_id: int, limit: int = 100, offset: int = 0
) -> Sequence[Building]:
    """Buildings of one address (the address must be in scope)."""
    access.get_for(session, Address, address_id, actor)
    stmt = (
        select(Building)
        .where(Building.address_id == address_id)
        .order_by(Building.id)
        .limit(_limit(limit))
        .offset(offset)
    )
    return session.scalars(stmt).all()


def list_houses_for(
    session: Session,
    actor: Actor,
    *,
    building_id: int | None = None,
    is_vacant: bool | None = None,
    tag: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[House]:
    """Houses in scope: of one building, vacant or not, with a tag."""
    access.require_role(actor, rules.READ_ROLES, "查看人房信息")
    stmt = select(House).where(access.scope_filter(House.region_path, actor))
    if building_id is not None:
        stmt = stmt.where(House.building_id == building_id)
    if is_vacant is not None:
        stmt = stmt.where(House.is_vacant.is_(is_vacant))
    if tag:
        stmt = stmt.where(
            House.id.in_(
                select(HouseTag.house_id)
                .join(Tag, Tag.id == HouseTag.tag_id)
                .where((Tag.code == tag) | (Tag.name == tag))
            )
        )
    return session.scalars(stmt.order_by(House.id).limit(_limit(limit)).offset(offset)).all()


def house_tags(session: Session, house_ids: Sequence[int]) -> dict[int, list[str]]:
    """Tag names per house."""
    out: dict[int, list[str]] = defaultdict(list)
    if house_ids:
        rows = session.execute(
            select(HouseTag.house_id, Tag.name)
            .join(Tag, Tag.id == HouseTag.tag_id)
            .where(HouseTag.house_id.in_(house_ids))
            .order_by(Tag.id)
        )
        for hid, name in rows:
            out[hid].append(name)
    return out


@dataclass(frozen=True)
class ResidentSearch:
    """Search criteria; every given criterion must match."""

    name: str = ""
    id_no: str = ""
    phone: str = ""
    tag: str = ""
    address: str = ""
    grid_id: int | None = None


# A resident search counts its matches up to this number; beyond it the list says "more
# than 1,000" (the count of every match of a broad fragment such as a road name costs as much as
# listing them all, hundreds of milliseconds on a city's register).
RESIDENT_COUNT_CAP = 1000
# Typed address text: at most this many space-separated parts, each cut to this length.
MAX_ADDRESS_PARTS = 5
MAX_PART_LENGTH = 50


def _resident_conditions(
    actor: Actor, criteria: ResidentSearch, cipher: FieldCipher
) -> list[ColumnElement[bool]]:
    """Every criterion but the address, and the actor's data scope, on ``Resident``."""
    conds = [access.scope_filter(Resident.region_path, actor)]
    if criteria.name:
        conds.append(Resident.name.startswith(criteria.name.strip(), autoescape=True))
    if criteria.id_no:
        conds.append(Resident.id_no_hash == cipher.keyed_hash(idcard.normalise(criteria.id_no)))
    if criteria.phone:
        conds.append(
            Resident.phone_hash == cipher.keyed_hash(rules.normalise_phone(criteria.phone))
        )
    if criteria.grid_id is not None:
        conds.append(Resident.grid_id == criteria.grid_id)
    if criteria.tag:
        conds.append(
            Resident.id.in_(
                select(ResidentTag.resident_id)
                .join(Tag, Tag.id == ResidentTag.tag_id)
                .where((Tag.code == criteria.tag) | (Tag.name == criteria.tag))
            )
        )
    return conds


def address_parts(text: str) -> list[str]:
    """The space-separated parts of typed address text, each of which a house's label must
    contain (``幸福路 3号楼 501``)."""
    return [p[:MAX_PART_LENGTH] for p in text.split() if p][:MAX_ADDRESS_PARTS]


def contains_text(column: Any, part: str) -> ColumnElement[bool]:
    """``column LIKE '%part%'``, with what a user typed kept literal
    (:func:`~civicgrid.kit.search.contains_pattern`): the expression the trigram indexes
    cover, with the pattern written into the statement rather than bound. psycopg prepares a
    statement run five times, and PostgreSQL then may switch to a generic plan made without
    the pattern, which cannot tell a rare term from one that every house contains (a street's
    1号楼 went from 7 to 200 ms). SQLAlchemy renders the literal with its quoting."""
    pattern = bindparam(None, contains_pattern(part), type_=String(), literal_execute=True)
    return cast(ColumnElement[bool], column.like(pattern, escape=LIKE_ESCAPE))


def label_conditions(column: Any, parts: Sequence[str]) -> list[ColumnElement[bool]]:
    """:func:`contains_text` for every part: the expression the trigram index
    ``ix_register_house_label_trgm`` covers."""
    return [contains_text(column, p) for p in parts]


def _city_wide(actor: Actor) -> bool:
    """Whether the actor's scope is the whole territory (or a top-level region such as the
    city, path ``/1/``): then it is large without counting."""
    scope = actor.scope
    return scope.is_global or any(p.count("/") == 2 for p in scope.minimal_paths())


def scope_rows(session: Session, column: Any, actor: Actor) -> int | None:
    """The cheap estimate of a scope's size: its rows in ``column``'s table counted up to
    ``rules.SMALL_SCOPE_ROWS + 1`` through the region-path index (None when city-wide)."""
    if _city_wide(actor):
        return None
    counted = (
        select(column).where(access.scope_filter(column, actor)).limit(rules.SMALL_SCOPE_ROWS + 1)
    )
    return int(session.scalar(select(func.count()).select_from(counted.subquery())) or 0)


def search_start(
    session: Session, column: Any, actor: Actor, parts: list[str]
) -> rules.SearchStart:
    """Where a search by address text starts for this actor (``rules.address_search_start``);
    Invalid with the message for the user when the term is too short for a large scope."""
    try:
        return rules.address_search_start(parts, scope_rows(session, column, actor))
    except ValueError as exc:
        raise Invalid(str(exc), detail={"field": "address"}) from exc


def _residents_by_label(
    session: Session,
    actor: Actor,
    conds: Sequence[ColumnElement[bool]],
    parts: Sequence[str],
    start: rules.SearchStart,
    wanted: int,
) -> tuple[list[int], bool]:
    """Ids of the residents matching ``conds`` who currently live in a house whose label
    contains every part, by id, at most ``wanted``, and whether there are more.

    From the scope (``SearchStart.SCOPE``): the scope's current residences with their labels
    are read whole (a materialised CTE, so that PostgreSQL does not start from the trigram
    index of a frequent term and discard most of it) and filtered; exact. From the index: the
    matching houses' current residents, read in no order and stopped after ``wanted`` + 1
    distinct residents; exact and by id when there are at most ``wanted``, otherwise the first
    ``wanted`` of those found (a broad term; the list says "more than 1,000"). The houses are
    taken from the scope too, so that a street's search does not read the matches of the whole
    city: exact because a resident's region is the region of their one current house (every
    writer keeps it: registration and moves set it, a move ends the former residence, imports
    create one residence per new resident); the residents' own scope stays the filter that
    decides what is shown."""
    current = (Residence.to_on.is_(None), *conds)
    if start is rules.SearchStart.SCOPE:
        scoped = (
            select(Residence.resident_id.label("rid"), House.label.label("label"))
            .join(House, House.id == Residence.house_id)
            .join(Resident, Resident.id == Residence.resident_id)
            .where(*current)
            .cte("scoped")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        stmt = (
            select(scoped.c.rid)
            .where(*label_conditions(scoped.c.label, parts))
            .distinct()
            .order_by(scoped.c.rid)
            .limit(wanted + 1)
        )
        ids = [int(i) for i in session.scalars(stmt)]
        return ids[:wanted], len(ids) > wanted
    found: dict[int, None] = {}
    rows, fetch = 0, wanted + 1
    while True:
        stmt = (
            select(Residence.resident_id)
            .join(House, House.id == Residence.house_id)
            .join(Resident, Resident.id == Residence.resident_id)
            .where(*label_conditions(House.label, parts), *current)
            .where(access.scope_filter(House.region_path, actor))
            .limit(fetch)
        )
        got = list(session.scalars(stmt))
        rows = len(got)
        found = dict.fromkeys(int(i) for i in got)
        # Stop when the matches ran out or enough distinct residents were found; a resident
        # with two matching current residences counts once, so read more rows then.
        if rows < fetch or len(found) > wanted:
            break
        fetch *= 2
    ids = sorted(found)
    return ids[:wanted], len(ids) > wanted


def search_residents_for(
    session: Session,
    actor: Actor,
    criteria: ResidentSearch,
    *,
    cipher: FieldCipher,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Resident], int]:
    """Residents in scope matching ``criteria`` (exact ID number and phone through the keyed
    hash; name by prefix; tag by code or name; address: every space-separated part in the
    full address text of a current house, ``幸福路12号院3号楼2单元501``), a page of them by id
    and their number: exact up to :data:`RESIDENT_COUNT_CAP`, ``RESIDENT_COUNT_CAP + 1``
    meaning "more".

    With an address, the search starts from the scope when it is small (a community, counted
    cheaply) or an ID number or phone is given, else from the trigram index of the house labels
    (:func:`_residents_by_label`); a large scope needs a part of at least
    ``rules.MIN_INDEXED_TERM`` characters (Invalid otherwise)."""
    access.require_role(actor, rules.READ_ROLES, "查看人房信息")
    limit = _limit(limit)
    conds = _resident_conditions(actor, criteria, cipher)
    parts = address_parts(criteria.address)
    if parts:
        exact_key = bool(criteria.id_no or criteria.phone)
        start = (
            rules.SearchStart.SCOPE
            if exact_key
            else search_start(session, Resident.region_path, actor, parts)
        )
        wanted = max(RESIDENT_COUNT_CAP, offset + limit)
        ids, more = _residents_by_label(session, actor, conds, parts, start, wanted)
        page_ids = ids[offset : offset + limit]
        found = select(Resident).where(Resident.id.in_(page_ids))
        by_id = {r.id: r for r in session.scalars(found)}
        return [by_id[i] for i in page_ids], min(len(ids) + int(more), RESIDENT_COUNT_CAP + 1)
    stmt = select(Resident).where(*conds)
    capped = select(Resident.id).where(*conds).limit(RESIDENT_COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(capped)) or 0
    rows: Sequence[Resident] = session.scalars(
        stmt.order_by(Resident.id).limit(limit).offset(offset)
    ).all()
    return rows, int(total)


def resident_tags(session: Session, resident_ids: Sequence[int]) -> dict[int, list[str]]:
    """Tag names per resident."""
    out: dict[int, list[str]] = defaultdict(list)
    for part in _parts(resident_ids):
        rows = session.execute(
            select(ResidentTag.resident_id, Tag.name)
            .join(Tag, Tag.id == ResidentTag.tag_id)
            .where(ResidentTag.resident_id.in_(part))
            .order_by(Tag.id)
        )
        for rid, name in rows:
            out[rid].append(name)
    return out


def _parts(ids: Sequence[int], size: int = 1000) -> list[Sequence[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


@dataclass(frozen=True)
class ResidenceView:
    """One residence with its full address text."""

    id: int
    house_id: int
    address_text: str
    kind: str
    relation_to_owner: str
    from_on: date | None
    to_on: date | None


@dataclass(frozen=True)
class ResidentDetail:
    """A resident with residences and tags (masked)."""

    resident: Resident
    residences: list[ResidenceView] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def house_address_text(address: str, building: str, unit: str, room: str) -> str:
    """``幸福路12号院3号楼2单元501`` (:func:`rules.house_label`)."""
    return rules.house_label(address, building, unit, room)


def resident_detail_for(session: Session, actor: Actor, resident_id: int) -> ResidentDetail:
    """One resident in scope with residences and tags; NotFound otherwise."""
    resident = access.get_for(session, Resident, resident_id, actor)
    rows = session.execute(
        select(Residence, Address.name, Building.name, House.unit, House.room)
        .join(House, House.id == Residence.house_id)
        .join(Building, Building.id == House.building_id)
        .join(Address, Address.id == Building.address_id)
        .where(Residence.resident_id == resident_id)
        .order_by(Residence.id)
    )
    residences = [
        ResidenceView(
            id=res.id,
            house_id=res.house_id,
            address_text=house_address_text(a, b, u, r),
            kind=res.kind,
            relation_to_owner=res.relation_to_owner,
            from_on=res.from_on,
            to_on=res.to_on,
        )
        for res, a, b, u, r in rows
    ]
    tags = resident_tags(session, [resident_id]).get(resident_id, [])
    return ResidentDetail(resident=resident, residences=residences, tags=tags)


def house_residents_for(session: Session, actor: Actor, house_id: int) -> list[Resident]:
    """Current residents of a house in scope."""
    access.get_for(session, House, house_id, actor)
    stmt = (
        select(Resident)
        .join(Residence, Residence.resident_id == Resident.id)
        .where(Residence.house_id == house_id, Residence.to_on.is_(None))
        .where(access.scope_filter(Resident.region_path, actor))
        .order_by(Resident.id)
    )
    return list(session.scalars(stmt))


def list_visits_for(
    session: Session,
    actor: Actor,
    *,
    grid_id: int | None = None,
    resident_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Visit]:
    """Visits in scope, newest first."""
    access.require_role(actor, rules.READ_ROLES, "查看走访记录")
    stmt = select(Visit).where(access.scope_filter(Visit.region_path, actor))
    if grid_id is not None:
        stmt = stmt.where(Visit.grid_id == grid_id)
    if resident_id is not None:
        stmt = stmt.where(
            Visit.id.in_(
                select(VisitSubject.visit_id).where(VisitSubject.resident_id == resident_id)
            )
        )
    stmt = stmt.order_by(Visit.visited_at.desc(), Visit.id.desc())
    return session.scalars(stmt.limit(_limit(limit)).offset(offset)).all()


def visit_subjects(session: Session, visit_ids: Sequence[int]) -> dict[int, list[VisitSubject]]:
    """Subjects per visit."""
    out: dict[int, list[VisitSubject]] = defaultdict(list)
    if visit_ids:
        stmt = select(VisitSubject).where(VisitSubject.visit_id.in_(visit_ids))
        for subject in session.scalars(stmt.order_by(VisitSubject.id)):
            out[subject.visit_id].append(subject)
    return out


def list_tracks_for(
    session: Session,
    actor: Actor,
    *,
    grid_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[PatrolTrack]:
    """Patrol tracks in scope, newest first."""
    access.require_role(actor, rules.READ_ROLES, "查看巡查轨迹")
    stmt = select(PatrolTrack).where(access.scope_filter(PatrolTrack.region_path, actor))
    if grid_id is not None:
        stmt = stmt.where(PatrolTrack.grid_id == grid_id)
    stmt = stmt.order_by(PatrolTrack.started_at.desc(), PatrolTrack.id.desc())
    return session.scalars(stmt.limit(_limit(limit)).offset(offset)).all()


def track_points(session: Session, track_id: int) -> Sequence[PatrolPoint]:
    """Points of one track in order (load the track through access first)."""
    stmt = select(PatrolPoint).where(PatrolPoint.track_id == track_id).order_by(PatrolPoint.seq)
    return session.scalars(stmt).all()


@dataclass(frozen=True)
class GridRegisterSummary:
    """The register's figures for one grid (民情图): counts only, no personal data."""

    grid_id: int
    buildings: int = 0
    houses: int = 0
    vacant_houses: int = 0
    residents: int = 0
    tags: dict[str, int] = field(default_factory=dict)


def grid_summaries_for(session: Session, actor: Actor) -> dict[int, GridRegisterSummary]:
    """Per grid in the actor's scope: buildings, houses, vacant houses, residents and the
    number of residents and houses carrying each tag. Counts of sensitive tags (e.g. 重点人员)
    are left out for actors who may not reveal personal data. Five grouped queries."""
    access.require_role(actor, rules.READ_ROLES, "查看民情图")
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    simple: list[tuple[str, Any]] = [
        ("buildings", select(Building.grid_id, func.count()).where(
            access.scope_filter(Building.region_path, actor)).group_by(Building.grid_id)),
        ("houses", select(House.grid_id, func.count()).where(
            access.scope_filter(House.region_path, actor)).group_by(House.grid_id)),
        ("vacant_houses", select(House.grid_id, func.count()).where(
            access.scope_filter(House.region_path, actor), House.is_vacant.is_(True)
        ).group_by(House.grid_id)),
        ("residents", select(Resident.grid_id, func.count()).where(
            access.scope_filter(Resident.region_path, actor)).group_by(Resident.grid_id)),
    ]  # fmt: skip
    for key, stmt in simple:
        for grid_id, n in session.execute(stmt):
            counts[grid_id][key] = n
    show_sensitive = actor.has_role(*rules.REVEAL_ROLES)
    tags: dict[int, dict[str, int]] = defaultdict(dict)
    for link, path in ((ResidentTag, ResidentTag.region_path), (HouseTag, HouseTag.region_path)):
        stmt = (
            select(link.grid_id, Tag.name, func.count())
            .join(Tag, Tag.id == link.tag_id)
            .where(access.scope_filter(path, actor))
            .group_by(link.grid_id, Tag.name)
        )
        if not show_sensitive:
            stmt = stmt.where(Tag.is_sensitive.is_(False))
        for grid_id, name, n in session.execute(stmt):
            tags[grid_id][name] = tags[grid_id].get(name, 0) + n
    return {
        grid_id: GridRegisterSummary(
            grid_id=grid_id,
            buildings=c.get("buildings", 0),
            houses=c.get("houses", 0),
            vacant_houses=c.get("vacant_houses", 0),
            residents=c.get("residents", 0),
            tags=dict(sorted(tags.get(grid_id, {}).items(), key=lambda kv: -kv[1])),
        )
        for grid_id, c in counts.items()
    }


@dataclass(frozen=True, slots=True)
class StandardAddress:
    """A standard address (door plate or compound) as other packages read it in bulk: not
    personal data, so no data scope applies."""

    id: int
    name: str
    grid_id: int
    region_path: str
    lon: float | None
    lat: float | None


def standard_addresses(
    session: Session, *, path_prefix: str = "", limit: int = 50_000
) -> list[StandardAddress]:
    """Standard addresses under the region path ``path_prefix`` (all when empty), by id, at
    most ``limit`` (dispatch matches address text against them)."""
    stmt = select(
        Address.id, Address.name, Address.grid_id, Address.region_path, Address.lon, Address.lat
    ).order_by(Address.id)
    if path_prefix:
        stmt = stmt.where(Address.region_path.startswith(path_prefix, autoescape=True))
    return [
        StandardAddress(int(i), str(n), int(g), str(p), lon, lat)
        for i, n, g, p, lon, lat in session.execute(stmt.limit(max(1, limit)))
    ]


def find_standard_address(session: Session, address_id: int) -> StandardAddress | None:
    """One standard address by id (an interop client names the place by it); None when
    there is no such address."""
    row = session.execute(
        select(
            Address.id, Address.name, Address.grid_id, Address.region_path, Address.lon, Address.lat
        ).where(Address.id == address_id)
    ).one_or_none()
    if row is None:
        return None
    i, n, g, p, lon, lat = row
    return StandardAddress(int(i), str(n), int(g), str(p), lon, lat)


# --- residences as other packages read them (participation: eligibility, forms, demo) ---------


@dataclass(frozen=True, slots=True)
class ResidentRef:
    """Who a register resident is, as other packages need it after a scoped load: the id,
    the name and the region path (no identity number, no phone)."""

    id: int
    name: str
    region_path: str


def resident_ref_for(session: Session, actor: Actor, resident_id: int) -> ResidentRef:
    """A resident in the actor's data scope (role and scope checked by ``access.get_for``;
    NotFound otherwise)."""
    resident = access.get_for(session, Resident, resident_id, actor)
    return ResidentRef(resident.id, resident.name, resident.region_path)


def _current_residence(today: date) -> Any:
    return (Residence.to_on.is_(None)) | (Residence.to_on > today)


def current_residence_paths(session: Session, resident_id: int, today: date) -> list[str]:
    """Region paths of the resident's current residences (no end date, or ending after
    ``today``). Unscoped on purpose: whether a resident may vote or order in a community must
    not depend on the data scope of whoever asks; only paths leave the register."""
    stmt = select(Residence.region_path).where(
        Residence.resident_id == resident_id, _current_residence(today)
    )
    return list(session.scalars(stmt))


def resident_ids_living_in(
    session: Session, region_path: str, today: date, *, limit: int
) -> list[int]:
    """Ids of residents with a current residence inside the region (its path is a prefix),
    lowest id first, at most ``limit``."""
    stmt = (
        select(Residence.resident_id)
        .where(
            Residence.region_path.startswith(region_path, autoescape=True),
            _current_residence(today),
        )
        .distinct()
        .order_by(Residence.resident_id)
        .limit(max(1, limit))
    )
    return list(session.scalars(stmt))


def resident_names(session: Session, resident_ids: Sequence[int]) -> dict[int, str]:
    """Names of the given residents by id (for lists the caller already may show)."""
    names: dict[int, str] = {}
    for part in _parts(sorted(set(resident_ids))):
        rows = session.execute(select(Resident.id, Resident.name).where(Resident.id.in_(part)))
        names.update({int(i): str(n) for i, n in rows})
    return names
