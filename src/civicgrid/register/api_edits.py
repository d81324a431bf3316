"""JSON API of the register, the editing half (/api/v1/register): the house picker's search,
corrections to residents and houses, a house registered by address and building name, house
tags removed, and the visits of one house. Routes parse, call one use case or one scoped
query, and shape the answer (masked, as in :mod:`civicgrid.register.api`)."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from civicgrid.auth.deps import CurrentActor
from civicgrid.deps import AppSettings, DbSession, Now, field_cipher
from civicgrid.kit.crypto import FieldCipher
from civicgrid.register import lookups, queries, schemas, service
from civicgrid.register.api import visit_reads
from civicgrid.register.models import House, Resident
from civicgrid.territory import queries as territory_queries

router = APIRouter(prefix="/api/v1/register", tags=["register"])


def _cipher(settings: AppSettings) -> FieldCipher:
    return field_cipher(settings)


Cipher = Annotated[FieldCipher, Depends(_cipher)]


def _house_read(session: DbSession, house: House) -> schemas.HouseRead:
    tags = queries.house_tags(session, [house.id]).get(house.id, [])
    return schemas.HouseRead.model_validate(house).model_copy(update={"tags": tags})


@router.get(
    "/pickers/houses",
    response_model=list[schemas.HouseChoiceRead],
    summary="房屋搜索：按地址文字查找本人数据范围内的房屋（选择器用）",
)
def search_houses(
    session: DbSession,
    actor: CurrentActor,
    q: Annotated[str, Query(max_length=100, description="地址、楼栋、单元或房号中的字")] = "",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> object:
    return [
        schemas.HouseChoiceRead(id=h.id, label=h.label, grid_id=h.grid_id, group=group)
        for h, group in _with_groups(
            session, lookups.search_houses_for(session, actor, q, limit=limit)
        )
    ]


def _with_groups(
    session: DbSession, found: list[lookups.HouseChoice]
) -> list[tuple[lookups.HouseChoice, str]]:
    """Each house with its grid's name when another house found has the same label (the same
    address text in two grids), else with an empty name."""
    labels = Counter(h.label for h in found)
    repeated = {h.grid_id for h in found if labels[h.label] > 1}
    names = {i: r.name for i, r in territory_queries.regions_by_ids(session, repeated).items()}
    return [(h, names.get(h.grid_id, "") if labels[h.label] > 1 else "") for h in found]


@router.post("/houses", response_model=schemas.HouseRead, status_code=201)
def register_house(
    body: schemas.HouseRegister, session: DbSession, actor: CurrentActor, now: Now
) -> object:
    house = service.register_house(session, **body.model_dump(), actor=actor, now=now)
    return _house_read(session, house)


@router.patch("/houses/{house_id}", response_model=schemas.HouseRead)
def update_house(
    house_id: int, body: schemas.HouseUpdate, session: DbSession, actor: CurrentActor, now: Now
) -> object:
    house = service.update_house(
        session, house_id=house_id, **body.model_dump(), actor=actor, now=now
    )
    return _house_read(session, house)


@router.delete("/houses/{house_id}/tags/{tag}", status_code=204)
def untag_house(
    house_id: int, tag: str, session: DbSession, actor: CurrentActor, now: Now
) -> Response:
    service.untag_house(session, house_id=house_id, tag=tag, actor=actor, now=now)
    return Response(status_code=204)


@router.get("/houses/{house_id}/visits", response_model=list[schemas.VisitRead])
def house_visits(
    house_id: int,
    session: DbSession,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> object:
    lookups.house_label_for(session, actor, house_id)  # NotFound when out of scope
    visits = lookups.visits_of(session, actor, house_id=house_id, limit=limit)
    return visit_reads(session, list(visits))


@router.patch("/residents/{resident_id}", response_model=schemas.ResidentListItem)
def update_resident(
    resident_id: int,
    body: schemas.ResidentUpdate,
    session: DbSession,
    actor: CurrentActor,
    cipher: Cipher,
    now: Now,
) -> object:
    resident: Resident = service.update_resident(
        session, resident_id=resident_id, **body.model_dump(), actor=actor, cipher=cipher, now=now
    )
    tags = queries.resident_tags(session, [resident.id]).get(resident.id, [])
    return schemas.ResidentListItem(
        id=resident.id,
        name=resident.name,
        gender=resident.gender,
        birth_on=resident.birth_on,
        id_no_masked=resident.id_no_masked,
        phone_masked=resident.phone_masked,
        grid_id=resident.grid_id,
        tags=tags,
    )
