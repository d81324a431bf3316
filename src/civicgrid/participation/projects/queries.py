"""Read side of service projects: scoped lists and loads, expenses."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.errors import NotFound
from civicgrid.participation.projects.models import ProjectExpense, ServiceProject
from civicgrid.participation.volunteers.queries import scope_clause

MAX_LIMIT = 200


def list_for(
    session: Session,
    actor: Actor,
    *,
    year: int | None = None,
    status: str | None = None,
    limit: int = 100,
) -> Sequence[ServiceProject]:
    """Projects of the actor's scope, newest first."""
    stmt = select(ServiceProject).where(scope_clause(ServiceProject.region_path, actor))
    if year is not None:
        stmt = stmt.where(ServiceProject.year == year)
    if status:
        stmt = stmt.where(ServiceProject.status == status)
    return session.scalars(
        stmt.order_by(ServiceProject.id.desc()).limit(min(limit, MAX_LIMIT))
    ).all()


def get_for(session: Session, actor: Actor, project_id: int) -> ServiceProject:
    """A project in the actor's scope; NotFound otherwise."""
    project = session.get(ServiceProject, project_id)
    if project is None or not actor.scope.covers_path(project.region_path):
        raise NotFound(f"项目 {project_id} 不存在或不在您的数据范围内")
    return project


def expenses_of(session: Session, project_id: int) -> Sequence[ProjectExpense]:
    stmt = (
        select(ProjectExpense)
        .where(ProjectExpense.project_id == project_id)
        .order_by(ProjectExpense.spent_on, ProjectExpense.id)
    )
    return session.scalars(stmt).all()
