"""docs/domain/appeals.md shows every status and every row of the workflow table as coded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from civicgrid.appeals.channels import Flow
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import TRANSITIONS, Action, Requirement

DOC = Path(__file__).resolve().parents[3] / "docs" / "domain" / "appeals.md"

REQUIREMENT_LABELS = {
    Requirement.REASON: "理由",
    Requirement.CONTENT: "内容",
    Requirement.NEW_DEADLINE: "新时限",
    Requirement.CALLBACK_RESULT: "是否解决、满意度",
    Requirement.EMERGENCY_LINE: "紧急热线",
    Requirement.MERGE_TARGET: "并入的工单编号",
    Requirement.LEAD_UNIT: "主办单位（协办单位可选）",
    Requirement.SUMMONED_UNITS: "被召集部门",
    Requirement.ARRIVING_UNIT: "报到单位",
}
FLOW_LABELS = {Flow.HOTLINE: "热线", Flow.GRID: "网格"}


def action_rows() -> Iterator[str]:
    """The rows of the table in §3, one per action, target, roles and flows."""
    for action in Action:
        groups: dict[tuple[object, ...], list[AppealStatus]] = {}
        for t in TRANSITIONS:
            if t.action is action:
                key = (None if action.overlay else t.target, t.roles, t.flows)
                groups.setdefault(key, []).append(t.source)
        for (target, roles, flows), sources in groups.items():
            assert target is None or isinstance(target, AppealStatus)
            assert isinstance(roles, frozenset)
            assert isinstance(flows, frozenset)
            to = "（状态不变）" if target is None else target.label
            who = "、".join(r.label for r in sorted(roles))
            flow = "全部" if len(flows) == len(Flow) else FLOW_LABELS[next(iter(flows))]
            needs = "、".join(REQUIREMENT_LABELS[r] for r in sorted(action.requires)) or "—"
            source = "、".join(s.label for s in sources)
            name = f"{action.label} `{action.value}`"
            yield f"| {name} | {source} → {to} | {who} | {flow} | {needs} |"


def test_every_workflow_row_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [row for row in action_rows() if row not in text]
    assert not missing, "update docs/domain/appeals.md §3:\n" + "\n".join(missing)


def test_every_status_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for status in AppealStatus:
        assert f"| {status.label} | `{status.value}` | {status.colour.value} |" in text
