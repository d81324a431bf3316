"""Service project pages: the list of the scope with the application form (申报), and one
project with its expenses; both carry the forms of the next step (审核/认领/实施/支出/完成/评估).
A step posted from the detail page (``from=detail``) comes back to it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.deps import DbSession, Now
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.participation import access
from civicgrid.participation.projects import queries as pq
from civicgrid.participation.projects import rules as prr
from civicgrid.participation.projects import service as ps
from civicgrid.participation.projects.models import ServiceProject
from civicgrid.participation.volunteers import queries as vq
from civicgrid.web.participation.common import int_field, opt_date_field, opt_int_field
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.form_actions import Form, FormCall, Step, perform, perform_step
from civicgrid.web.shared.pickers import region_groups
from civicgrid.web.shared.render import render

REGION_LEVELS = ("street", "community")

router = APIRouter(tags=["pages"])

READ_WHAT = "查看服务项目"


def _project_row(p: ServiceProject, region: str) -> dict[str, Any]:
    return {
        "p": p,
        "status": prr.ProjectStatus(p.status),
        "region": region,
        "budget": prr.yuan(p.budget_fen),
        "spent": prr.yuan(p.spent_fen),
    }


def _projects_page(
    request: Request,
    actor: Actor,
    session: Session,
    errors: list[str],
    form: dict[str, str],
    status_code: int = 200,
) -> Response:
    access.require_roles(actor, access.STAFF_READ_ROLES, READ_WHAT)
    rows = pq.list_for(session, actor, limit=200)
    names = access.region_names(session, [p.region_id for p in rows])
    return render(
        request,
        "participation/projects.html",
        {
            "rows": [_project_row(p, names.get(p.region_id, "")) for p in rows],
            "can_manage": actor.has_role(*access.MANAGE_ROLES),
            "party_orgs": vq.list_party_orgs_for(session, actor),
            "region_groups": region_groups(session, actor, REGION_LEVELS),
            "errors": errors,
            "form": form,
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get("/participation/projects", include_in_schema=False)
def projects_page(request: Request, actor: PageActor, session: DbSession) -> Response:
    """Service projects of the scope with budget and spending, and the application form."""
    return _projects_page(request, actor, session, [], {})


def _apply(c: FormCall) -> object:
    return ps.apply(
        c.session,
        region_code=c.text("region_code"),
        year=int_field(c.form, "year", "年度"),
        title=c.text("title"),
        description=c.text("description"),
        applicant=c.text("applicant"),
        budget_fen=prr.parse_yuan(c.text("budget_yuan")),
        **c.by,
    )


@router.post("/participation/projects", include_in_schema=False)
def project_submit(
    request: Request, actor: PageActor, session: DbSession, now: Now, form: Form
) -> Response:
    """Apply for a project (申报); refused input re-renders the page with the message."""
    return perform(
        lambda: _apply(FormCall(session, actor, now, form)),
        redirect="/participation/projects?done=apply",
        refused=lambda errors, code: _projects_page(request, actor, session, errors, form, code),
        refuse=(Invalid, Conflict, NotFound),
    )


def _project_page(
    request: Request,
    actor: Actor,
    session: Session,
    project_id: int,
    errors: list[str],
    status_code: int = 200,
) -> Response:
    access.require_roles(actor, access.STAFF_READ_ROLES, READ_WHAT)
    project = pq.get_for(session, actor, project_id)
    region = access.region_names(session, [project.region_id]).get(project.region_id, "")
    party_org = (
        vq.party_org_names(session, [project.party_org_id]).get(project.party_org_id, "")
        if project.party_org_id
        else ""
    )
    return render(
        request,
        "participation/project.html",
        {
            "row": _project_row(project, region),
            "p": project,
            "party_org": party_org,
            "expenses": [
                {"e": e, "amount": prr.yuan(e.amount_fen)}
                for e in pq.expenses_of(session, project.id)
            ],
            "can_manage": actor.has_role(*access.MANAGE_ROLES),
            "party_orgs": vq.list_party_orgs_for(session, actor),
            "errors": errors,
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get("/participation/projects/{project_id}", include_in_schema=False)
def project_page(
    project_id: int, request: Request, actor: PageActor, session: DbSession
) -> Response:
    """One project: application, review, claim, spending against the budget, outcome and
    evaluation, with the form of the next step."""
    return _project_page(request, actor, session, project_id, [])


def _review(c: FormCall, *, approve: bool) -> object:
    return ps.review(c.session, project_id=c.target, approve=approve, note=c.text("note"), **c.by)


def _claim(c: FormCall) -> object:
    return ps.claim(
        c.session,
        project_id=c.target,
        claimed_by=c.text("claimed_by"),
        party_org_id=opt_int_field(c.form, "party_org_id"),
        **c.by,
    )


def _start(c: FormCall) -> object:
    return ps.start(c.session, project_id=c.target, **c.by)


def _expense(c: FormCall) -> object:
    spent_on = opt_date_field(c.form, "spent_on")
    if spent_on is None:
        raise Invalid("请填写支出日期")
    return ps.record_expense(
        c.session,
        project_id=c.target,
        amount_fen=prr.parse_yuan(c.text("amount_yuan")),
        spent_on=spent_on,
        note=c.text("note"),
        **c.by,
    )


def _complete(c: FormCall) -> object:
    return ps.complete(c.session, project_id=c.target, outcome=c.text("outcome"), **c.by)


def _evaluate(c: FormCall) -> object:
    return ps.evaluate(
        c.session,
        project_id=c.target,
        score=int_field(c.form, "score", "评估得分"),
        evaluation=c.text("evaluation"),
        **c.by,
    )


PROJECT_STEPS: dict[str, Step] = {
    "approve": lambda c: _review(c, approve=True),
    "reject": lambda c: _review(c, approve=False),
    "claim": _claim,
    "start": _start,
    "expense": _expense,
    "complete": _complete,
    "evaluate": _evaluate,
}


@router.post("/participation/projects/{project_id}/{action}", include_in_schema=False)
def project_action(
    project_id: int,
    action: str,
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    form: Form,
) -> Response:
    """One step on a project, from the list or from the project's own page."""
    detail = form.get("from") == "detail"

    def refused(errors: list[str], code: int) -> Response:
        if detail:
            return _project_page(request, actor, session, project_id, errors, code)
        return _projects_page(request, actor, session, errors, {}, code)

    back = f"/participation/projects/{project_id}" if detail else "/participation/projects"
    return perform_step(
        request,
        PROJECT_STEPS,
        action,
        FormCall(session, actor, now, form, project_id),
        redirect=f"{back}?done={action}",
        refused=refused,
    )
