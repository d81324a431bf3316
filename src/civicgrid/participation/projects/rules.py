"""Service-project rules: statuses and transitions (申报 → 审核 → 认领 → 实施 → 完成 → 评估),
budgets and spending in fen (分), evaluation scores. Pure: no I/O, no clock.
"""

from __future__ import annotations

from enum import StrEnum

from civicgrid.errors import Invalid, InvalidTransition


class ProjectStatus(StrEnum):
    """Where an annual service project stands."""

    APPLIED = "applied"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    EVALUATED = "evaluated"

    @property
    def label(self) -> str:
        return PROJECT_STATUS_LABELS[self][0]

    @property
    def colour(self) -> str:
        return PROJECT_STATUS_LABELS[self][1]


PROJECT_STATUS_LABELS: dict[ProjectStatus, tuple[str, str]] = {
    ProjectStatus.APPLIED: ("已申报", "blue"),
    ProjectStatus.APPROVED: ("已立项待认领", "blue"),
    ProjectStatus.REJECTED: ("未通过审核", "grey"),
    ProjectStatus.CLAIMED: ("已认领", "yellow"),
    ProjectStatus.IN_PROGRESS: ("实施中", "yellow"),
    ProjectStatus.COMPLETED: ("已完成", "green"),
    ProjectStatus.EVALUATED: ("已评估", "green"),
}


class ProjectAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CLAIM = "claim"
    START = "start"
    SPEND = "spend"
    COMPLETE = "complete"
    EVALUATE = "evaluate"

    @property
    def label(self) -> str:
        return PROJECT_ACTION_LABELS[self]


PROJECT_ACTION_LABELS: dict[ProjectAction, str] = {
    ProjectAction.APPROVE: "审核通过",
    ProjectAction.REJECT: "审核不通过",
    ProjectAction.CLAIM: "认领",
    ProjectAction.START: "开始实施",
    ProjectAction.SPEND: "登记支出",
    ProjectAction.COMPLETE: "完成",
    ProjectAction.EVALUATE: "评估",
}

P = ProjectStatus
PA = ProjectAction

PROJECT_TRANSITIONS: dict[tuple[ProjectStatus, ProjectAction], ProjectStatus] = {
    (P.APPLIED, PA.APPROVE): P.APPROVED,
    (P.APPLIED, PA.REJECT): P.REJECTED,
    (P.APPROVED, PA.CLAIM): P.CLAIMED,
    (P.CLAIMED, PA.START): P.IN_PROGRESS,
    (P.IN_PROGRESS, PA.SPEND): P.IN_PROGRESS,
    (P.IN_PROGRESS, PA.COMPLETE): P.COMPLETED,
    (P.COMPLETED, PA.EVALUATE): P.EVALUATED,
}


def next_project_status(status: ProjectStatus, action: ProjectAction) -> ProjectStatus:
    """The status after ``action``; InvalidTransition (409) otherwise (e.g. a second 认领)."""
    target = PROJECT_TRANSITIONS.get((status, action))
    if target is None:
        raise InvalidTransition(
            f"项目处于“{status.label}”状态，不能“{action.label}” "
            f"(cannot {action.value} a {status.value} project)"
        )
    return target


MAX_BUDGET_FEN = 100_000_000_00  # 1 亿元


def check_budget(budget_fen: int) -> None:
    if budget_fen <= 0 or budget_fen > MAX_BUDGET_FEN:
        raise Invalid("预算须大于 0 且不超过 1 亿元")


def check_spending(*, budget_fen: int, spent_fen: int, amount_fen: int) -> None:
    """A new expense must be positive and keep the total within the budget."""
    if amount_fen <= 0:
        raise Invalid("支出金额必须大于 0")
    if spent_fen + amount_fen > budget_fen:
        raise Invalid(f"支出合计 {yuan(spent_fen + amount_fen)} 元将超出预算 {yuan(budget_fen)} 元")


def check_application_year(year: int, current_year: int) -> None:
    """Projects are applied for the current or the next year (annual application)."""
    if year not in (current_year, current_year + 1):
        raise Invalid(f"只能申报 {current_year} 或 {current_year + 1} 年度的项目")


MAX_EVALUATION_SCORE = 100


def check_evaluation_score(score: int) -> None:
    if not 0 <= score <= MAX_EVALUATION_SCORE:
        raise Invalid("评估得分应在 0 到 100 之间")


def yuan(fen: int) -> str:
    """Fen shown as yuan with two decimals: 123456 → "1234.56"."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def parse_yuan(text: str) -> int:
    """Yuan typed by a person ("1234.5", "1,234.56") as fen; Invalid when not a number with at
    most two decimals."""
    cleaned = text.strip().replace(",", "").replace("，", "")
    whole, _, frac = cleaned.partition(".")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        raise Invalid(f"金额“{text}”格式错误（元，最多两位小数）")
    return int(whole) * 100 + int(frac.ljust(2, "0") or "0")
