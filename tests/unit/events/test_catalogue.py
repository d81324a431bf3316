"""Which appeal changes are outbound events."""

from __future__ import annotations

import pytest

from civicgrid.appeals.workflow import Action
from civicgrid.events.catalogue import EventType, event_for, parse_event_types


@pytest.mark.parametrize(
    ("action", "before", "after", "detail", "expected"),
    [
        ("submit", "", "received", None, EventType.CREATED),
        ("dispatch", "pending_dispatch", "dispatched", None, EventType.DISPATCHED),
        ("approve_return", "return_requested", "pending_dispatch", None, EventType.RETURNED),
        ("approve_extension", "extension_requested", "in_progress", None, EventType.EXTENDED),
        ("reply", "in_progress", "replied", None, EventType.REPLIED),
        ("callback_close", "replied", "closed", None, EventType.CLOSED),
        ("self_rate_close", "replied", "closed", None, EventType.CLOSED),
        ("reopen", "closed", "dispatched", None, EventType.REOPENED),
        ("remind", "dispatched", "dispatched", {"stage": "overdue"}, EventType.OVERDUE),
        ("remind", "dispatched", "dispatched", {"stage": "due_soon"}, EventType.DUE_SOON),
        ("remind", "dispatched", "dispatched", None, None),
        ("sign", "dispatched", "signed", None, None),
        ("accept", "received", "pending_dispatch", None, None),
        ("supervise", "closed", "closed", None, None),
    ],
)
def test_event_of_a_change(
    action: str, before: str, after: str, detail: dict[str, str] | None, expected: object
) -> None:
    assert event_for(action, before, after, detail) is expected


def test_every_catalogue_action_exists_in_the_workflow() -> None:
    actions = {a.value for a in Action} | {"submit"}
    for action in ("dispatch", "approve_return", "approve_extension", "reply", "reopen", "remind"):
        assert action in actions


def test_every_event_type_has_a_chinese_label() -> None:
    assert all(t.label and not t.label.isascii() for t in EventType)


def test_parsing_keeps_catalogue_order_and_drops_duplicates() -> None:
    parsed = parse_event_types(["appeal.closed", "appeal.created", "appeal.closed"])
    assert parsed == (EventType.CREATED, EventType.CLOSED)


def test_parsing_names_the_unknown_types() -> None:
    with pytest.raises(ValueError, match=r"appeal\.exploded"):
        parse_event_types(["appeal.created", "appeal.exploded"])


def test_parsing_needs_one_type() -> None:
    with pytest.raises(ValueError, match="至少"):
        parse_event_types(["", "  "])
