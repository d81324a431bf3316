"""JSON API of the register (/api/v1/register). Routes parse, call one use case or one scoped
query, and shape the answer; lists and details are masked, only /reveal returns plain values."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile, status
from fastapi.responses import JSONResponse, Response

from civicgrid.auth.actor import Actor
from civicgrid.auth.deps import CurrentActor
from civicgrid.deps import AppSettings, DbSession, Now, field_cipher
from civicgrid.errors import Invalid
from civicgrid.kit import spreadsheet
from civicgrid.kit.crypto import FieldCipher
from civicgrid.register import access, exchange, patrol, queries, rules, schemas, service
from civicgrid.register.models import Address, House, PatrolTrack, Resident, Visit
from civicgrid.register.rows import ALIASES
from civicgrid.register.rules import ImportMode

router = APIRouter(prefix="/api/v1/register", tags=["register"])


def get_cipher(settings: AppSettings) -> FieldCipher:
    """The field cipher of the configured key (built once per process)."""
    return field_cipher(settings)


Cipher = Annotated[FieldCipher, Depends(get_cipher)]


# --- tags --------------------------------------------------------------------------------------


@router.get("/tags", response_model=list[schemas.TagRead])
def list_tags(session: DbSession, actor: CurrentActor, target: str | None = None) -> object:
    access.require_role(actor, rules.READ_ROLES, "查看标签")
    return queries.list_tags(session, target=target)


@router.post("/tags", response_model=schemas.TagRead, status_code=status.HTTP_201_CREATED)
def create_tag(
    body: schemas.TagCreate, session: DbSession, actor: CurrentActor, now: Now
) -> object:
    return service.create_tag(session, **body.model_dump(), actor=actor, now=now)


# --- addresses, buildings, houses --------------------------------------------------------------


@router.post("/addresses", response_model=schemas.AddressRead, status_code=201)
def create_address(
    body: schemas.AddressCreate, session: DbSession, actor: CurrentActor, now: Now
) -> object:
    return service.create_address(session, **body.model_dump(), actor=actor, now=now)


@router.get("/addresses", response_model=list[schemas.AddressRead])
def list_addresses(
    session: DbSession,
    actor: CurrentActor,
    grid_id: int | None = None,
    q: str = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> object:
    return queries.list_addresses_for(
        session, actor, grid_id=grid_id, q=q, limit=limit, offset=offset
    )


@router.get("/addresses/{address_id}", response_model=schemas.AddressRead)
def get_address(address_id: int, session: DbSession, actor: CurrentActor) -> object:
    return access.get_for(session, Address, address_id, actor)


@router.post(
    "/addresses/{address_id}/buildings", response_model=schemas.BuildingRead, status_code=201
)
def create_building(
    address_id: int,
    body: schemas.BuildingCreate,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
) -> object:
    return service.create_building(
        session, address_id=address_id, **body.model_dump(), actor=actor, now=now
    )


@router.get("/addresses/{address_id}/buildings", response_model=list[schemas.BuildingRead])
def list_buildings(address_id: int, session: DbSession, actor: CurrentActor) -> object:
    return queries.list_buildings_for(session, actor, address_id=address_id)


def _house_read(session: DbSession, houses: list[House]) -> list[schemas.HouseRead]:
    tags = queries.house_tags(session, [h.id for h in houses])
    return [
        schemas.HouseRead.model_validate(h).model_copy(update={"tags": tags.get(h.id, [])})
        for h in houses
    ]


@router.post("/buildings/{building_id}/houses", response_model=schemas.HouseRead, status_code=201)
def create_house(
    building_id: int,
    body: schemas.HouseCreate,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
) -> object:
    house = service.create_house(
        session, building_id=building_id, **body.model_dump(), actor=actor, now=now
    )
    return _house_read(session, [house])[0]


@router.get("/houses", response_model=list[schemas.HouseRead])
def list_houses(
    session: DbSession,
    actor: CurrentActor,
    building_id: int | None = None,
    is_vacant: bool | None = None,
    tag: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> object:
    houses = queries.list_houses_for(
        session,
        actor,
        building_id=building_id,
        is_vacant=is_vacant,
        tag=tag,
        limit=limit,
        offset=offset,
    )
    return _house_read(session, list(houses))


@router.get("/houses/{house_id}", response_model=schemas.HouseRead)
def get_house(house_id: int, session: DbSession, actor: CurrentActor) -> object:
    return _house_read(session, [access.get_for(session, House, house_id, actor)])[0]


@router.get("/houses/{house_id}/residents", response_model=list[schemas.ResidentListItem])
def house_residents(house_id: int, session: DbSession, actor: CurrentActor) -> object:
    return _resident_items(session, queries.house_residents_for(session, actor, house_id))


@router.put("/houses/{house_id}/vacancy", response_model=schemas.HouseRead)
def set_vacancy(
    house_id: int,
    body: schemas.VacancyRequest,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
) -> object:
    house = service.set_house_vacancy(
        session, house_id=house_id, is_vacant=body.is_vacant, actor=actor, now=now
    )
    return _house_read(session, [house])[0]


@router.post("/houses/{house_id}/tags", status_code=204)
def tag_house(
    house_id: int, body: schemas.TagRequest, session: DbSession, actor: CurrentActor, now: Now
) -> Response:
    service.tag_house(session, house_id=house_id, tag=body.tag, actor=actor, now=now)
    return Response(status_code=204)


# --- residents -------------------------------------------------------------------------------


def _resident_items(
    session: DbSession, residents: list[Resident] | tuple[Resident, ...]
) -> list[schemas.ResidentListItem]:
    tags = queries.resident_tags(session, [r.id for r in residents])
    return [
        schemas.ResidentListItem(
            id=r.id,
            name=r.name,
            gender=r.gender,
            birth_on=r.birth_on,
            id_no_masked=r.id_no_masked,
            phone_masked=r.phone_masked,
            grid_id=r.grid_id,
            tags=tags.get(r.id, []),
        )
        for r in residents
    ]


def _resident_read(session: DbSession, actor: Actor, resident_id: int) -> schemas.ResidentRead:
    detail = queries.resident_detail_for(session, actor, resident_id)
    r = detail.resident
    return schemas.ResidentRead(
        id=r.id,
        name=r.name,
        gender=r.gender,
        birth_on=r.birth_on,
        id_no_masked=r.id_no_masked,
        phone_masked=r.phone_masked,
        grid_id=r.grid_id,
        tags=detail.tags,
        ethnicity=r.ethnicity,
        household_place=r.household_place,
        residences=[schemas.ResidenceRead(**vars(v)) for v in detail.residences],
    )


@router.post("/residents", response_model=schemas.ResidentRead, status_code=201)
def register_resident(
    body: schemas.ResidentCreate,
    session: DbSession,
    actor: CurrentActor,
    cipher: Cipher,
    now: Now,
) -> object:
    resident = service.register_resident(
        session, **body.model_dump(), actor=actor, cipher=cipher, now=now
    )
    return _resident_read(session, actor, resident.id)


@router.get("/residents", response_model=schemas.ResidentPage)
def search_residents(
    session: DbSession,
    actor: CurrentActor,
    cipher: Cipher,
    name: str = "",
    id_no: str = "",
    phone: str = "",
    tag: str = "",
    address: str = "",
    grid_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> object:
    criteria = queries.ResidentSearch(
        name=name, id_no=id_no, phone=phone, tag=tag, address=address, grid_id=grid_id
    )
    rows, total = queries.search_residents_for(
        session, actor, criteria, cipher=cipher, limit=limit, offset=offset
    )
    cap = queries.RESIDENT_COUNT_CAP
    return schemas.ResidentPage(
        items=_resident_items(session, list(rows)), total=min(total, cap), total_capped=total > cap
    )


@router.get("/residents/{resident_id}", response_model=schemas.ResidentRead)
def get_resident(resident_id: int, session: DbSession, actor: CurrentActor) -> object:
    return _resident_read(session, actor, resident_id)


@router.post("/residents/{resident_id}/reveal", response_model=schemas.RevealRead)
def reveal_resident(
    resident_id: int,
    body: schemas.RevealRequest,
    session: DbSession,
    actor: CurrentActor,
    cipher: Cipher,
    now: Now,
) -> object:
    shown = service.reveal_resident(
        session, resident_id=resident_id, reason=body.reason, actor=actor, cipher=cipher, now=now
    )
    return schemas.RevealRead(**vars(shown))


@router.post("/residents/{resident_id}/tags", status_code=204)
def tag_resident(
    resident_id: int,
    body: schemas.TagRequest,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
) -> Response:
    service.tag_resident(session, resident_id=resident_id, tag=body.tag, actor=actor, now=now)
    return Response(status_code=204)


@router.delete("/residents/{resident_id}/tags/{tag}", status_code=204)
def untag_resident(
    resident_id: int, tag: str, session: DbSession, actor: CurrentActor, now: Now
) -> Response:
    service.untag_resident(session, resident_id=resident_id, tag=tag, actor=actor, now=now)
    return Response(status_code=204)


@router.post(
    "/residents/{resident_id}/move", response_model=schemas.ResidenceCreated, status_code=201
)
def move_resident(
    resident_id: int,
    body: schemas.MoveRequest,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
) -> object:
    return service.move_resident(
        session, resident_id=resident_id, **body.model_dump(), actor=actor, now=now
    )


# --- visits and patrols ----------------------------------------------------------------------


def visit_reads(session: DbSession, visits: list[Visit]) -> list[schemas.VisitRead]:
    """Visits as the API answers them, with the residents and houses they concerned."""
    subjects = queries.visit_subjects(session, [v.id for v in visits])
    return [
        schemas.VisitRead(
            id=v.id,
            worker_label=v.worker_label,
            visited_at=v.visited_at,
            kind=v.kind,
            place=v.place,
            content=v.content,
            grid_id=v.grid_id,
            resident_ids=[s.resident_id for s in subjects[v.id] if s.resident_id is not None],
            house_ids=[s.house_id for s in subjects[v.id] if s.house_id is not None],
        )
        for v in visits
    ]


@router.post("/visits", response_model=schemas.VisitRead, status_code=201)
def record_visit(
    body: schemas.VisitCreate, session: DbSession, actor: CurrentActor, now: Now
) -> object:
    visit = service.record_visit(session, **body.model_dump(), actor=actor, now=now)
    return visit_reads(session, [visit])[0]


@router.get("/visits", response_model=list[schemas.VisitRead])
def list_visits(
    session: DbSession,
    actor: CurrentActor,
    grid_id: int | None = None,
    resident_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> object:
    visits = queries.list_visits_for(
        session, actor, grid_id=grid_id, resident_id=resident_id, limit=limit, offset=offset
    )
    return visit_reads(session, list(visits))


@router.post("/patrol-tracks", response_model=schemas.PatrolRead, status_code=201)
def record_patrol(
    body: schemas.PatrolCreate, session: DbSession, actor: CurrentActor, now: Now
) -> object:
    points = [patrol.GpsPoint(p.at, p.lon, p.lat) for p in body.points]
    track = service.record_patrol(
        session, grid_code=body.grid_code, points=points, actor=actor, now=now
    )
    return _patrol_read(session, track, with_points=True)


def _patrol_read(session: DbSession, track: PatrolTrack, *, with_points: bool) -> object:
    read = schemas.PatrolRead.model_validate(track)
    if with_points:
        read.points = [
            schemas.PointIn(at=p.at, lon=p.lon, lat=p.lat)
            for p in queries.track_points(session, track.id)
        ]
    return read


@router.get("/patrol-tracks", response_model=list[schemas.PatrolRead])
def list_patrols(
    session: DbSession,
    actor: CurrentActor,
    grid_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> object:
    tracks = queries.list_tracks_for(session, actor, grid_id=grid_id, limit=limit, offset=offset)
    return [_patrol_read(session, t, with_points=False) for t in tracks]


@router.get("/patrol-tracks/{track_id}", response_model=schemas.PatrolRead)
def get_patrol(track_id: int, session: DbSession, actor: CurrentActor) -> object:
    return _patrol_read(
        session, access.get_for(session, PatrolTrack, track_id, actor), with_points=True
    )


# --- import and export -----------------------------------------------------------------------


@router.post(
    "/import",
    response_model=schemas.ImportReportRead,
    responses={
        422: {
            "description": "import refused (all-or-nothing, the default, with an invalid row); "
            "body is the row report"
        }
    },
)
def import_file(
    session: DbSession,
    actor: CurrentActor,
    cipher: Cipher,
    now: Now,
    file: Annotated[UploadFile, File(description="CSV 或 XLSX 文件")],
    mode: Annotated[
        ImportMode,
        Form(
            description="all-or-nothing (default): nothing is stored when any row is invalid; "
            "valid-rows: the valid rows are imported and the rest reported"
        ),
    ] = ImportMode.ALL_OR_NOTHING,
) -> object:
    """Import residents and houses. All-or-nothing unless ``mode=valid-rows`` is chosen."""
    try:
        fmt = spreadsheet.detect_format(file.filename or "")
        table = spreadsheet.read_table(file.file.read(), fmt, ALIASES)
    except spreadsheet.SpreadsheetError as exc:
        exchange.refuse_unreadable_import(
            session, reason=str(exc), filename=file.filename or "", actor=actor, now=now
        )
        raise Invalid(str(exc)) from exc
    report = exchange.import_register(
        session, table=table, mode=mode, actor=actor, cipher=cipher, now=now
    )
    body = schemas.ImportReportRead(
        mode=report.mode.value,
        total_rows=report.total_rows,
        valid_rows=report.valid_rows,
        imported=report.imported,
        rejected=report.rejected,
        error_rows=report.error_rows,
        errors=[
            schemas.RowErrorRead(row=e.row, field=e.field, message=e.message) for e in report.errors
        ],
        unknown_headers=report.unknown_headers,
        counts=schemas.ImportCounts(
            addresses=report.counts.addresses,
            buildings=report.counts.buildings,
            houses=report.counts.houses,
            residents=report.counts.residents,
            residences=report.counts.residences,
            resident_tags=report.counts.resident_tags,
        ),
    )
    if report.rejected:
        return JSONResponse(body.model_dump(mode="json"), status_code=422)
    return body


_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.post("/export", response_class=Response)
def export_file(
    body: schemas.ExportRequest,
    session: DbSession,
    actor: CurrentActor,
    cipher: Cipher,
    now: Now,
) -> Response:
    data = exchange.export_register(
        session,
        fmt=body.format,
        reveal=body.reveal,
        reason=body.reason,
        grid_id=body.grid_id,
        actor=actor,
        cipher=cipher,
        now=now,
    )
    return Response(
        data,
        media_type=_MEDIA[body.format],
        headers={"Content-Disposition": f'attachment; filename="register.{body.format}"'},
    )
