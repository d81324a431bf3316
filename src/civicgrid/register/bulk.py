"""Fast bulk loading of validated register rows (imports and the demo city).

Joins the caller's transaction. Addresses, buildings and houses are matched to existing rows by
their natural keys and created when missing; residents are inserted with executemany batches
(SQLAlchemy "insertmanyvalues": one multi-row INSERT … RETURNING per batch) on SQLite, and
with COPY FROM STDIN on PostgreSQL after reserving ids from the table's sequence; then their
residences and tags the same way. The caller has already checked scope, grids, tags
and duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.orm import Session

from civicgrid.kit.crypto import FieldCipher
from civicgrid.kit.masking import mask_id_number, mask_phone
from civicgrid.register import rules
from civicgrid.register.grids import GridRef
from civicgrid.register.models import (
    Address,
    Building,
    House,
    HouseTag,
    Residence,
    Resident,
    ResidentTag,
)
from civicgrid.register.rows import RegisterRow
from civicgrid.register.specs import HouseSpec

BATCH = 5000
T = TypeVar("T")

LoadProgress = Callable[[int, int], None]
"""``progress(done, total)``: ``done`` of ``total`` residents are written."""


@dataclass
class LoadCounts:
    """How many rows of each kind a load created."""

    addresses: int = 0
    buildings: int = 0
    houses: int = 0
    residents: int = 0
    residences: int = 0
    resident_tags: int = 0
    house_tags: int = 0
    resident_ids: list[int] = field(default_factory=list)


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def chunks(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _copy(session: Session, table: Table, params: list[dict[str, Any]]) -> None:
    """PostgreSQL COPY … FROM STDIN through the session's own connection (same transaction).
    COPY skips SQL parsing per row and is the fastest way in; values go through psycopg's
    type adapters like ordinary parameters (UTCDateTime values are already aware UTC)."""
    columns = list(params[0])
    raw = session.connection().connection.driver_connection
    assert raw is not None
    names = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for p in params:
            copy.write_row([p[c] for c in columns])


def _reserve_ids(session: Session, table: Table, n: int) -> list[int]:
    """Take ``n`` ids from the table's identity sequence (PostgreSQL)."""
    stmt = text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)")
    return list(session.execute(stmt, {"t": table.name, "n": n}).scalars())


def _insert_ids(session: Session, model: type[Any], params: list[dict[str, Any]]) -> list[int]:
    """Insert rows and return their new ids in order."""
    if not params:
        return []
    table = _table(model)
    if _is_postgres(session):
        ids = _reserve_ids(session, table, len(params))
        _copy(session, table, [{"id": i, **p} for i, p in zip(ids, params, strict=True)])
        return ids
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    out: list[int] = []
    for part in chunks(params):
        out.extend(session.execute(stmt, list(part)).scalars())
    return out


def _insert(session: Session, model: type[Any], params: list[dict[str, Any]]) -> None:
    """Insert rows whose ids nobody needs back."""
    if not params:
        return
    table = _table(model)
    if _is_postgres(session):
        _copy(session, table, params)
        return
    for part in chunks(params):
        session.execute(insert(table), list(part))


def _ensure_addresses(
    session: Session, keys: Iterable[tuple[str, str]], grids: dict[str, GridRef], now: datetime
) -> tuple[dict[tuple[int, str], int], int]:
    wanted = set(keys)
    grid_ids = sorted({grids[g].id for g, _ in wanted})
    known: dict[tuple[int, str], int] = {}
    used_codes: dict[int, int] = {}
    for part in chunks(grid_ids, 500):
        rows = session.execute(
            select(Address.id, Address.grid_id, Address.name, Address.code).where(
                Address.grid_id.in_(part)
            )
        )
        for aid, gid, name, code in rows:
            known[(gid, name)] = aid
            seq = int(code[-5:]) if code[-5:].isdigit() else 0
            used_codes[gid] = max(used_codes.get(gid, 0), seq)
    new: list[dict[str, Any]] = []
    new_keys: list[tuple[int, str]] = []
    for grid_code, name in sorted(wanted):
        grid = grids[grid_code]
        if (grid.id, name) in known:
            continue
        seq = used_codes.get(grid.id, 0) + 1
        used_codes[grid.id] = seq
        new.append(
            {
                "code": f"{grid.code}{seq:05d}",
                "name": name,
                "grid_id": grid.id,
                "grid_code": grid.code,
                "region_path": grid.path,
                "created_at": now,
            }
        )
        new_keys.append((grid.id, name))
    for key, aid in zip(new_keys, _insert_ids(session, Address, new), strict=True):
        known[key] = aid
    return known, len(new)


def _ensure_buildings(
    session: Session,
    keys: Iterable[tuple[int, str]],
    address_grid: dict[int, GridRef],
    now: datetime,
) -> tuple[dict[tuple[int, str], int], int]:
    wanted = set(keys)
    known: dict[tuple[int, str], int] = {}
    for part in chunks(sorted({a for a, _ in wanted}), 1000):
        rows = session.execute(
            select(Building.id, Building.address_id, Building.name).where(
                Building.address_id.in_(part)
            )
        )
        for bid, aid, name in rows:
            known[(aid, name)] = bid
    new_keys = sorted(k for k in wanted if k not in known)
    params = [
        {
            "address_id": aid,
            "name": name,
            "grid_id": address_grid[aid].id,
            "region_path": address_grid[aid].path,
            "created_at": now,
        }
        for aid, name in new_keys
    ]
    for key, bid in zip(new_keys, _insert_ids(session, Building, params), strict=True):
        known[key] = bid
    return known, len(new_keys)


@dataclass(frozen=True)
class _Places:
    """The ids of the addresses and buildings a load works with, by natural key."""

    grids: dict[str, GridRef]
    addresses: dict[tuple[int, str], int]
    buildings: dict[tuple[int, str], int]

    def address_id(self, h: HouseSpec) -> int:
        return self.addresses[(self.grids[h.grid_code].id, h.address)]

    def house_key(self, h: HouseSpec) -> tuple[int, str, str]:
        return (self.buildings[(self.address_id(h), h.building)], h.unit, h.room)


def _house_of(r: RegisterRow) -> HouseSpec:
    return HouseSpec(r.grid_code, r.address, r.building, r.unit, r.room)


def _ensure_places(
    session: Session,
    all_houses: Sequence[HouseSpec],
    grids: dict[str, GridRef],
    now: datetime,
    counts: LoadCounts,
) -> _Places:
    """Step 1: the addresses and buildings of every house, created when missing."""
    addr_ids, counts.addresses = _ensure_addresses(
        session, ((h.grid_code, h.address) for h in all_houses), grids, now
    )
    address_grid: dict[int, GridRef] = {}
    for h in all_houses:
        address_grid[addr_ids[(grids[h.grid_code].id, h.address)]] = grids[h.grid_code]
    places = _Places(grids, addr_ids, {})
    bld_ids, counts.buildings = _ensure_buildings(
        session, ((places.address_id(h), h.building) for h in all_houses), address_grid, now
    )
    return _Places(grids, addr_ids, bld_ids)


def _existing_houses(
    session: Session, building_ids: Sequence[int]
) -> tuple[dict[tuple[int, str, str], int], set[int]]:
    """The houses already in these buildings by (building, unit, room), and the vacant ones."""
    house_ids: dict[tuple[int, str, str], int] = {}
    vacant: set[int] = set()
    for part in chunks(building_ids, 1000):
        found = session.execute(
            select(House.id, House.building_id, House.unit, House.room, House.is_vacant).where(
                House.building_id.in_(part)
            )
        )
        for hid, bid, unit, room, is_vacant in found:
            house_ids[(bid, unit, room)] = hid
            if is_vacant:
                vacant.add(hid)
    return house_ids, vacant


def _ensure_houses(
    session: Session,
    places: _Places,
    all_houses: Sequence[HouseSpec],
    rows: Sequence[RegisterRow],
    now: datetime,
    counts: LoadCounts,
) -> dict[tuple[int, str, str], int]:
    """Step 2: match existing houses, create missing ones (specs first so that their area,
    use and vacancy win) and mark formerly vacant houses that now have residents occupied."""
    house_ids, vacant_existing = _existing_houses(
        session, sorted({places.house_key(h)[0] for h in all_houses})
    )
    occupied_keys = {places.house_key(_house_of(r)) for r in rows}
    new_specs: dict[tuple[int, str, str], HouseSpec] = {}
    for h in all_houses:
        key = places.house_key(h)
        if key not in house_ids and key not in new_specs:
            new_specs[key] = h
    params = [
        {
            "building_id": key[0],
            "unit": key[1],
            "room": key[2],
            "label": rules.house_label(h.address, h.building, key[1], key[2]),
            "area_m2": h.area_m2,
            "use": h.use,
            "is_vacant": h.is_vacant and key not in occupied_keys,
            "grid_id": places.grids[h.grid_code].id,
            "region_path": places.grids[h.grid_code].path,
            "created_at": now,
        }
        for key, h in new_specs.items()
    ]
    for key, hid in zip(new_specs, _insert_ids(session, House, params), strict=True):
        house_ids[key] = hid
    counts.houses = len(new_specs)
    now_occupied = sorted(house_ids[k] for k in occupied_keys if house_ids[k] in vacant_existing)
    for part in chunks(now_occupied, 1000):
        session.execute(update(House).where(House.id.in_(part)).values(is_vacant=False))
    return house_ids


def _insert_house_tags(
    session: Session,
    places: _Places,
    houses: Sequence[HouseSpec],
    house_ids: dict[tuple[int, str, str], int],
    tag_ids: dict[str, int],
    now: datetime,
) -> int:
    """Step 3: the tags of the house specs (each pair once); returns how many were written."""
    params: list[dict[str, Any]] = []
    seen: set[tuple[int, int]] = set()
    for h in houses:
        grid = places.grids[h.grid_code]
        for tag in h.tags:
            pair = (house_ids[places.house_key(h)], tag_ids[tag])
            if pair in seen:
                continue
            seen.add(pair)
            params.append(
                {
                    "house_id": pair[0],
                    "tag_id": pair[1],
                    "grid_id": grid.id,
                    "region_path": grid.path,
                    "created_at": now,
                }
            )
    _insert(session, HouseTag, params)
    return len(params)


def _resident_params(
    batch: Sequence[RegisterRow], grids: dict[str, GridRef], cipher: FieldCipher, now: datetime
) -> list[dict[str, Any]]:
    """The resident rows of one batch, ID numbers and phones encrypted and hashed."""
    id_nos = [r.id_no for r in batch]
    id_enc = cipher.encrypt_many(id_nos)
    id_hash = cipher.keyed_hash_many(id_nos)
    params: list[dict[str, Any]] = []
    for i, r in enumerate(batch):
        grid = grids[r.grid_code]
        phone = r.phone
        params.append(
            {
                "name": r.name,
                "gender": r.gender,
                "birth_on": r.birth_on,
                "id_no_enc": id_enc[i],
                "id_no_hash": id_hash[i],
                "id_no_masked": mask_id_number(r.id_no),
                "phone_enc": cipher.encrypt(phone) if phone else None,
                "phone_hash": cipher.keyed_hash(phone) if phone else None,
                "phone_masked": mask_phone(phone),
                "ethnicity": r.ethnicity,
                "household_place": r.household_place,
                "grid_id": grid.id,
                "region_path": grid.path,
                "created_at": now,
                "updated_at": now,
            }
        )
    return params


def _links_of(
    resident_id: int,
    r: RegisterRow,
    resident: dict[str, Any],
    house_id: int,
    tag_ids: dict[str, int],
    now: datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The residence row and the tag rows of one new resident."""
    residence = {
        "resident_id": resident_id,
        "house_id": house_id,
        "kind": r.kind.value,
        "relation_to_owner": r.relation,
        "from_on": r.from_on,
        "to_on": None,
        "grid_id": resident["grid_id"],
        "region_path": resident["region_path"],
    }
    tags = [
        {
            "resident_id": resident_id,
            "tag_id": tag_id,
            "grid_id": resident["grid_id"],
            "region_path": resident["region_path"],
            "created_at": now,
        }
        for tag_id in dict.fromkeys(tag_ids[t] for t in r.tags)
    ]
    return residence, tags


def _insert_residents(
    session: Session,
    *,
    places: _Places,
    rows: Sequence[RegisterRow],
    house_ids: dict[tuple[int, str, str], int],
    tag_ids: dict[str, int],
    cipher: FieldCipher,
    now: datetime,
    counts: LoadCounts,
    progress: LoadProgress | None = None,
) -> None:
    """Step 4: residents with their residences and tags, in batches so that encryption and
    inserts interleave with bounded memory. ``progress`` hears after every batch."""
    done = 0
    for batch in chunks(rows, BATCH):
        resident_params = _resident_params(batch, places.grids, cipher, now)
        resident_ids = _insert_ids(session, Resident, resident_params)
        counts.resident_ids.extend(resident_ids)
        residence_params: list[dict[str, Any]] = []
        tag_params: list[dict[str, Any]] = []
        for rid, r, rp in zip(resident_ids, batch, resident_params, strict=True):
            house_id = house_ids[places.house_key(_house_of(r))]
            residence, tags = _links_of(rid, r, rp, house_id, tag_ids, now)
            residence_params.append(residence)
            tag_params.extend(tags)
        _insert(session, Residence, residence_params)
        _insert(session, ResidentTag, tag_params)
        counts.residents += len(resident_ids)
        counts.residences += len(residence_params)
        counts.resident_tags += len(tag_params)
        done += len(batch)
        if progress is not None:
            progress(done, len(rows))


def load(
    session: Session,
    *,
    rows: Sequence[RegisterRow],
    houses: Sequence[HouseSpec] = (),
    grids: dict[str, GridRef],
    tag_ids: dict[str, int],
    cipher: FieldCipher,
    now: datetime,
    progress: LoadProgress | None = None,
) -> LoadCounts:
    """Create the addresses, buildings, houses, residents, residences and tags described by
    ``rows`` and ``houses``. Joins the caller's transaction (never commits).

    ``progress(done, total)`` hears ``(0, len(rows))`` once the places and houses exist, then
    after every batch of :data:`BATCH` residents, the last call being ``(len(rows), len(rows))``."""
    counts = LoadCounts()
    all_houses: list[HouseSpec] = list(houses) + [_house_of(r) for r in rows]
    places = _ensure_places(session, all_houses, grids, now, counts)
    house_ids = _ensure_houses(session, places, all_houses, rows, now, counts)
    counts.house_tags = _insert_house_tags(session, places, houses, house_ids, tag_ids, now)
    if progress is not None:
        progress(0, len(rows))
    _insert_residents(
        session,
        places=places,
        rows=rows,
        house_ids=house_ids,
        tag_ids=tag_ids,
        cipher=cipher,
        now=now,
        counts=counts,
        progress=progress,
    )
    return counts
