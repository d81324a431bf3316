"""JSON API of smart dispatch (``/api/v1/dispatch``): classification, the dispatch suggestion
(category, place, responsible unit, duplicates), automatic routing, dispatchers' corrections,
the manual queue and the catalogue (read, edit, CSV/Excel import and export).

Routes parse, call one service and render; errors map to HTTP in ``app.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile, status

from civicgrid.appeals import queries as appeal_queries
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth.actor import Actor
from civicgrid.auth.deps import require_roles
from civicgrid.auth.roles import Role
from civicgrid.deps import AppSettings, DbSession, Now
from civicgrid.dispatch import catalogue_io, queries, service
from civicgrid.dispatch.schemas import (
    AutoRouteOut,
    CatalogueItemIn,
    CatalogueItemOut,
    CatalogueItemPatch,
    ClassifyRequest,
    DuplicateOut,
    ExplainedClassificationOut,
    FeedbackOut,
    FeedbackRequest,
    LoadResultOut,
    QueueItemOut,
    SuggestionOut,
    SuggestRequest,
    auto_route_out,
    catalogue_item_out,
    duplicate_out,
    explained_out,
    load_result_out,
    suggestion_out,
)
from civicgrid.errors import Invalid, NotFound

router = APIRouter(prefix="/api/v1/dispatch", tags=["dispatch"])

DISPATCH_ROLES = (Role.ADMIN, Role.DISPATCHER, Role.OPERATOR)
Dispatcher = Annotated[Actor, Depends(require_roles(*DISPATCH_ROLES))]
CatalogueAdmin = Annotated[Actor, Depends(require_roles(Role.ADMIN))]
CatalogueReader = Annotated[
    Actor,
    Depends(
        require_roles(
            Role.ADMIN,
            Role.DISPATCHER,
            Role.OPERATOR,
            Role.SUPERVISOR,
            Role.LEADER,
            Role.STREET_HANDLER,
            Role.DEPARTMENT_HANDLER,
            Role.UTILITY_HANDLER,
            Role.GRID_WORKER,
        )
    ),
]
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _models_dir(settings: AppSettings) -> Path:
    return settings.models_dir


def _policy(settings: AppSettings) -> service.DispatchPolicy:
    return service.policy_from_settings(settings)


ModelsDir = Annotated[Path, Depends(_models_dir)]
Policy = Annotated[service.DispatchPolicy, Depends(_policy)]


# --- classification and suggestions ---------------------------------------------------------


@router.post("/classify", response_model=ExplainedClassificationOut, summary="诉求文本分类")
def classify(
    body: ClassifyRequest,
    session: DbSession,
    actor: Dispatcher,
    models_dir: ModelsDir,
    policy: Policy,
) -> ExplainedClassificationOut:
    """Top-k catalogue items with probabilities and the words that drove each; the level-2/3
    items under the top item's first level; the place (given, or parsed from the text) and
    the unit the owner rules pick there. ``manual`` is true when the dispatcher must choose
    (no model, not confident enough for the target accuracy, nothing to classify)."""
    result = service.explain_text(
        session,
        body.text,
        models_dir=models_dir,
        policy=policy,
        k=body.k,
        address=body.address,
        lon=body.lon,
        lat=body.lat,
        region_id=body.region_id,
    )
    return explained_out(result)


@router.post("/suggest", response_model=SuggestionOut, summary="派单建议")
def suggest(
    body: SuggestRequest,
    session: DbSession,
    actor: Dispatcher,
    models_dir: ModelsDir,
    policy: Policy,
    now: Now,
) -> SuggestionOut:
    """Category, place, responsible unit (with the rule and reason) and duplicate candidates
    for an appeal or for a text with its place."""
    result = service.suggest_dispatch(
        session,
        actor=actor,
        models_dir=models_dir,
        now=now,
        policy=policy,
        appeal_id=body.appeal_id,
        text=body.text,
        address=body.address,
        lon=body.lon,
        lat=body.lat,
        region_id=body.region_id,
        code=body.code,
    )
    return suggestion_out(result)


@router.get("/appeals/{appeal_id}/suggestion", response_model=SuggestionOut, summary="工单派单建议")
def appeal_suggestion(
    appeal_id: int,
    session: DbSession,
    actor: Dispatcher,
    models_dir: ModelsDir,
    policy: Policy,
    now: Now,
) -> SuggestionOut:
    result = service.suggest_dispatch(
        session, actor=actor, models_dir=models_dir, now=now, policy=policy, appeal_id=appeal_id
    )
    return suggestion_out(result)


@router.get(
    "/appeals/{appeal_id}/duplicates", response_model=list[DuplicateOut], summary="疑似重复工单"
)
def appeal_duplicates(
    appeal_id: int, session: DbSession, actor: Dispatcher, policy: Policy
) -> list[DuplicateOut]:
    """Open appeals within the window of days and metres (or at the same address / grid)
    whose text is similar, best first, with scores."""
    found = service.duplicates_for(session, actor=actor, appeal_id=appeal_id, policy=policy)
    return [duplicate_out(c) for c in found]


@router.post(
    "/appeals/{appeal_id}/auto-route", response_model=AutoRouteOut, summary="自动派单/并单"
)
def auto_route(
    appeal_id: int,
    session: DbSession,
    actor: Dispatcher,
    models_dir: ModelsDir,
    policy: Policy,
    now: Now,
) -> AutoRouteOut:
    """Merge into a near-certain duplicate, or dispatch when category and unit are confident;
    otherwise the appeal stays in the manual queue (``action`` = ``manual``, with reasons)."""
    result = service.run_auto_route(
        session, appeal_id=appeal_id, actor=actor, models_dir=models_dir, now=now, policy=policy
    )
    return auto_route_out(
        result.plan, result.appeal.id, result.appeal.status, result.appeal.version
    )


@router.post(
    "/appeals/{appeal_id}/feedback",
    response_model=FeedbackOut,
    status_code=status.HTTP_201_CREATED,
    summary="派单纠错（训练反馈）",
)
def feedback(
    appeal_id: int,
    body: FeedbackRequest,
    session: DbSession,
    actor: Dispatcher,
    models_dir: ModelsDir,
    now: Now,
) -> FeedbackOut:
    """Store the category the dispatcher chose beside the model's proposal."""
    row = service.record_feedback(
        session,
        appeal_id=appeal_id,
        chosen_code=body.chosen_code,
        actor=actor,
        models_dir=models_dir,
        now=now,
    )
    return FeedbackOut.model_validate(row)


@router.get("/queue", response_model=list[QueueItemOut], summary="人工派单队列")
def manual_queue(
    session: DbSession,
    actor: Dispatcher,
    now: Now,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[QueueItemOut]:
    """Appeals waiting for a dispatcher (待派单), oldest dispatch deadline first."""
    page = appeal_queries.list_for(
        session,
        actor,
        appeal_queries.AppealFilters(
            statuses=(AppealStatus.PENDING_DISPATCH.value,), offset=offset, limit=limit
        ),
        now=now,
    )
    items = sorted(page.items, key=lambda a: (a.dispatch_due_at or a.received_at, a.id))
    return [
        QueueItemOut(
            appeal_id=a.id,
            number=a.number,
            title=a.title,
            status=a.status,
            received_at=a.received_at,
            dispatch_due_at=a.dispatch_due_at,
        )
        for a in items
    ]


# --- catalogue ------------------------------------------------------------------------------


@router.get("/catalogue", response_model=list[CatalogueItemOut], summary="派单目录")
def list_catalogue(
    session: DbSession,
    actor: CatalogueReader,
    active_only: bool = False,
    level: Annotated[int | None, Query(ge=1, le=3)] = None,
    parent_code: Annotated[str | None, Query(max_length=6)] = None,
) -> list[CatalogueItemOut]:
    rows = queries.catalogue_rows(session, active_only=active_only)
    return [
        catalogue_item_out(r)
        for r in rows
        if (level is None or r.level == level)
        and (parent_code is None or r.parent_code == parent_code)
    ]


@router.get("/catalogue/export", response_class=Response, summary="导出派单目录（CSV / Excel）")
def export_catalogue(
    session: DbSession,
    actor: CatalogueReader,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    catalogue = queries.catalogue(session)
    if catalogue is None:
        raise NotFound("派单目录尚未加载，请先运行 civicgrid catalogue load")
    inactive = frozenset(r.code for r in queries.catalogue_rows(session) if not r.is_active)
    data = catalogue_io.export_catalogue(catalogue, format, inactive=inactive)
    return Response(
        data,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="catalogue.{format}"'},
    )


@router.post("/catalogue/import", response_model=LoadResultOut, summary="导入派单目录")
def import_catalogue(
    session: DbSession,
    actor: CatalogueAdmin,
    now: Now,
    file: Annotated[UploadFile, File(description="CSV 或 XLSX 文件")],
    version: Annotated[str, Form(max_length=32)] = "",
) -> LoadResultOut:
    """Replace the catalogue with the file's (codes missing from it are switched off); every
    problem is reported with its row number and nothing is changed when any row is wrong."""
    catalogue, inactive = catalogue_io.read_catalogue_file(
        file.file.read(), file.filename or "", version=version
    )
    result = service.load_catalogue(
        session,
        catalogue=catalogue,
        inactive=inactive,
        source=f"import:{file.filename or ''}"[:100],
        actor=actor,
        now=now,
    )
    return load_result_out(result)


@router.get("/catalogue/{code}", response_model=CatalogueItemOut, summary="派单目录事项")
def get_item(code: str, session: DbSession, actor: CatalogueReader) -> CatalogueItemOut:
    return catalogue_item_out(queries.get_catalogue_row(session, code))


@router.post(
    "/catalogue",
    response_model=CatalogueItemOut,
    status_code=status.HTTP_201_CREATED,
    summary="新增派单目录事项",
)
def create_item(
    body: CatalogueItemIn, session: DbSession, actor: CatalogueAdmin, now: Now
) -> CatalogueItemOut:
    changes = body.model_dump(exclude={"code"})
    row = service.save_item(
        session, code=body.code, changes=changes, create=True, actor=actor, now=now
    )
    return catalogue_item_out(row)


@router.patch("/catalogue/{code}", response_model=CatalogueItemOut, summary="修改派单目录事项")
def update_item(
    code: str, body: CatalogueItemPatch, session: DbSession, actor: CatalogueAdmin, now: Now
) -> CatalogueItemOut:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise Invalid("没有要修改的字段 (nothing to change)")
    row = service.save_item(session, code=code, changes=changes, create=False, actor=actor, now=now)
    return catalogue_item_out(row)


__all__ = ["router"]
