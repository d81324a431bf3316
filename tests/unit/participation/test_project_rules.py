"""Service-project transitions, budget and spending rules, money parsing."""

from __future__ import annotations

import pytest

from civicgrid.errors import Invalid, InvalidTransition
from civicgrid.participation.projects import rules as pr

P = pr.ProjectStatus
PA = pr.ProjectAction


def test_project_happy_path() -> None:
    status = P.APPLIED
    for action in (PA.APPROVE, PA.CLAIM, PA.START, PA.SPEND, PA.COMPLETE, PA.EVALUATE):
        status = pr.next_project_status(status, action)
    assert status is P.EVALUATED


def test_rejected_projects_cannot_be_claimed() -> None:
    rejected = pr.next_project_status(P.APPLIED, PA.REJECT)
    with pytest.raises(InvalidTransition, match="认领"):
        pr.next_project_status(rejected, PA.CLAIM)


def test_a_claimed_project_cannot_be_claimed_again() -> None:
    with pytest.raises(InvalidTransition):
        pr.next_project_status(P.CLAIMED, PA.CLAIM)


def test_spending_stays_within_the_budget() -> None:
    pr.check_spending(budget_fen=1000, spent_fen=400, amount_fen=600)
    with pytest.raises(Invalid, match="超出预算"):
        pr.check_spending(budget_fen=1000, spent_fen=400, amount_fen=601)
    with pytest.raises(Invalid):
        pr.check_spending(budget_fen=1000, spent_fen=0, amount_fen=0)


def test_application_year_is_this_or_next() -> None:
    pr.check_application_year(2026, 2026)
    pr.check_application_year(2027, 2026)
    with pytest.raises(Invalid):
        pr.check_application_year(2025, 2026)


@pytest.mark.parametrize(
    ("text", "fen"), [("12", 1200), ("12.5", 1250), ("1,234.56", 123456), ("0.05", 5)]
)
def test_parse_yuan(text: str, fen: int) -> None:
    assert pr.parse_yuan(text) == fen
    assert pr.parse_yuan(pr.yuan(fen)) == fen


@pytest.mark.parametrize("text", ["", "abc", "1.234", "-5", "1.x"])
def test_parse_yuan_refuses_garbage(text: str) -> None:
    with pytest.raises(Invalid):
        pr.parse_yuan(text)


def test_budget_and_score_ranges() -> None:
    with pytest.raises(Invalid):
        pr.check_budget(0)
    with pytest.raises(Invalid):
        pr.check_evaluation_score(101)
    pr.check_evaluation_score(0)
