"""Pydantic schemas of the service-project API (/api/v1/participation/projects)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from civicgrid.participation.projects import rules as pr
from civicgrid.participation.projects.models import ProjectExpense, ServiceProject


class ProjectCreate(BaseModel):
    region_code: str = Field(min_length=1, max_length=15)
    year: int = Field(ge=2000, le=2100)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    applicant: str = Field(min_length=1, max_length=200)
    budget_fen: int = Field(gt=0, description="预算（分）")


class ReviewRequest(BaseModel):
    approve: bool
    note: str = Field(default="", max_length=1000)


class ClaimRequest(BaseModel):
    claimed_by: str = Field(default="", max_length=200)
    party_org_id: int | None = None


class ExpenseCreate(BaseModel):
    amount_fen: int = Field(description="金额（分）")
    spent_on: date
    note: str = Field(min_length=1, max_length=500)


class CompleteRequest(BaseModel):
    outcome: str = Field(min_length=1, max_length=5000)


class ProjectEvaluationRequest(BaseModel):
    score: int = Field(ge=0, le=100)
    evaluation: str = Field(min_length=1, max_length=5000)


class ExpenseRead(BaseModel):
    id: int
    spent_on: date
    amount_fen: int
    amount_yuan: str
    note: str

    @classmethod
    def of(cls, e: ProjectExpense) -> ExpenseRead:
        return cls(
            id=e.id,
            spent_on=e.spent_on,
            amount_fen=e.amount_fen,
            amount_yuan=pr.yuan(e.amount_fen),
            note=e.note,
        )


class ProjectRead(BaseModel):
    id: int
    year: int
    title: str
    description: str
    applicant: str
    region_id: int
    status: str
    status_label: str
    budget_fen: int
    spent_fen: int
    budget_yuan: str
    spent_yuan: str
    review_note: str
    claimed_by: str
    outcome: str
    evaluation_score: int | None
    evaluation: str
    created_at: datetime

    @classmethod
    def of(cls, p: ServiceProject) -> ProjectRead:
        return cls(
            id=p.id,
            year=p.year,
            title=p.title,
            description=p.description,
            applicant=p.applicant,
            region_id=p.region_id,
            status=p.status,
            status_label=pr.ProjectStatus(p.status).label,
            budget_fen=p.budget_fen,
            spent_fen=p.spent_fen,
            budget_yuan=pr.yuan(p.budget_fen),
            spent_yuan=pr.yuan(p.spent_fen),
            review_note=p.review_note,
            claimed_by=p.claimed_by,
            outcome=p.outcome,
            evaluation_score=p.evaluation_score,
            evaluation=p.evaluation,
            created_at=p.created_at,
        )
