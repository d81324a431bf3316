"""Statuses of an appeal (工单状态) and the callback vocabulary. Pure: no I/O, no clock.

Each status carries its Chinese label, the colour of its badge in lists and whether it is
terminal, all in one table (:data:`STATUS_INFO`) so that the UI, the docs and the workflow read the
same facts. The transitions between statuses live in :mod:`civicgrid.appeals.workflow`.

Derived from the PROPOSAL state machine of DOMAIN §2.5, with these decisions:

* ``CONTACTED`` and ``IN_PROGRESS`` are one status, :attr:`AppealStatus.IN_PROGRESS`: contacting
  the caller (响应) is the action that starts handling, and no separate action would separate the
  two. The response time is read from the timestamp of the ``contact`` event.
* ``RETURN_APPROVED`` / ``RETURN_REJECTED`` and ``REOPENED`` are actions, not statuses: an approved
  send-back goes to ``PENDING_DISPATCH``, a rejected one to ``SIGNED``, a reopen to
  ``IN_PROGRESS``.
* Parking is reviewed like extension and termination, so it has a ``PARK_REQUESTED`` status.
* Grid-patrol orders end their handling in ``PENDING_VERIFICATION`` (the grid worker checks on
  site) instead of ``REPLIED`` (the hotline calls the caller back).
* Whistles (吹哨), supervision (督办) and reminders (催办) are overlays recorded beside the
  order; they never change the status.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BadgeColour(StrEnum):
    """Colour of a status badge; the value is the CSS class used by the templates."""

    GREY = "grey"
    BLUE = "blue"
    ORANGE = "orange"
    YELLOW = "yellow"
    GREEN = "green"
    RED = "red"
    PURPLE = "purple"


class AppealStatus(StrEnum):
    """Where an appeal stands in its workflow; stored as its English code."""

    RECEIVED = "received"
    PENDING_DISPATCH = "pending_dispatch"
    DISPATCHED = "dispatched"
    SIGNED = "signed"
    IN_PROGRESS = "in_progress"
    RETURN_REQUESTED = "return_requested"
    EXTENSION_REQUESTED = "extension_requested"
    TERMINATION_REQUESTED = "termination_requested"
    PARK_REQUESTED = "park_requested"
    PARKED = "parked"
    REPLIED = "replied"
    PENDING_VERIFICATION = "pending_verification"
    ANSWERED_DIRECTLY = "answered_directly"
    TRANSFERRED_EMERGENCY = "transferred_emergency"
    REDIRECTED_LEGAL_ROUTE = "redirected_legal_route"
    EXPLAINED = "explained"
    REFERRED_POLICE = "referred_police"
    MERGED = "merged"
    TERMINATED = "terminated"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """Chinese name shown to users."""
        return STATUS_INFO[self].label

    @property
    def colour(self) -> BadgeColour:
        """Badge colour in lists and on the detail page."""
        return STATUS_INFO[self].colour

    @property
    def terminal(self) -> bool:
        """True when no action can change the status any more."""
        return STATUS_INFO[self].terminal

    @property
    def description(self) -> str:
        """One English sentence for the docs and tooltips."""
        return STATUS_INFO[self].description


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """The display facts of one status."""

    label: str
    colour: BadgeColour
    terminal: bool
    description: str


STATUS_INFO: dict[AppealStatus, StatusInfo] = {
    AppealStatus.RECEIVED: StatusInfo(
        "已受理", BadgeColour.BLUE, False, "Recorded at intake; no disposition taken yet."
    ),
    AppealStatus.PENDING_DISPATCH: StatusInfo(
        "待派单", BadgeColour.ORANGE, False, "Accepted for handling; waiting for a unit."
    ),
    AppealStatus.DISPATCHED: StatusInfo(
        "已派单", BadgeColour.BLUE, False, "Sent to a lead unit (and co-units); not yet signed."
    ),
    AppealStatus.SIGNED: StatusInfo(
        "已签收", BadgeColour.BLUE, False, "The lead unit took the order; caller not yet contacted."
    ),
    AppealStatus.IN_PROGRESS: StatusInfo(
        "办理中", BadgeColour.BLUE, False, "The unit contacted the caller and is handling it."
    ),
    AppealStatus.RETURN_REQUESTED: StatusInfo(
        "退单待审", BadgeColour.ORANGE, False, "The unit sent the order back; the centre reviews."
    ),
    AppealStatus.EXTENSION_REQUESTED: StatusInfo(
        "延期待审", BadgeColour.ORANGE, False, "The unit asked for a later deadline."
    ),
    AppealStatus.TERMINATION_REQUESTED: StatusInfo(
        "终止待审", BadgeColour.ORANGE, False, "The unit asked to end handling without a solution."
    ),
    AppealStatus.PARK_REQUESTED: StatusInfo(
        "挂账待审", BadgeColour.ORANGE, False, "The unit asked to park an unsolvable problem."
    ),
    AppealStatus.PARKED: StatusInfo(
        "已挂账", BadgeColour.PURPLE, False, "Verified as unsolvable for now; kept in the pool."
    ),
    AppealStatus.REPLIED: StatusInfo(
        "已办结待回访", BadgeColour.YELLOW, False, "The unit replied; the centre calls back."
    ),
    AppealStatus.PENDING_VERIFICATION: StatusInfo(
        "待核查", BadgeColour.YELLOW, False, "Grid order handled; the grid worker verifies on site."
    ),
    AppealStatus.ANSWERED_DIRECTLY: StatusInfo(
        "已直接答复", BadgeColour.GREEN, False, "Answered at intake from the knowledge base."
    ),
    AppealStatus.TRANSFERRED_EMERGENCY: StatusInfo(
        "已转紧急热线", BadgeColour.GREEN, False, "Transferred to 110, 119, 120 or 122."
    ),
    AppealStatus.REDIRECTED_LEGAL_ROUTE: StatusInfo(
        "已告知法定途径", BadgeColour.GREEN, False, "Told the legal route (litigation, petition …)."
    ),
    AppealStatus.EXPLAINED: StatusInfo(
        "已解释说明", BadgeColour.GREEN, False, "Not admissible; the operator explained why."
    ),
    AppealStatus.REFERRED_POLICE: StatusInfo(
        "已移交公安", BadgeColour.GREEN, False, "Malicious disruption referred to the police."
    ),
    AppealStatus.MERGED: StatusInfo(
        "已并单", BadgeColour.GREY, True, "Duplicate joined to another order (并单)."
    ),
    AppealStatus.TERMINATED: StatusInfo(
        "已终止", BadgeColour.RED, True, "Handling ended after review without a solution."
    ),
    AppealStatus.CLOSED: StatusInfo("已结案", BadgeColour.GREY, True, "Finished and archived."),
}

TERMINAL_STATUSES: frozenset[AppealStatus] = frozenset(s for s in AppealStatus if s.terminal)

# The intake dispositions of 国办函〔2025〕66号 (DOMAIN §2.2): the order never reaches a unit.
INTAKE_DISPOSITION_STATUSES: frozenset[AppealStatus] = frozenset(
    {
        AppealStatus.ANSWERED_DIRECTLY,
        AppealStatus.TRANSFERRED_EMERGENCY,
        AppealStatus.REDIRECTED_LEGAL_ROUTE,
        AppealStatus.EXPLAINED,
        AppealStatus.REFERRED_POLICE,
    }
)

# Statuses in which a unit holds the order (the handling clock runs, supervision applies).
WITH_UNIT_STATUSES: frozenset[AppealStatus] = frozenset(
    {
        AppealStatus.DISPATCHED,
        AppealStatus.SIGNED,
        AppealStatus.IN_PROGRESS,
        AppealStatus.RETURN_REQUESTED,
        AppealStatus.EXTENSION_REQUESTED,
        AppealStatus.TERMINATION_REQUESTED,
        AppealStatus.PARK_REQUESTED,
        AppealStatus.PARKED,
    }
)


def is_terminal(status: AppealStatus) -> bool:
    """True for ``MERGED``, ``TERMINATED`` and ``CLOSED``: nothing leaves them."""
    return status in TERMINAL_STATUSES


class Satisfaction(StrEnum):
    """The caller's rating at callback (回访)."""

    SATISFIED = "satisfied"
    FAIRLY_SATISFIED = "fairly_satisfied"
    DISSATISFIED = "dissatisfied"

    @property
    def label(self) -> str:
        return SATISFACTION_LABELS[self]


SATISFACTION_LABELS: dict[Satisfaction, str] = {
    Satisfaction.SATISFIED: "满意",
    Satisfaction.FAIRLY_SATISFIED: "基本满意",
    Satisfaction.DISSATISFIED: "不满意",
}


class EmergencyLine(StrEnum):
    """Hotlines that stay outside 12345 (DOMAIN §1.1, §2.2); the value is the number dialled."""

    POLICE = "110"
    FIRE = "119"
    AMBULANCE = "120"
    TRAFFIC = "122"

    @property
    def label(self) -> str:
        return EMERGENCY_LINE_LABELS[self]


EMERGENCY_LINE_LABELS: dict[EmergencyLine, str] = {
    EmergencyLine.POLICE: "110 报警",
    EmergencyLine.FIRE: "119 火警",
    EmergencyLine.AMBULANCE: "120 急救",
    EmergencyLine.TRAFFIC: "122 交通事故",
}
