"""Appeals as records: intake, the scoped list, the detail with its timeline, the caller's own
rating (自助评价) and the photos."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.appeals import queries, read_models, service
from civicgrid.appeals.api.deps import PREFIX, Cipher, Media, detail_after, media_policy
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.deadlines import WarningLevel
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.schemas import (
    AppealCreate,
    AppealCreated,
    AppealPageOut,
    AppealRead,
    AttachmentOut,
    CallbackOut,
    DeadlineOut,
    RateRequest,
    SelfRatingOut,
)
from civicgrid.appeals.self_service_rules import NO_MATCH_MESSAGE, TrackingProof
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth.deps import (
    CurrentActor,
    OptionalActor,
    authenticate_json,
    credentials_present,
)
from civicgrid.db import one_connection
from civicgrid.deps import DbSession, Now, clock_of, close_session, field_cipher, settings_of
from civicgrid.errors import Invalid, NotFound
from civicgrid.media.store import read_photo
from civicgrid.protect.idempotency import KeyHeader, claim_request, request_digest, user_scope
from civicgrid.protect.routes import count_request

router = APIRouter()


@router.post(
    "",
    response_model=AppealCreated,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(credentials_present)],
    summary="登记诉求",
    response_description="The new appeal's number, located grid and deadlines; the full detail "
    "is at the ``Location`` header (``GET /api/v1/appeals/{id}``).",
)
async def create_appeal(
    body: AppealCreate,
    request: Request,
    idempotency_key: KeyHeader = None,
) -> Response:
    """Record a new appeal (hotline, web, 随手拍, grid patrol or API).

    The answer is short: number, status, located grid (``region_id``), deadlines and version;
    the timeline, caller and the other records are read with ``GET`` at ``Location``."""
    # The busiest write of the API: everything that talks to the database happens in one
    # thread-pool trip (:func:`_record`) instead of a trip per dependency.
    digest = "" if idempotency_key is None else await request_digest(request, idempotency_key)
    return await run_in_threadpool(_record, body, request, idempotency_key, digest)


def _record(
    body: AppealCreate, request: Request, idempotency_key: str | None, digest: str
) -> Response:
    """Intake on one pooled connection: the throttle's count (a short transaction of its own,
    before anything else), the credentials' check and the ``Idempotency-Key`` claim in the
    request's session, then the use case, which commits the appeal with the claim. The clock,
    cipher and media policy come from the app's settings (each declared dependency costs CPU
    on every request)."""
    settings = settings_of(request)
    factory: sessionmaker[Session] = request.app.state.session_factory
    with one_connection(factory) as sessions:
        count_request(request, sessions)
        session = sessions()
        now = clock_of(request).now()
        try:
            actor = authenticate_json(request, session)
            if idempotency_key is not None:
                claim_request(request, session, user_scope(actor), idempotency_key, digest)
            data = service.NewAppeal(
                **body.model_dump(exclude={"photos"}), photos=tuple(body.photos)
            )
            appeal = service.submit_appeal(
                session,
                data=data,
                actor=actor,
                cipher=field_cipher(settings),
                media=media_policy(settings),
                now=now,
            )
        finally:
            close_session(session, now)
    # The answer is serialised here, in the endpoint's thread: a returned model would be
    # validated again against ``response_model`` in another trip to the thread pool.
    return Response(
        _created(appeal, now).model_dump_json(),
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
        headers={"Location": f"{PREFIX}/{appeal.id}"},
    )


def _created(appeal: Appeal, now: datetime) -> AppealCreated:
    """The intake answer, from the row just written (no further reads)."""
    running = queries.running_deadline(appeal)
    warning = queries.warning_for(appeal, now)
    deadline = (
        DeadlineOut(
            kind=running.kind,
            due_at=running.due,
            warning=warning,
            warning_label=warning.label if warning else "",
        )
        if running is not None
        else None
    )
    return AppealCreated(
        id=appeal.id,
        number=appeal.number,
        status=appeal.status,
        status_label=AppealStatus(appeal.status).label,
        channel=appeal.channel,
        appeal_type=appeal.appeal_type,
        level=appeal.level,
        received_at=appeal.received_at,
        region_id=appeal.region_id,
        dispatch_due_at=appeal.dispatch_due_at,
        response_due_at=appeal.response_due_at,
        finish_due_at=appeal.finish_due_at,
        deadline=deadline,
        version=appeal.version,
    )


@router.get("", response_model=AppealPageOut, summary="诉求列表")
def list_appeals(
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    status_: Annotated[list[AppealStatus] | None, Query(alias="status")] = None,
    unit_kind: Annotated[str | None, Query(pattern="^(region|department|utility)$")] = None,
    unit_id: int | None = None,
    overdue: bool | None = None,
    warning: WarningLevel | None = None,
    channel: Channel | None = None,
    appeal_type: AppealType | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    unreasonable_pending: bool | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AppealPageOut:
    """Appeals in the caller's data scope, newest first, with the running deadline's colour.

    ``unreasonable_pending=true`` lists the orders whose unit applied for the 不合理诉求 finding
    and awaits the centre's decision (the reviewer's list)."""
    for name, value in (("received_from", received_from), ("received_to", received_to)):
        if value is not None and value.tzinfo is None:
            raise Invalid(f"{name} 须带时区 (must include a timezone offset)")
    if (unit_kind is None) != (unit_id is None):
        raise Invalid("unit_kind 与 unit_id 须同时提供 (give both unit_kind and unit_id)")
    filters = queries.AppealFilters(
        statuses=[s.value for s in status_ or []],
        unit_kind=unit_kind,
        unit_id=unit_id,
        overdue=overdue,
        warning=warning,
        channel=channel.value if channel else None,
        appeal_type=appeal_type.value if appeal_type else None,
        received_from=received_from,
        received_to=received_to,
        text=q,
        unreasonable_pending=unreasonable_pending,
        offset=offset,
        limit=limit,
    )
    page = queries.list_for(session, actor, filters, now=now)
    return AppealPageOut(
        items=[read_models.list_item(a, now) for a in page.items],
        total=page.total,
        total_capped=page.total_capped,
        offset=offset,
        limit=limit,
    )


@router.get("/{appeal_id}", response_model=AppealRead, summary="诉求详情（含时间线）")
def get_appeal(
    appeal_id: int, session: DbSession, actor: CurrentActor, now: Now, cipher: Cipher
) -> AppealRead:
    return detail_after(session, actor, appeal_id, cipher, now)


@router.post("/{appeal_id}/rate", response_model=SelfRatingOut, summary="诉求人自助评价")
def rate(
    appeal_id: int,
    body: RateRequest,
    session: DbSession,
    actor: OptionalActor,
    now: Now,
    cipher: Cipher,
) -> SelfRatingOut:
    """The caller rates the reply (自助评价): logged in as the resident who filed the appeal, or
    with the appeal number and the last four digits of the phone. Solved and satisfied closes
    the appeal; otherwise it waits for the centre's callback. 429 after too many wrong proofs."""
    proof = None
    if body.number is not None or body.phone_last4 is not None:
        proof = TrackingProof(body.number or "", body.phone_last4 or "")
    rating = service.rate_by_caller(
        session,
        appeal_id=appeal_id,
        resolved=body.resolved,
        satisfaction=body.satisfaction,
        comment=body.comment,
        actor=actor,
        proof=proof,
        cipher=cipher,
        now=now,
        expected_version=body.expected_version,
    )
    if rating is None:
        raise NotFound(NO_MATCH_MESSAGE)
    appeal = rating.appeal
    status_ = AppealStatus(appeal.status)
    return SelfRatingOut(
        appeal_id=appeal.id,
        number=appeal.number,
        status=status_.value,
        status_label=status_.label,
        closed=status_ is AppealStatus.CLOSED,
        rating=CallbackOut.model_validate(rating.callback),
    )


@router.post(
    "/{appeal_id}/attachments",
    response_model=list[AttachmentOut],
    status_code=status.HTTP_201_CREATED,
    summary="上传照片",
)
def upload_attachments(
    appeal_id: int,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    media: Media,
    files: Annotated[list[UploadFile], File(description="JPEG / PNG / WebP")],
) -> list[AttachmentOut]:
    photos = [read_photo(f.file, max_bytes=media.max_bytes) for f in files]
    rows = service.add_attachment(
        session, appeal_id=appeal_id, photos=photos, media=media, actor=actor, now=now
    )
    return [read_models.attachment_out(r) for r in rows]


@router.get(
    "/{appeal_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
    summary="下载照片",
)
def download_attachment(
    appeal_id: int, attachment_id: int, session: DbSession, actor: CurrentActor, media: Media
) -> Response:
    appeal = queries.by_id_for(session, actor, appeal_id)
    row = queries.attachment_for(session, appeal, attachment_id)
    return Response(
        media.store.load(row.media_key),
        media_type=row.content_type,
        headers={"Cache-Control": "private, max-age=3600"},
    )
