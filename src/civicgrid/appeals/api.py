"""JSON API of appeals (``/api/v1/appeals``): intake, list and detail with timeline, one POST
per workflow action, attachments, the knowledge base and the working-day overrides.

Routes parse, call one use case and render; every decision is in the use cases and queries.
Errors map to HTTP by ``app.py``: Invalid 422, Forbidden 403, NotFound 404, Conflict 409.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from civicgrid.appeals import knowledge, queries, service, views
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.deadlines import WarningLevel
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.schemas import (
    AnswerRequest,
    AppealCreate,
    AppealCreated,
    AppealPageOut,
    AppealRead,
    ArrivalRequest,
    AttachmentOut,
    CallbackOut,
    CallbackRequest,
    DeadlineOut,
    DispatchRequest,
    ExtensionApproval,
    ExtensionRequest,
    KnowledgeIn,
    KnowledgeOut,
    MergeRequest,
    NoteRequest,
    RateRequest,
    SelfRatingOut,
    TextRequest,
    TransferRequest,
    VerifyRequest,
    WhistleRequest,
    WorkingDayIn,
    WorkingDayOut,
)
from civicgrid.appeals.self_service import NO_MATCH_MESSAGE, TrackingProof
from civicgrid.appeals.service.reviews import revoke_unreasonable
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.views import render_detail
from civicgrid.appeals.workflow import Action
from civicgrid.auth.actor import Actor
from civicgrid.auth.deps import CurrentActor, OptionalActor
from civicgrid.deps import DbSession, Now, field_cipher, settings_of
from civicgrid.errors import Invalid, NotFound
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import LocalMediaStore

router = APIRouter(prefix="/api/v1/appeals", tags=["appeals"])

__all__ = ["render_detail", "router"]  # render_detail is also used by the web pages


# These two are async and read the settings from the app themselves: a synchronous dependency
# (``AppSettings`` included) costs a hop to the thread pool on every request.
async def _cipher(request: Request) -> FieldCipher:
    return field_cipher(settings_of(request))


async def _media(request: Request) -> service.MediaPolicy:
    settings = settings_of(request)
    return service.MediaPolicy(
        store=LocalMediaStore(settings.media_dir), max_bytes=settings.media_max_bytes
    )


Cipher = Annotated[FieldCipher, Depends(_cipher)]
Media = Annotated[service.MediaPolicy, Depends(_media)]


def _after(
    session: Session, actor: Actor, appeal_id: int, cipher: FieldCipher, now: datetime
) -> AppealRead:
    return render_detail(session, queries.by_id_for(session, actor, appeal_id), actor, cipher, now)


# --- knowledge base and calendar (before /{appeal_id} so the paths do not collide) ----------


@router.get("/knowledge", response_model=list[KnowledgeOut], summary="搜索知识库")
def search_knowledge(
    session: DbSession,
    actor: CurrentActor,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[KnowledgeOut]:
    """Articles whose title, keywords or text contain every word of ``q``."""
    return [
        KnowledgeOut.model_validate(a) for a in queries.search_knowledge(session, q, limit=limit)
    ]


@router.post(
    "/knowledge",
    response_model=KnowledgeOut,
    status_code=status.HTTP_201_CREATED,
    summary="新增知识库条目",
)
def create_knowledge(
    body: KnowledgeIn, session: DbSession, actor: CurrentActor, now: Now
) -> KnowledgeOut:
    article = knowledge.create_article(
        session,
        title=body.title,
        body=body.body,
        keywords=body.keywords,
        category=body.category,
        actor=actor,
        now=now,
    )
    return KnowledgeOut.model_validate(article)


@router.put("/knowledge/{article_id}", response_model=KnowledgeOut, summary="修改知识库条目")
def update_knowledge(
    article_id: int, body: KnowledgeIn, session: DbSession, actor: CurrentActor, now: Now
) -> KnowledgeOut:
    article = knowledge.update_article(
        session,
        article_id=article_id,
        title=body.title,
        body=body.body,
        keywords=body.keywords,
        category=body.category,
        is_active=body.is_active,
        actor=actor,
        now=now,
    )
    return KnowledgeOut.model_validate(article)


@router.get("/calendar/overrides", response_model=list[WorkingDayOut], summary="工作日调整表")
def list_working_days(
    session: DbSession,
    actor: CurrentActor,
    start: date | None = None,
    end: date | None = None,
) -> list[WorkingDayOut]:
    rows = queries.working_day_overrides(session, start=start, end=end)
    return [WorkingDayOut.model_validate(r) for r in rows]


@router.put("/calendar/overrides/{day}", response_model=WorkingDayOut, summary="设置工作日调整")
def set_working_day(
    day: date, body: WorkingDayIn, session: DbSession, actor: CurrentActor, now: Now
) -> WorkingDayOut:
    row = service.set_working_day(
        session, day=day, is_working=body.is_working, note=body.note, actor=actor, now=now
    )
    return WorkingDayOut.model_validate(row)


@router.delete(
    "/calendar/overrides/{day}", status_code=status.HTTP_204_NO_CONTENT, summary="删除工作日调整"
)
def delete_working_day(day: date, session: DbSession, actor: CurrentActor, now: Now) -> Response:
    service.delete_working_day(session, day=day, actor=actor, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- appeals ----------------------------------------------------------------------------------


@router.post(
    "",
    response_model=AppealCreated,
    status_code=status.HTTP_201_CREATED,
    summary="登记诉求",
    response_description="The new appeal's number, located grid and deadlines; the full detail "
    "is at the ``Location`` header (``GET /api/v1/appeals/{id}``).",
)
def create_appeal(
    body: AppealCreate,
    response: Response,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
    cipher: Cipher,
    media: Media,
) -> AppealCreated:
    """Record a new appeal (hotline, web, 随手拍, grid patrol or API).

    The answer is short: number, status, located grid (``region_id``), deadlines and version;
    the timeline, caller and the other records are read with ``GET`` at ``Location``."""
    data = service.NewAppeal(**body.model_dump(exclude={"photos"}), photos=tuple(body.photos))
    appeal = service.submit_appeal(
        session, data=data, actor=actor, cipher=cipher, media=media, now=now
    )
    response.headers["Location"] = f"{router.prefix}/{appeal.id}"
    return _created(appeal, now)


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
        items=[views.list_item(a, now) for a in page.items],
        total=page.total,
        offset=offset,
        limit=limit,
    )


@router.get("/{appeal_id}", response_model=AppealRead, summary="诉求详情（含时间线）")
def get_appeal(
    appeal_id: int, session: DbSession, actor: CurrentActor, now: Now, cipher: Cipher
) -> AppealRead:
    return _after(session, actor, appeal_id, cipher, now)


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
    photos = [f.file.read(media.max_bytes + 1) for f in files]
    rows = service.add_attachment(
        session, appeal_id=appeal_id, photos=photos, media=media, actor=actor, now=now
    )
    return [views.attachment_out(r) for r in rows]


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


# --- actions: one POST each -------------------------------------------------------------------
#
# Each action is one row: path, summary, request body, use case and how the body becomes the use
# case's keyword arguments (``expected_version`` is always passed on). The endpoint functions are
# made by :func:`_action` so that all of them share one shape and one error mapping.

Kwargs = Callable[[Any], dict[str, Any]]


def _no_args(_body: Any) -> dict[str, Any]:
    return {}


def _action(
    path: str,
    summary: str,
    body_model: type[BaseModel],
    use_case: Callable[..., object],
    kwargs: Kwargs = _no_args,
) -> None:
    """Register ``POST /{appeal_id}/<path>``: run ``use_case`` and return the new detail."""

    def endpoint(
        appeal_id: int,
        body: Any,
        session: DbSession,
        actor: CurrentActor,
        now: Now,
        cipher: Cipher,
    ) -> AppealRead:
        use_case(
            session,
            appeal_id=appeal_id,
            actor=actor,
            now=now,
            expected_version=body.expected_version,
            **kwargs(body),
        )
        return _after(session, actor, appeal_id, cipher, now)

    endpoint.__annotations__["body"] = body_model
    endpoint.__name__ = path.replace("/", "_").replace("-", "_")
    endpoint.__doc__ = f"{summary}。"
    router.post(
        f"/{{appeal_id}}/{path}",
        response_model=AppealRead,
        summary=summary,
        operation_id=f"appeal_{endpoint.__name__}",
    )(endpoint)


def _reviewed(action: Action) -> Callable[..., object]:
    def run(session: Session, **kwargs: Any) -> object:
        return service.review_step(session, action=action, **kwargs)

    return run


_ACTIONS: list[tuple[str, str, type[BaseModel], Callable[..., object], Kwargs]] = [
    ("accept", "受理转派", NoteRequest, service.accept, _no_args),
    (
        "answer",
        "直接答复（知识库）",
        AnswerRequest,
        service.answer_directly,
        lambda b: {"text": b.text, "knowledge_article_id": b.knowledge_article_id},
    ),
    (
        "transfer-emergency",
        "转110/119/120/122",
        TransferRequest,
        service.transfer_emergency,
        lambda b: {"line": b.line, "note": b.note},
    ),
    (
        "redirect-legal-route",
        "告知法定途径",
        TextRequest,
        service.redirect_legal_route,
        lambda b: {"text": b.text},
    ),
    ("explain", "解释说明", TextRequest, service.explain, lambda b: {"text": b.text}),
    ("refer-police", "移交公安", TextRequest, service.refer_police, lambda b: {"text": b.text}),
    (
        "close",
        "归档结案（受理环节处置后）",
        NoteRequest,
        service.close_disposed,
        lambda b: {"note": b.note},
    ),
    (
        "merge",
        "并单",
        MergeRequest,
        service.merge,
        lambda b: {"target_number": b.target_number, "note": b.note},
    ),
    (
        "dispatch",
        "派单 / 改派",
        DispatchRequest,
        service.dispatch,
        lambda b: {
            "lead": (b.lead.kind, b.lead.id),
            "co_units": [(u.kind, u.id) for u in b.co_units],
            "level": b.level,
            "note": b.note,
        },
    ),
    ("sign", "签收", NoteRequest, service.sign, _no_args),
    ("contact", "联系诉求人", NoteRequest, service.contact, lambda b: {"note": b.note}),
    ("return", "申请退单", TextRequest, service.request_return, lambda b: {"reason": b.text}),
    ("return/approve", "同意退单", NoteRequest, service.approve_return, lambda b: {"note": b.note}),
    ("return/reject", "驳回退单", TextRequest, service.reject_return, lambda b: {"reason": b.text}),
    (
        "extension",
        "申请延期",
        ExtensionRequest,
        service.request_extension,
        lambda b: {"reason": b.reason, "new_due_at": b.new_due_at},
    ),
    (
        "extension/approve",
        "批准延期",
        ExtensionApproval,
        service.approve_extension,
        lambda b: {"new_due_at": b.new_due_at, "note": b.note},
    ),
    (
        "extension/reject",
        "驳回延期",
        TextRequest,
        service.reject_extension,
        lambda b: {"reason": b.text},
    ),
    *[
        (path, action.label, TextRequest, _reviewed(action), lambda b: {"text": b.text})
        for path, action in (
            ("termination", Action.REQUEST_TERMINATION),
            ("termination/approve", Action.APPROVE_TERMINATION),
            ("termination/reject", Action.REJECT_TERMINATION),
            ("park", Action.REQUEST_PARK),
            ("park/approve", Action.APPROVE_PARK),
            ("park/reject", Action.REJECT_PARK),
            ("unpark", Action.UNPARK),
        )
    ],
    ("reply", "办结反馈", TextRequest, service.reply, lambda b: {"text": b.text}),
    (
        "callback",
        "回访（结案或重办）",
        CallbackRequest,
        service.callback,
        lambda b: {
            "resolved": b.resolved,
            "satisfaction": b.satisfaction,
            "note": b.note,
            "reopen": b.reopen,
            "reason": b.reason,
        },
    ),
    (
        "close-without-callback",
        "无法回访结案",
        TextRequest,
        service.close_without_callback,
        lambda b: {"reason": b.text},
    ),
    (
        "verify",
        "网格员核查",
        VerifyRequest,
        service.verify,
        lambda b: {"fixed": b.fixed, "note": b.note},
    ),
    (
        "whistle",
        "吹哨",
        WhistleRequest,
        service.whistle,
        lambda b: {
            "department_ids": b.department_ids,
            "reason": b.reason,
            "kind": b.kind,
            "arrive_within_minutes": b.arrive_within_minutes,
        },
    ),
    (
        "arrival",
        "报到",
        ArrivalRequest,
        service.record_arrival,
        lambda b: {"whistle_id": b.whistle_id, "department_id": b.department_id, "note": b.note},
    ),
    ("supervise", "督办", TextRequest, service.supervise, lambda b: {"text": b.text}),
    ("remind", "催办", TextRequest, service.remind, lambda b: {"text": b.text}),
    (
        "mark-unreasonable",
        "认定不合理诉求",
        TextRequest,
        service.mark_unreasonable,
        lambda b: {"reason": b.text},
    ),
    (
        "revoke-unreasonable",
        "撤销不合理认定",
        TextRequest,
        revoke_unreasonable,
        lambda b: {"reason": b.text},
    ),
    (
        "unreasonable-application",
        "申请不合理诉求认定",
        TextRequest,
        service.apply_unreasonable,
        lambda b: {"reason": b.text},
    ),
    (
        "unreasonable-application/approve",
        "通过不合理诉求申请",
        NoteRequest,
        service.approve_unreasonable_application,
        lambda b: {"note": b.note},
    ),
    (
        "unreasonable-application/reject",
        "驳回不合理诉求申请",
        TextRequest,
        service.reject_unreasonable_application,
        lambda b: {"reason": b.text},
    ),
]

for _row in _ACTIONS:
    _action(*_row)
