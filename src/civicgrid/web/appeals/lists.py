"""Appeal list pages of the console: the unit inbox (/appeals/inbox) and the supervision board
(/appeals/supervision). The rows come from :mod:`civicgrid.web.shared.appeal_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from civicgrid.appeals.deadlines import WarningLevel
from civicgrid.appeals.queries import workbench
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth.roles import Role
from civicgrid.deps import DbSession, Now
from civicgrid.errors import Invalid
from civicgrid.web.shared.appeal_rows import (
    OPEN_STATUSES,
    PAGE_SIZE,
    appeal_row,
    capped_rows,
    list_rows,
)
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.forms import require
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

INBOX_ROLES = frozenset(
    {
        Role.STREET_HANDLER,
        Role.DEPARTMENT_HANDLER,
        Role.UTILITY_HANDLER,
        Role.OPERATOR,
        Role.DISPATCHER,
        Role.SUPERVISOR,
        Role.LEADER,
        Role.ADMIN,
    }
)


# --- inbox ------------------------------------------------------------------------------------


@dataclass
class InboxFilters:
    """The filters of the inbox as typed (kept in the form and the page links)."""

    status: str = "open"
    overdue: bool = False
    warning: str = ""
    q: str = ""
    offset: int = 0
    queue: str = ""

    def query(self, **changes: Any) -> str:
        values: dict[str, Any] = {
            "queue": self.queue,
            "status": self.status,
            "overdue": "1" if self.overdue else "",
            "warning": self.warning,
            "q": self.q,
            "offset": self.offset,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", 0, None)})


def _status_filter(status: str) -> list[str]:
    if status == "open":
        return list(OPEN_STATUSES)
    if status == "all":
        return []
    try:
        return [AppealStatus(status).value]
    except ValueError as exc:
        raise Invalid(f"未知的工单状态：{status}") from exc


def _warning_filter(warning: str) -> WarningLevel | None:
    if not warning:
        return None
    try:
        return WarningLevel(warning)
    except ValueError as exc:
        raise Invalid(f"未知的预警等级：{warning}") from exc


@router.get("/appeals/inbox", include_in_schema=False)
def inbox(
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    status: Annotated[str, Query(max_length=40)] = "open",
    overdue: Annotated[str, Query(max_length=5)] = "",
    warning: Annotated[str, Query(max_length=10)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
    queue: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The appeals of the actor's unit (data scope), filtered by status, overdue and warning,
    or one workbench queue (``?queue=to_sign``). A handler opening the page without filters
    sees their own unit's open work (queue ``mine``), not everything in their scope."""
    require(actor, INBOX_ROLES)
    unfiltered = not (queue or overdue or warning or q) and status == "open"
    if unfiltered and "queue" not in request.query_params and workbench.own_units(actor):
        queue = "mine"
    filters = InboxFilters(status, overdue in ("1", "true", "on"), warning, q, offset, queue)
    queue_label = ""
    capped = False
    if queue:
        page = workbench.list_queue(session, actor, queue, now=now, offset=offset, limit=PAGE_SIZE)
        rows, total = [appeal_row(a, now) for a in page.items], page.total
        queue_label = workbench.queue(queue).label
    else:
        found = capped_rows(
            session,
            actor,
            now,
            statuses=_status_filter(status),
            overdue=filters.overdue,
            warning=_warning_filter(warning),
            text=q,
            offset=offset,
        )
        rows, total, capped = found.rows, found.total, found.capped
    return render(
        request,
        "appeals/inbox.html",
        {
            "rows": rows,
            "total": total,
            "total_capped": capped,
            "filters": filters,
            "queue_label": queue_label,
            "page_size": PAGE_SIZE,
            "statuses": [("open", "未办结"), ("all", "全部")]
            + [(s.value, s.label) for s in AppealStatus],
            "warnings": [(w.value, w.label) for w in WarningLevel],
        },
        fragment="appeals/_inbox_results.html",
    )


# --- supervision ------------------------------------------------------------------------------

SUPERVISION_ROLES = frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN, Role.LEADER})
# Requests a reviewer decides (DOMAIN §1.5): send-back, extension, termination, parking.
REVIEW_STATUSES = [
    AppealStatus.RETURN_REQUESTED.value,
    AppealStatus.EXTENSION_REQUESTED.value,
    AppealStatus.TERMINATION_REQUESTED.value,
    AppealStatus.PARK_REQUESTED.value,
]


@router.get("/appeals/supervision", include_in_schema=False)
def supervision(request: Request, actor: PageActor, session: DbSession, now: Now) -> Response:
    """督办: requests waiting for review, and the overdue orders to supervise or remind."""
    require(actor, SUPERVISION_ROLES)
    to_review, review_total = list_rows(session, actor, now, statuses=REVIEW_STATUSES)
    overdue, overdue_total = list_rows(
        session, actor, now, statuses=list(OPEN_STATUSES), overdue=True
    )
    return render(
        request,
        "appeals/supervision.html",
        {
            "to_review": to_review,
            "review_total": review_total,
            "overdue": overdue,
            "overdue_total": overdue_total,
            "page_size": PAGE_SIZE,
        },
    )
