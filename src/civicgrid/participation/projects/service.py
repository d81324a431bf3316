"""Use cases of annual service projects: apply (申报), review (审核), claim (认领), start,
record spending within the budget, complete and evaluate. One transaction each, audited."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.clock import to_beijing
from civicgrid.db import use_case
from civicgrid.errors import Invalid
from civicgrid.participation import access
from civicgrid.participation.fields import clean_text
from civicgrid.participation.projects import queries
from civicgrid.participation.projects import rules as pr
from civicgrid.participation.projects.models import ProjectExpense, ServiceProject
from civicgrid.participation.volunteers.models import PartyOrganisation

PROJECT_LEVELS = ("community", "street")


def _load(session: Session, actor: Actor, project_id: int) -> ServiceProject:
    access.require_manager(actor, "管理服务项目")
    return queries.get_for(session, actor, project_id)


def _move(
    session: Session,
    project: ServiceProject,
    action: pr.ProjectAction,
    actor: Actor,
    now: datetime,
    **detail: object,
) -> None:
    before = pr.ProjectStatus(project.status)
    after = pr.next_project_status(before, action)
    project.status = after.value
    access.flush_versioned(session, "项目")
    access.audit(
        session,
        actor,
        f"participation.project.{action.value}",
        "project",
        project.id,
        now,
        from_status=before.value,
        to_status=after.value,
        **detail,
    )


@use_case
def apply(
    session: Session,
    *,
    region_code: str,
    year: int,
    title: str,
    description: str = "",
    applicant: str,
    budget_fen: int,
    actor: Actor,
    now: datetime,
) -> ServiceProject:
    """Apply for a project of a community or street in scope for this or next year."""
    access.require_manager(actor, "申报服务项目")
    region = access.region_in_scope(session, actor, region_code, PROJECT_LEVELS, "服务项目")
    pr.check_application_year(year, to_beijing(now).year)
    pr.check_budget(budget_fen)
    project = ServiceProject(
        year=year,
        title=clean_text(title, "项目名称", 200),
        description=clean_text(description, "项目内容", 5000, required=False),
        applicant=clean_text(applicant, "申报单位", 200),
        budget_fen=budget_fen,
        spent_fen=0,
        region_id=region.id,
        region_path=region.path,
        status=pr.ProjectStatus.APPLIED.value,
        created_at=now,
    )
    session.add(project)
    session.flush()
    access.audit(
        session,
        actor,
        "participation.project.apply",
        "project",
        project.id,
        now,
        budget_fen=budget_fen,
    )
    return project


@use_case
def review(
    session: Session,
    *,
    project_id: int,
    approve: bool,
    note: str = "",
    actor: Actor,
    now: datetime,
) -> ServiceProject:
    """Approve (立项) or reject an application; a rejection needs a reason."""
    project = _load(session, actor, project_id)
    action = pr.ProjectAction.APPROVE if approve else pr.ProjectAction.REJECT
    pr.next_project_status(pr.ProjectStatus(project.status), action)
    project.review_note = clean_text(note, "审核意见", 1000, required=not approve)
    project.reviewed_at = now
    _move(session, project, action, actor, now)
    return project


@use_case
def claim(
    session: Session,
    *,
    project_id: int,
    claimed_by: str = "",
    party_org_id: int | None = None,
    actor: Actor,
    now: datetime,
) -> ServiceProject:
    """An organisation claims an approved project (认领): a registered party organisation of
    the project's area, or another organisation by name. A second claim is a Conflict."""
    project = _load(session, actor, project_id)
    pr.next_project_status(pr.ProjectStatus(project.status), pr.ProjectAction.CLAIM)
    name = claimed_by.strip()
    if party_org_id is not None:
        org = session.get(PartyOrganisation, party_org_id)
        if org is None or not org.region_path.startswith(project.region_path):
            raise Invalid("所选党组织未向该项目所在区域报到")
        name = name or org.name
    project.claimed_by = clean_text(name, "认领单位", 200)
    project.party_org_id = party_org_id
    project.claimed_at = now
    _move(session, project, pr.ProjectAction.CLAIM, actor, now, claimed_by=project.claimed_by)
    return project


@use_case
def start(session: Session, *, project_id: int, actor: Actor, now: datetime) -> ServiceProject:
    """The claiming organisation starts the work."""
    project = _load(session, actor, project_id)
    project.started_at = now
    _move(session, project, pr.ProjectAction.START, actor, now)
    return project


@use_case
def record_expense(
    session: Session,
    *,
    project_id: int,
    amount_fen: int,
    spent_on: date,
    note: str,
    actor: Actor,
    now: datetime,
) -> ProjectExpense:
    """Record one expense of a project in progress; the total stays within the budget."""
    project = _load(session, actor, project_id)
    pr.next_project_status(pr.ProjectStatus(project.status), pr.ProjectAction.SPEND)
    pr.check_spending(
        budget_fen=project.budget_fen, spent_fen=project.spent_fen, amount_fen=amount_fen
    )
    if spent_on > to_beijing(now).date():
        raise Invalid("支出日期不能晚于今天")
    expense = ProjectExpense(
        project_id=project.id,
        spent_on=spent_on,
        amount_fen=amount_fen,
        note=clean_text(note, "支出说明", 500),
        recorded_by_label=actor.display_name,
        recorded_at=now,
    )
    session.add(expense)
    project.spent_fen += amount_fen
    session.flush()
    _move(session, project, pr.ProjectAction.SPEND, actor, now, amount_fen=amount_fen)
    return expense


@use_case
def complete(
    session: Session, *, project_id: int, outcome: str, actor: Actor, now: datetime
) -> ServiceProject:
    """Report the project done with its outcome."""
    project = _load(session, actor, project_id)
    pr.next_project_status(pr.ProjectStatus(project.status), pr.ProjectAction.COMPLETE)
    project.outcome = clean_text(outcome, "实施成效", 5000)
    project.completed_at = now
    _move(session, project, pr.ProjectAction.COMPLETE, actor, now)
    return project


@use_case
def evaluate(
    session: Session,
    *,
    project_id: int,
    score: int,
    evaluation: str,
    actor: Actor,
    now: datetime,
) -> ServiceProject:
    """Evaluate a completed project (0-100) with budget execution on record."""
    project = _load(session, actor, project_id)
    pr.next_project_status(pr.ProjectStatus(project.status), pr.ProjectAction.EVALUATE)
    pr.check_evaluation_score(score)
    project.evaluation_score = score
    project.evaluation = clean_text(evaluation, "评估意见", 5000)
    project.evaluated_at = now
    _move(
        session,
        project,
        pr.ProjectAction.EVALUATE,
        actor,
        now,
        score=score,
        budget_fen=project.budget_fen,
        spent_fen=project.spent_fen,
    )
    return project
