"""Intake vocabulary: appeal types and channels. Pure: no I/O.

The channel decides the workflow flow (:class:`Flow`): orders raised by a grid worker on patrol
follow the grid loop (patrol report → dispatch → handling → verification by the grid worker,
DOMAIN §3.1); every other channel follows the hotline flow (… → reply → callback).
"""

from __future__ import annotations

from enum import StrEnum


class AppealType(StrEnum):
    """诉求类型: the five statutory types plus praise and other (DOMAIN §1.2)."""

    INQUIRY = "inquiry"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"
    PRAISE = "praise"
    OTHER = "other"

    @property
    def label(self) -> str:
        return APPEAL_TYPE_LABELS[self]


APPEAL_TYPE_LABELS: dict[AppealType, str] = {
    AppealType.INQUIRY: "咨询",
    AppealType.HELP: "求助",
    AppealType.COMPLAINT: "投诉",
    AppealType.REPORT: "举报",
    AppealType.SUGGESTION: "建议",
    AppealType.PRAISE: "表扬",
    AppealType.OTHER: "其他",
}


class Channel(StrEnum):
    """How the appeal came in."""

    HOTLINE = "hotline"
    WEB = "web"
    SNAPSHOT = "snapshot"
    GRID_PATROL = "grid_patrol"
    API = "api"
    OPEN311 = "open311"

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]

    @property
    def flow(self) -> Flow:
        """The workflow flow orders from this channel follow."""
        return Flow.GRID if self is Channel.GRID_PATROL else Flow.HOTLINE


CHANNEL_LABELS: dict[Channel, str] = {
    Channel.HOTLINE: "12345热线",
    Channel.WEB: "网上平台",
    Channel.SNAPSHOT: "随手拍",
    Channel.GRID_PATROL: "网格巡查",
    Channel.API: "系统对接",
    Channel.OPEN311: "Open311接口",
}


class Flow(StrEnum):
    """Which variant of the workflow an order follows; fixed when the order is created."""

    HOTLINE = "hotline"
    GRID = "grid"

    @property
    def label(self) -> str:
        return FLOW_LABELS[self]


FLOW_LABELS: dict[Flow, str] = {
    Flow.HOTLINE: "热线流程（回访结案）",
    Flow.GRID: "网格流程（网格员核查结案）",
}
