"""JSON API of proactive governance (/api/v1/insight): hot problems, trends and spikes, the
forecast with its backtest, monthly-topic candidates, and governance tasks."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from civicgrid.auth.actor import Actor
from civicgrid.auth.deps import require_roles
from civicgrid.auth.roles import Role
from civicgrid.deps import DbSession, Now, ReadSession
from civicgrid.insight import analysis, queries, service, snapshots
from civicgrid.insight.governance import TaskStatus
from civicgrid.insight.periods import parse_period
from civicgrid.insight.schemas import (
    ForecastReportRead,
    HotspotReportRead,
    LinkAppealsRead,
    LinkAppealsRequest,
    MilestoneCreate,
    MilestoneRead,
    StatusRequest,
    TaskCreate,
    TaskDetailRead,
    TaskListItem,
    TaskRead,
    TopicCandidateRead,
    TrendReportRead,
)

router = APIRouter(prefix="/api/v1/insight", tags=["insight"])

READ_ROLES = tuple(r for r in Role if r is not Role.RESIDENT)
Reader = Annotated[Actor, Depends(require_roles(*READ_ROLES))]
Adopter = Annotated[Actor, Depends(require_roles(*service.ADOPTING_ROLES))]
Tracker = Annotated[Actor, Depends(require_roles(*service.TRACKING_ROLES))]

PeriodParam = Annotated[
    str,
    Query(description="统计周期：YYYY-MM（月）或 YYYY-MM-DD..YYYY-MM-DD", examples=["2026-10"]),
]
RegionParam = Annotated[
    str | None, Query(max_length=15, description="区域编码：只统计该区域（须在数据范围内）")
]
ByParam = Annotated[
    Literal["category", "region", "both"],
    Query(description="分组：category 按分类，region 按区域，both 按分类×区域"),
]


@router.get("/hotspots", response_model=HotspotReportRead, summary="热点问题（聚类、热度与解释）")
def hotspots(
    actor: Reader,
    session: ReadSession,
    now: Now,
    period: PeriodParam,
    region: RegionParam = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    fresh: Annotated[
        bool, Query(description="true：不用后台缓存，当场计算（数据量大时需数秒）")
    ] = False,
) -> HotspotReportRead:
    """Appeals of the period grouped by text, place and time; each group scored and explained.
    The current and previous month are served from the ``insight.hotspots`` job's snapshot
    while it is fresh (``computed_at`` says when it was mined); otherwise, or with
    ``fresh=true``, they are computed now (``computed_at`` null). An empty period gives an
    empty list; a bad period is 422."""
    report = snapshots.hotspots_report(
        session,
        actor=actor,
        period=parse_period(period),
        now=now,
        region_code=region,
        limit=limit,
        recompute=fresh,
    )
    return HotspotReportRead.of(report)


@router.get("/trends", response_model=TrendReportRead, summary="周趋势与异常激增")
def trends(
    actor: Reader,
    session: ReadSession,
    now: Now,
    weeks: Annotated[int, Query(ge=4, le=104)] = 26,
    by: ByParam = "category",
    region: RegionParam = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> TrendReportRead:
    """Weekly counts per category / region with a seasonal baseline and robust spike flags."""
    report = analysis.trends_for(
        session, actor=actor, now=now, weeks=weeks, by=by, region_code=region, limit=limit
    )
    return TrendReportRead.of(report)


@router.get("/forecast", response_model=ForecastReportRead, summary="下月诉求量预测（含回测）")
def forecast(
    actor: Reader,
    session: ReadSession,
    now: Now,
    months: Annotated[int, Query(ge=3, le=60)] = 24,
    backtest: Annotated[int, Query(ge=1, le=24)] = 6,
    by: ByParam = "category",
    region: RegionParam = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ForecastReportRead:
    """Seasonal forecast of the current month's volume per category / region, with the MAPE
    of a month-by-month backtest next to the naive forecast's."""
    report = analysis.forecast_for(
        session,
        actor=actor,
        now=now,
        months=months,
        backtest_months=backtest,
        by=by,
        region_code=region,
        limit=limit,
    )
    return ForecastReportRead.of(report)


@router.get(
    "/topics/candidates", response_model=list[TopicCandidateRead], summary="每月一题候选问题"
)
def topic_candidates(
    actor: Reader, session: ReadSession, period: PeriodParam, region: RegionParam = None
) -> list[TopicCandidateRead]:
    """Frequent problems that cross units or regions, ranked, with the reasons."""
    found = analysis.topic_candidates_for(
        session, actor=actor, period=parse_period(period), region_code=region
    )
    return [TopicCandidateRead.of(c) for c in found]


@router.post(
    "/tasks",
    response_model=TaskRead,
    status_code=status.HTTP_201_CREATED,
    summary="立项治理任务（领导）",
)
def adopt_task(actor: Adopter, session: DbSession, now: Now, body: TaskCreate) -> TaskRead:
    task = service.adopt_task(
        session,
        data=service.NewTask(
            year=body.year,
            month=body.month,
            theme=body.theme,
            title=body.title,
            lead_department_code=body.lead_department_code,
            co_department_codes=body.co_department_codes,
            measures=body.measures,
            problem_key=body.problem_key,
            category=body.category,
            region_code=body.region_code,
            district_topic=body.district_topic,
            source_stats=body.source_stats,
            milestones=[(m.title, m.due_on) for m in body.milestones],
        ),
        actor=actor,
        now=now,
    )
    return TaskRead.of(task)


@router.get("/tasks", response_model=list[TaskListItem], summary="治理任务列表")
def list_tasks(
    _actor: Reader,
    session: DbSession,
    status_: Annotated[str | None, Query(alias="status", max_length=16)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> list[TaskListItem]:
    tasks = queries.list_tasks(session, status=status_, year=year)
    counts = queries.linked_counts(session, [t.id for t in tasks])
    return [
        TaskListItem(
            id=t.id,
            year=t.topic.year,
            month=t.topic.month,
            theme=t.topic.theme,
            title=t.title,
            status=t.status,
            status_label=TaskStatus(t.status).label,
            lead_department_id=t.lead_department_id,
            linked_appeals=counts.get(t.id, 0),
            adopted_at=t.adopted_at,
        )
        for t in tasks
    ]


@router.get("/tasks/{task_id}", response_model=TaskDetailRead, summary="治理任务详情（前后对比）")
def task_detail(
    actor: Reader,
    session: DbSession,
    now: Now,
    task_id: int,
    months: Annotated[int, Query(ge=1, le=24)] = 6,
) -> TaskDetailRead:
    detail = service.task_detail(session, task_id=task_id, actor=actor, now=now, months=months)
    return TaskDetailRead.of_detail(detail)


@router.post(
    "/tasks/{task_id}/milestones",
    response_model=MilestoneRead,
    status_code=status.HTTP_201_CREATED,
    summary="添加任务节点",
)
def add_milestone(
    actor: Tracker, session: DbSession, now: Now, task_id: int, body: MilestoneCreate
) -> MilestoneRead:
    milestone = service.add_milestone(
        session,
        task_id=task_id,
        title=body.title,
        due_on=body.due_on,
        done_on=body.done_on,
        note=body.note,
        actor=actor,
        now=now,
    )
    return MilestoneRead.of(milestone)


@router.post("/tasks/{task_id}/status", response_model=TaskRead, summary="变更任务状态")
def change_status(
    actor: Tracker, session: DbSession, now: Now, task_id: int, body: StatusRequest
) -> TaskRead:
    task = service.change_status(
        session, task_id=task_id, status=body.status, note=body.note, actor=actor, now=now
    )
    return TaskRead.of(task)


@router.post("/tasks/{task_id}/appeals", response_model=LinkAppealsRead, summary="关联工单")
def link_appeals(
    actor: Tracker, session: DbSession, now: Now, task_id: int, body: LinkAppealsRequest
) -> LinkAppealsRead:
    linked = service.link_appeals(
        session, task_id=task_id, appeal_ids=body.appeal_ids, actor=actor, now=now
    )
    return LinkAppealsRead(task_id=task_id, linked=linked)
