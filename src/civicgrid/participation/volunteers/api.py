"""JSON API of volunteer service (/api/v1/participation): teams, 双报到, volunteers, orders,
service records and certificates. Thin: parse, call one use case, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from civicgrid.auth.deps import CurrentActor
from civicgrid.deps import DbSession
from civicgrid.errors import Forbidden
from civicgrid.participation import access
from civicgrid.participation.endpoint import Call
from civicgrid.participation.volunteers import queries, service
from civicgrid.participation.volunteers import rules as r
from civicgrid.participation.volunteers.schemas import (
    ActivityRecordCreate,
    AssignRequest,
    CancelOrderRequest,
    CertificateCreate,
    CertificateRead,
    OrderCreate,
    OrderRead,
    PartyOrgCreate,
    PartyOrgRead,
    PartyOrgSummaryRead,
    RateRequest,
    RecordCreate,
    RecordRead,
    TakeRequest,
    TeamAssignment,
    TeamCreate,
    TeamRead,
    VolunteerCreate,
    VolunteerRead,
)

router = APIRouter(prefix="/api/v1/participation", tags=["participation: volunteers"])
CREATED = status.HTTP_201_CREATED


def _require_staff(actor: CurrentActor) -> None:
    access.require_roles(actor, access.STAFF_READ_ROLES, "查看志愿服务台账")


@router.post("/teams", response_model=TeamRead, status_code=CREATED, summary="建立志愿服务队")
def create_team(call: Call, body: TeamCreate) -> TeamRead:
    team = service.create_team(
        call.session,
        region_code=body.region_code,
        name=body.name,
        colour=body.colour,
        service_area=body.service_area,
        **call.by,
    )
    return TeamRead.model_validate(team)


@router.get("/teams", response_model=list[TeamRead], summary="志愿服务队")
def list_teams(actor: CurrentActor, session: DbSession) -> list[TeamRead]:
    _require_staff(actor)
    return [TeamRead.model_validate(t) for t in queries.list_teams_for(session, actor)]


@router.post(
    "/party-orgs", response_model=PartyOrgRead, status_code=CREATED, summary="党组织双报到"
)
def register_party_org(call: Call, body: PartyOrgCreate) -> PartyOrgRead:
    org = service.register_party_org(
        call.session, region_code=body.region_code, name=body.name, contact=body.contact, **call.by
    )
    return PartyOrgRead.model_validate(org)


@router.get(
    "/party-orgs",
    response_model=list[PartyOrgSummaryRead],
    summary="双报到台账（党组织、在职党员与服务时长）",
)
def list_party_orgs(actor: CurrentActor, session: DbSession) -> list[PartyOrgSummaryRead]:
    _require_staff(actor)
    return [
        PartyOrgSummaryRead(
            org=PartyOrgRead.model_validate(s.org),
            member_count=s.member_count,
            hours=r.hours_text(s.minutes),
        )
        for s in queries.party_org_summaries(session, actor)
    ]


@router.post(
    "/volunteers",
    response_model=VolunteerRead,
    status_code=CREATED,
    summary="志愿者注册（含在职党员双报到）",
)
def register_volunteer(call: Call, body: VolunteerCreate) -> VolunteerRead:
    volunteer = service.register_volunteer(
        call.session,
        data=service.NewVolunteer(
            region_code=body.region_code,
            name=body.name,
            phone=body.phone,
            skills=tuple(body.skills),
            availability=body.availability,
            team_id=body.team_id,
            is_party_member=body.is_party_member,
            party_org_id=body.party_org_id,
            resident_id=body.resident_id,
            user_id=body.user_id,
        ),
        **call.by,
    )
    return VolunteerRead.of(volunteer)


@router.get("/volunteers", response_model=list[VolunteerRead], summary="志愿者与服务时长")
def list_volunteers(
    actor: CurrentActor,
    session: DbSession,
    party_members: Annotated[bool, Query(description="只看在职党员")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[VolunteerRead]:
    _require_staff(actor)
    rows = queries.list_volunteers_for(
        session, actor, party_members_only=party_members, limit=limit
    )
    minutes = queries.confirmed_minutes(session, [v.id for v in rows])
    return [VolunteerRead.of(v, minutes.get(v.id, 0)) for v in rows]


@router.get("/volunteers/me", response_model=VolunteerRead, summary="我的志愿者信息")
def my_volunteer(actor: CurrentActor, session: DbSession) -> VolunteerRead:
    volunteer = queries.volunteer_for_user(session, actor.user_id)
    if volunteer is None:
        raise Forbidden("您还不是注册志愿者")
    minutes = queries.confirmed_minutes(session, [volunteer.id])
    return VolunteerRead.of(volunteer, minutes.get(volunteer.id, 0))


@router.get(
    "/volunteers/{volunteer_id}/records", response_model=list[RecordRead], summary="志愿服务记录"
)
def volunteer_records(
    volunteer_id: int, actor: CurrentActor, session: DbSession
) -> list[RecordRead]:
    volunteer = queries.get_volunteer_for(session, actor, volunteer_id)
    return [RecordRead.of(x) for x in queries.records_of(session, volunteer.id)]


@router.put(
    "/volunteers/{volunteer_id}/team", response_model=VolunteerRead, summary="调整所在服务队"
)
def join_team(volunteer_id: int, call: Call, body: TeamAssignment) -> VolunteerRead:
    return VolunteerRead.of(
        service.join_team(call.session, volunteer_id=volunteer_id, team_id=body.team_id, **call.by)
    )


@router.post(
    "/volunteers/{volunteer_id}/records",
    response_model=RecordRead,
    status_code=CREATED,
    summary="登记活动服务记录",
)
def record_activity(
    volunteer_id: int,
    call: Call,
    body: ActivityRecordCreate,
) -> RecordRead:
    record = service.record_activity(
        call.session,
        volunteer_id=volunteer_id,
        activity=body.activity,
        started_at=body.started_at,
        ended_at=body.ended_at,
        travel_minutes=body.travel_minutes,
        content=body.content,
        place=body.place,
        **call.by,
    )
    return RecordRead.of(record)


@router.post(
    "/volunteers/{volunteer_id}/certificates",
    response_model=CertificateRead,
    status_code=CREATED,
    summary="出具志愿服务证明",
)
def issue_certificate(
    volunteer_id: int,
    call: Call,
    body: CertificateCreate,
) -> CertificateRead:
    cert = service.issue_certificate(
        call.session,
        volunteer_id=volunteer_id,
        signer=body.signer,
        handler=body.handler,
        contact=body.contact,
        **call.by,
    )
    return CertificateRead.of(cert)


@router.get(
    "/certificates/{certificate_id}", response_model=CertificateRead, summary="志愿服务证明"
)
def get_certificate(
    certificate_id: int, actor: CurrentActor, session: DbSession
) -> CertificateRead:
    return CertificateRead.of(queries.get_certificate_for(session, actor, certificate_id))


# --- orders -----------------------------------------------------------------------------------


@router.post("/orders", response_model=OrderRead, status_code=CREATED, summary="点单")
def place_order(call: Call, body: OrderCreate) -> OrderRead:
    order = service.place_order(
        call.session,
        data=service.NewOrder(
            region_code=body.region_code,
            title=body.title,
            description=body.description,
            skill=body.skill,
            wanted_at=body.wanted_at,
            resident_id=body.resident_id,
        ),
        **call.by,
    )
    return OrderRead.of(order)


@router.get(
    "/orders",
    response_model=list[OrderRead],
    summary="服务单：工作人员看辖区，居民看自己的点单，志愿者看可接与已接",
)
def list_orders(
    actor: CurrentActor,
    session: DbSession,
    status_: Annotated[r.OrderStatus | None, Query(alias="status")] = None,
    mine: Annotated[bool, Query(description="志愿者：只看可接与已接的服务单")] = False,
) -> list[OrderRead]:
    if mine:
        volunteer = queries.volunteer_for_user(session, actor.user_id)
        if volunteer is None:
            raise Forbidden("您还不是注册志愿者")
        rows = queries.volunteer_orders(session, volunteer)
    elif access.is_staff(actor):
        rows = queries.list_orders_for(session, actor, status=status_.value if status_ else None)
    else:
        rows = queries.my_orders(session, actor)
    return [OrderRead.of(o) for o in rows]


@router.get("/orders/{order_id}", response_model=OrderRead, summary="服务单详情")
def get_order(order_id: int, actor: CurrentActor, session: DbSession) -> OrderRead:
    return OrderRead.of(queries.get_order_for(session, actor, order_id))


@router.post("/orders/{order_id}/assign", response_model=OrderRead, summary="派单")
def assign_order(order_id: int, call: Call, body: AssignRequest) -> OrderRead:
    return OrderRead.of(
        service.assign_order(call.session, order_id=order_id, team_id=body.team_id, **call.by)
    )


@router.post("/orders/{order_id}/take", response_model=OrderRead, summary="接单")
def take_order(order_id: int, call: Call, body: TakeRequest) -> OrderRead:
    return OrderRead.of(
        service.take_order(
            call.session, order_id=order_id, volunteer_id=body.volunteer_id, **call.by
        )
    )


@router.post(
    "/orders/{order_id}/record",
    response_model=RecordRead,
    status_code=CREATED,
    summary="登记服务记录（实际服务时间，不含路途）",
)
def record_service(order_id: int, call: Call, body: RecordCreate) -> RecordRead:
    record = service.record_service(
        call.session,
        order_id=order_id,
        started_at=body.started_at,
        ended_at=body.ended_at,
        travel_minutes=body.travel_minutes,
        content=body.content,
        place=body.place,
        **call.by,
    )
    return RecordRead.of(record)


@router.post("/orders/{order_id}/confirm", response_model=OrderRead, summary="居民确认服务")
def confirm_service(order_id: int, call: Call) -> OrderRead:
    return OrderRead.of(service.confirm_service(call.session, order_id=order_id, **call.by))


@router.post("/orders/{order_id}/rating", response_model=OrderRead, summary="居民评价")
def rate_order(order_id: int, call: Call, body: RateRequest) -> OrderRead:
    return OrderRead.of(
        service.rate_order(
            call.session, order_id=order_id, rating=body.rating, comment=body.comment, **call.by
        )
    )


@router.post("/orders/{order_id}/cancel", response_model=OrderRead, summary="取消服务单")
def cancel_order(order_id: int, call: Call, body: CancelOrderRequest) -> OrderRead:
    return OrderRead.of(
        service.cancel_order(call.session, order_id=order_id, reason=body.reason, **call.by)
    )
