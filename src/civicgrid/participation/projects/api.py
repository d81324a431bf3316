"""JSON API of annual service projects (/api/v1/participation/projects)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from civicgrid.auth.deps import CurrentActor
from civicgrid.deps import DbSession
from civicgrid.participation import access
from civicgrid.participation.endpoint import Call
from civicgrid.participation.projects import queries, service
from civicgrid.participation.projects import rules as pr
from civicgrid.participation.projects.schemas import (
    ClaimRequest,
    CompleteRequest,
    ExpenseCreate,
    ExpenseRead,
    ProjectCreate,
    ProjectEvaluationRequest,
    ProjectRead,
    ReviewRequest,
)

router = APIRouter(prefix="/api/v1/participation/projects", tags=["participation: projects"])
CREATED = status.HTTP_201_CREATED


@router.post("", response_model=ProjectRead, status_code=CREATED, summary="申报服务项目")
def apply(call: Call, body: ProjectCreate) -> ProjectRead:
    project = service.apply(
        call.session,
        region_code=body.region_code,
        year=body.year,
        title=body.title,
        description=body.description,
        applicant=body.applicant,
        budget_fen=body.budget_fen,
        **call.by,
    )
    return ProjectRead.of(project)


@router.get("", response_model=list[ProjectRead], summary="服务项目列表")
def list_projects(
    actor: CurrentActor,
    session: DbSession,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status_: Annotated[pr.ProjectStatus | None, Query(alias="status")] = None,
) -> list[ProjectRead]:
    access.require_roles(actor, access.STAFF_READ_ROLES, "查看服务项目")
    rows = queries.list_for(session, actor, year=year, status=status_.value if status_ else None)
    return [ProjectRead.of(p) for p in rows]


@router.get("/{project_id}", response_model=ProjectRead, summary="服务项目详情")
def get_project(project_id: int, actor: CurrentActor, session: DbSession) -> ProjectRead:
    access.require_roles(actor, access.STAFF_READ_ROLES, "查看服务项目")
    return ProjectRead.of(queries.get_for(session, actor, project_id))


@router.get("/{project_id}/expenses", response_model=list[ExpenseRead], summary="项目支出")
def list_expenses(project_id: int, actor: CurrentActor, session: DbSession) -> list[ExpenseRead]:
    access.require_roles(actor, access.STAFF_READ_ROLES, "查看服务项目")
    project = queries.get_for(session, actor, project_id)
    return [ExpenseRead.of(e) for e in queries.expenses_of(session, project.id)]


@router.post("/{project_id}/review", response_model=ProjectRead, summary="审核")
def review(project_id: int, call: Call, body: ReviewRequest) -> ProjectRead:
    return ProjectRead.of(
        service.review(
            call.session, project_id=project_id, approve=body.approve, note=body.note, **call.by
        )
    )


@router.post("/{project_id}/claim", response_model=ProjectRead, summary="认领")
def claim(project_id: int, call: Call, body: ClaimRequest) -> ProjectRead:
    return ProjectRead.of(
        service.claim(
            call.session,
            project_id=project_id,
            claimed_by=body.claimed_by,
            party_org_id=body.party_org_id,
            **call.by,
        )
    )


@router.post("/{project_id}/start", response_model=ProjectRead, summary="开始实施")
def start(project_id: int, call: Call) -> ProjectRead:
    return ProjectRead.of(service.start(call.session, project_id=project_id, **call.by))


@router.post(
    "/{project_id}/expenses", response_model=ExpenseRead, status_code=CREATED, summary="登记支出"
)
def record_expense(project_id: int, call: Call, body: ExpenseCreate) -> ExpenseRead:
    expense = service.record_expense(
        call.session,
        project_id=project_id,
        amount_fen=body.amount_fen,
        spent_on=body.spent_on,
        note=body.note,
        **call.by,
    )
    return ExpenseRead.of(expense)


@router.post("/{project_id}/complete", response_model=ProjectRead, summary="完成")
def complete(project_id: int, call: Call, body: CompleteRequest) -> ProjectRead:
    return ProjectRead.of(
        service.complete(call.session, project_id=project_id, outcome=body.outcome, **call.by)
    )


@router.post("/{project_id}/evaluation", response_model=ProjectRead, summary="评估")
def evaluate(
    project_id: int,
    call: Call,
    body: ProjectEvaluationRequest,
) -> ProjectRead:
    return ProjectRead.of(
        service.evaluate(
            call.session,
            project_id=project_id,
            score=body.score,
            evaluation=body.evaluation,
            **call.by,
        )
    )
