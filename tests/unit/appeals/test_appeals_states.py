"""Label tables of statuses, types, channels and flows are complete and consistent."""

from __future__ import annotations

from civicgrid.appeals.channels import AppealType, Channel, Flow
from civicgrid.appeals.states import (
    INTAKE_DISPOSITION_STATUSES,
    STATUS_INFO,
    WITH_UNIT_STATUSES,
    AppealStatus,
    BadgeColour,
    EmergencyLine,
    Satisfaction,
)


def test_every_status_has_label_colour_and_description() -> None:
    assert set(STATUS_INFO) == set(AppealStatus)
    labels = [s.label for s in AppealStatus]
    assert len(set(labels)) == len(labels)
    for status in AppealStatus:
        assert status.label
        assert isinstance(status.colour, BadgeColour)
        assert status.description.endswith(".")


def test_status_groups_are_open_statuses() -> None:
    assert not any(s.terminal for s in INTAKE_DISPOSITION_STATUSES | WITH_UNIT_STATUSES)
    assert not INTAKE_DISPOSITION_STATUSES & WITH_UNIT_STATUSES


def test_appeal_types_and_channels_from_the_issue() -> None:
    assert [t.label for t in AppealType] == ["咨询", "求助", "投诉", "举报", "建议", "表扬", "其他"]
    assert {c.value for c in Channel} == {
        "hotline",
        "web",
        "snapshot",
        "grid_patrol",
        "api",
        "open311",
    }
    assert Channel.SNAPSHOT.label == "随手拍"


def test_only_grid_patrol_follows_the_grid_flow() -> None:
    assert {c for c in Channel if c.flow is Flow.GRID} == {Channel.GRID_PATROL}
    assert all(f.label for f in Flow)


def test_satisfaction_and_emergency_labels() -> None:
    assert [s.label for s in Satisfaction] == ["满意", "基本满意", "不满意"]
    assert [e.value for e in EmergencyLine] == ["110", "119", "120", "122"]
    assert all(e.label.startswith(e.value) for e in EmergencyLine)
