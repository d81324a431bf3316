"""Consultation statuses, actions and the transition table; participant categories (6+X);
the vote-eligibility, tally and evaluation rules. Pure: no I/O, no clock.

PROPOSED → NOTICED → HELD → RESOLVED → IMPLEMENTING → FEEDBACK_PUBLISHED → EVALUATED, and
CANCELLED from any status before the resolution (DOMAIN §5, PROPOSAL).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

from civicgrid.errors import Invalid, InvalidTransition


class ConsultationStatus(StrEnum):
    """Where a consultation stands; stored as its English code."""

    PROPOSED = "proposed"
    NOTICED = "noticed"
    HELD = "held"
    RESOLVED = "resolved"
    IMPLEMENTING = "implementing"
    FEEDBACK_PUBLISHED = "feedback_published"
    EVALUATED = "evaluated"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self][0]

    @property
    def colour(self) -> str:
        return STATUS_LABELS[self][1]


STATUS_LABELS: dict[ConsultationStatus, tuple[str, str]] = {
    ConsultationStatus.PROPOSED: ("议题征集", "grey"),
    ConsultationStatus.NOTICED: ("已公告", "blue"),
    ConsultationStatus.HELD: ("已协商", "blue"),
    ConsultationStatus.RESOLVED: ("已形成决议", "green"),
    ConsultationStatus.IMPLEMENTING: ("落实中", "yellow"),
    ConsultationStatus.FEEDBACK_PUBLISHED: ("已公示反馈", "green"),
    ConsultationStatus.EVALUATED: ("已评议", "green"),
    ConsultationStatus.CANCELLED: ("已撤销", "grey"),
}


class ConsultationAction(StrEnum):
    """What staff do to move a consultation on."""

    NOTICE = "notice"
    HOLD = "hold"
    RESOLVE = "resolve"
    IMPLEMENT = "implement"
    PUBLISH_FEEDBACK = "publish_feedback"
    CLOSE_EVALUATION = "close_evaluation"
    CANCEL = "cancel"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS: dict[ConsultationAction, str] = {
    ConsultationAction.NOTICE: "发布协商公告",
    ConsultationAction.HOLD: "召开协商会议",
    ConsultationAction.RESOLVE: "形成协商决议",
    ConsultationAction.IMPLEMENT: "启动落实",
    ConsultationAction.PUBLISH_FEEDBACK: "公示落实反馈",
    ConsultationAction.CLOSE_EVALUATION: "结束居民评议",
    ConsultationAction.CANCEL: "撤销议题",
}

S = ConsultationStatus
A = ConsultationAction

TRANSITIONS: dict[tuple[ConsultationStatus, ConsultationAction], ConsultationStatus] = {
    (S.PROPOSED, A.NOTICE): S.NOTICED,
    (S.NOTICED, A.HOLD): S.HELD,
    (S.HELD, A.HOLD): S.HELD,  # a further meeting on the same topic
    (S.HELD, A.RESOLVE): S.RESOLVED,
    (S.RESOLVED, A.IMPLEMENT): S.IMPLEMENTING,
    (S.IMPLEMENTING, A.PUBLISH_FEEDBACK): S.FEEDBACK_PUBLISHED,
    (S.FEEDBACK_PUBLISHED, A.CLOSE_EVALUATION): S.EVALUATED,
    (S.PROPOSED, A.CANCEL): S.CANCELLED,
    (S.NOTICED, A.CANCEL): S.CANCELLED,
    (S.HELD, A.CANCEL): S.CANCELLED,
}

TERMINAL = frozenset({S.EVALUATED, S.CANCELLED})
VOTING = frozenset({S.NOTICED, S.HELD})
EVALUATING = frozenset({S.FEEDBACK_PUBLISHED})
EDITABLE_PARTICIPANTS = frozenset({S.PROPOSED, S.NOTICED, S.HELD})
EDITABLE_OPTIONS = frozenset({S.PROPOSED})
# Participants and options already entered may be changed or removed only before the notice:
# the notice informs the participants of the topic and the options (DOMAIN §5, step 2).
REVISABLE = frozenset({S.PROPOSED})
TASKS_OPEN = frozenset({S.RESOLVED, S.IMPLEMENTING})


def next_status(status: ConsultationStatus, action: ConsultationAction) -> ConsultationStatus:
    """The status after ``action``; InvalidTransition (409) when the table has no such move."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        raise InvalidTransition(
            f"议题处于“{status.label}”状态，不能“{action.label}” "
            f"(cannot {action.value} a {status.value} consultation)"
        )
    return target


def allowed_actions(status: ConsultationStatus) -> list[ConsultationAction]:
    """Actions the table allows from ``status``, in table order."""
    return [a for (s, a) in TRANSITIONS if s is status]


class ConsultationSource(StrEnum):
    """Where the topic came from."""

    RESIDENT = "resident"
    STAFF = "staff"
    HOT_PROBLEM = "hot_problem"

    @property
    def label(self) -> str:
        return {"resident": "居民提议", "staff": "社区提出", "hot_problem": "热点问题"}[self.value]


class ConsultationLevel(StrEnum):
    """At which level the consultation is organised (DOMAIN §5 levels)."""

    COMMUNITY = "community"
    CROSS_COMMUNITY = "cross_community"
    COMPOUND = "compound"

    @property
    def label(self) -> str:
        return {
            "community": "社区协商",
            "cross_community": "跨社区协商",
            "compound": "楼宇/小区协商",
        }[self.value]


# Region levels a consultation may be anchored on, per consultation level.
REGION_LEVELS: dict[ConsultationLevel, frozenset[str]] = {
    ConsultationLevel.COMMUNITY: frozenset({"community"}),
    ConsultationLevel.CROSS_COMMUNITY: frozenset({"street"}),
    ConsultationLevel.COMPOUND: frozenset({"grid", "community"}),
}


class ParticipantCategory(StrEnum):
    """The "6+X" model: six fixed categories plus stakeholders of the topic (X)."""

    PARTY_ORG = "party_org"
    RESIDENTS_COMMITTEE = "residents_committee"
    SUPERVISION_COMMITTEE = "supervision_committee"
    RESIDENT_REPRESENTATIVE = "resident_representative"
    UNIT = "unit"
    PROPERTY = "property"
    STAKEHOLDER = "stakeholder"

    @property
    def label(self) -> str:
        return PARTICIPANT_LABELS[self]

    @property
    def is_fixed(self) -> bool:
        return self is not ParticipantCategory.STAKEHOLDER


PARTICIPANT_LABELS: dict[ParticipantCategory, str] = {
    ParticipantCategory.PARTY_ORG: "社区党组织",
    ParticipantCategory.RESIDENTS_COMMITTEE: "居民委员会",
    ParticipantCategory.SUPERVISION_COMMITTEE: "居务监督委员会",
    ParticipantCategory.RESIDENT_REPRESENTATIVE: "居民代表",
    ParticipantCategory.UNIT: "驻区单位",
    ParticipantCategory.PROPERTY: "物业企业/业委会",
    ParticipantCategory.STAKEHOLDER: "利益相关方（X）",
}

FIXED_CATEGORIES = frozenset(c for c in ParticipantCategory if c.is_fixed)


def missing_fixed_categories(categories: Iterable[str]) -> list[ParticipantCategory]:
    """Fixed categories not yet represented (shown as a hint; not every topic needs all six)."""
    present = set(categories)
    return [c for c in ParticipantCategory if c.is_fixed and c.value not in present]


def notice_problems(*, participant_count: int, notice_text: str, materials: str) -> list[str]:
    """Why a consultation cannot be announced yet (empty when it can)."""
    problems: list[str] = []
    if participant_count < 1:
        problems.append("发布公告前请先确定协商参与人")
    if not notice_text.strip():
        problems.append("公告内容不能为空")
    if len(materials) > 20000:
        problems.append("协商材料过长（不超过 20000 字）")
    return problems


def is_eligible(scope_path: str, residence_paths: Iterable[str]) -> bool:
    """A resident may vote when one current residence lies inside the consultation's region
    (its materialised path starts with the consultation's path)."""
    return bool(scope_path) and any(p.startswith(scope_path) for p in residence_paths)


def tally(option_ids: Iterable[int], votes: Iterable[int]) -> dict[int, int]:
    """Votes per option (every option present, zero when nobody chose it)."""
    counts = Counter(votes)
    return {oid: counts.get(oid, 0) for oid in option_ids}


def leading_options(counts: dict[int, int]) -> list[int]:
    """The option ids with the most votes (several on a tie; empty without any vote)."""
    if not counts or max(counts.values()) == 0:
        return []
    top = max(counts.values())
    return [oid for oid, n in counts.items() if n == top]


MIN_SCORE = 1
MAX_SCORE = 5


def check_score(score: int) -> None:
    """Residents rate the outcome from 1 (very dissatisfied) to 5 (very satisfied)."""
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise Invalid(f"评分应在 {MIN_SCORE} 到 {MAX_SCORE} 之间")


def satisfaction_pct(scores: Iterable[int]) -> float | None:
    """Share of evaluations scoring 4 or 5, in percent; None without evaluations."""
    values = list(scores)
    if not values:
        return None
    good = sum(1 for s in values if s >= 4)
    return round(100.0 * good / len(values), 1)
