"""每月一题 proposals for leaders and supervisors (/dashboard/monthly-topic): for a month and a
district of the reader's scope, the top candidate problems with their evidence (appeals,
places, trend over the three previous months, repeat callers, units involved), and the same
brief as a one-page Excel file for the leaders' meeting (/dashboard/monthly-topic.xlsx).

The rules and the mining are in :mod:`civicgrid.insight.monthly_brief_service`; this module
parses the query, checks the role and renders; refusals are domain errors that the app
shows as error pages.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from civicgrid.auth.roles import Role
from civicgrid.deps import Now, ReadSession
from civicgrid.errors import Invalid, NotFound
from civicgrid.insight import monthly_brief_service as briefs
from civicgrid.kit.periods import Period, PeriodKind, local_date, month_period, parse_period
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.forms import require
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

BRIEF_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.ADMIN})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(text: str, now_month: Period) -> Period:
    if not text:
        return now_month
    chosen = parse_period(text, label="月份", weeks=False, max_days=31)
    if chosen.kind is not PeriodKind.MONTH:
        raise Invalid(f"月份“{text}”无效：请使用 YYYY-MM 格式，例如 2026-11")
    return chosen


def _brief(
    actor: PageActor,
    session: ReadSession,
    now: Now,
    month: Annotated[str, Query(max_length=30)] = "",
    district: Annotated[str, Query(max_length=30)] = "",
) -> briefs.MonthlyBrief:
    """The brief asked for: the month (default: this month) and the district (default: the
    first of the reader's scope). Refusals are domain errors, shown as error pages (403 for
    other roles, 422 for a bad month, 404 for a district outside the scope)."""
    require(actor, BRIEF_ROLES)
    today = local_date(now)
    period = _month(month, month_period(today.year, today.month))
    choices = briefs.districts_for(session, actor)
    code = district or (choices[0].code if choices else "")
    if not code:
        raise NotFound("您的数据范围内没有可选择的区")
    return briefs.monthly_brief_for(session, actor=actor, period=period, district_code=code)


Brief = Annotated[briefs.MonthlyBrief, Depends(_brief)]


@router.get("/dashboard/monthly-topic", include_in_schema=False)
def monthly_topic(
    request: Request, actor: PageActor, session: ReadSession, brief: Brief
) -> Response:
    """The top candidate problems of a district-month with their evidence."""
    return render(
        request,
        "dashboard/monthly_topic.html",
        {
            "brief": brief,
            "districts": [(d.code, d.name) for d in briefs.districts_for(session, actor)],
            "headers": briefs.HEADERS,
            "rows": [briefs.brief_row(brief, c) for c in brief.candidates],
        },
    )


@router.get("/dashboard/monthly-topic.xlsx", include_in_schema=False)
def monthly_topic_xlsx(brief: Brief, now: Now) -> Response:
    """The brief as a one-page Excel file."""
    name = f"每月一题-{brief.district.name}-{brief.period.key}.xlsx"
    return Response(
        briefs.to_xlsx(brief, now),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
